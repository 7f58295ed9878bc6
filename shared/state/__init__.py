"""Durable state in Table storage (Azurite locally): leases now; the secret index, health and idempotency later."""
