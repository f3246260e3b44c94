"""The withdrawals worker: relays this service's events and consumes those of others."""

from services.withdrawals import NAME, service_spec
from shared.config import load_settings
from shared.worker import main

if __name__ == "__main__":
    settings = load_settings(NAME)
    main(service_spec(settings), settings)
