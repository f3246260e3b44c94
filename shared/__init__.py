"""Warden's domain-free core: event store, envelope, relay, consumers, web factory, CLI."""
