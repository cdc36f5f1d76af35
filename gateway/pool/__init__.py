"""Ingest in several processes, each with its own greenhouses, under one process that serves the API."""
