"""The cases worker: relays this service's events, consumes those of others, checks SLAs."""

from services.cases import NAME, service_spec
from shared.config import load_settings
from shared.worker import main

if __name__ == "__main__":
    settings = load_settings(NAME)
    main(service_spec(settings), settings)
