"""Benchmarks run by `make bench` (SPEC §8): one table printed, rows added to bench/results/<date>.json."""
