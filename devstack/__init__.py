"""The local stack: AWS emulators, demo data and the `make run` orchestrator (never on Lambda)."""
