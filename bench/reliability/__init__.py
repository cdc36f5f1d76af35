"""Reliability figures of the whole system under hostile input and faults: ``python -m bench.reliability``."""
