"""Notes for the mobile apps: API, services, mirror and search (built on the legacy tables)."""
