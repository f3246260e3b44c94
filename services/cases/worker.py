"""The cases worker: relays this service's events, consumes those of others, checks SLAs."""

from services.cases import NAME, service_spec
from shared.worker import start

if __name__ == "__main__":
    start(NAME, service_spec)
