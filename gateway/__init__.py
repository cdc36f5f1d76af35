"""Central service: MQTT ingest, storage, device registry, HTTP API (built in a later issue)."""
