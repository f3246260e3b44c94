"""Warden's four services; each owns its log and knows the others only by their events."""
