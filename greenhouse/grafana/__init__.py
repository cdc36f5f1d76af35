"""Grafana for agronomists: the InfluxQL datasource and the dashboards, built in code, pushed or provisioned."""
