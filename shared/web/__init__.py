"""The shared web layer: app factory, problems, auth, idempotency, health, metrics and logs."""
