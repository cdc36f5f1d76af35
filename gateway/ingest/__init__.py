"""MQTT ingest: validation, the durable spool, the receiver that acknowledges only what is on disk, and the
metrics derived per greenhouse from each batch (``derive``)."""
