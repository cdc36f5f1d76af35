"""Ingest benchmark: simulated greenhouses → Mosquitto → gateway → InfluxDB, next to baselines of each server alone.

Run it as ``python -m bench.ingest``; docs/benchmarks.md has the method and the figures.
"""
