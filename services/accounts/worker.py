"""The accounts worker: relays this service's events and consumes those of others."""

from services.accounts import NAME, service_spec
from shared.worker import start

if __name__ == "__main__":
    start(NAME, service_spec)
