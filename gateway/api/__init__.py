"""The HTTP API (FastAPI): current status, downsampled history and CSV export."""
