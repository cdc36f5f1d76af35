"""Benchmarks that run the real services on this machine (see docs/benchmarks.md)."""
