"""Use cases: provisioning, access grants, validation; the HTTP, Event Grid and timer functions call these."""
