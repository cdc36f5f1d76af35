"""MQTT ingest: validation, the durable spool, and the receiver that acknowledges only what is on disk."""
