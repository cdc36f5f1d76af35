"""Central service: MQTT ingest into a durable spool, the history store (InfluxDB or SQLite) with derived metrics,
the greenhouses' registry and live picture, accounts, and the HTTP API that serves the phone web app."""
