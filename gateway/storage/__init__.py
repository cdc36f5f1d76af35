"""History storage: InfluxDB (1.x, 2.x, 3.x over the v1 API) or an embedded SQLite file, same semantics."""
