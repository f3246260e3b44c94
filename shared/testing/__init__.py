"""Test support that needs no pytest: finding or starting real PostgreSQL and NATS servers."""
