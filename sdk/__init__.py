"""Client tooling: the OpenAPI snapshot, its breaking-change check and `make sdk` (generated clients)."""
