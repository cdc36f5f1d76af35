"""The InfluxQL datasource every dashboard names by uid, for the API (push) and for provisioning (a file)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from greenhouse.grafana.panels import DATASOURCE_UID, JSON

NAME = "Greenhouse InfluxDB"


class InfluxSource(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    database: str = "greenhouse"
    user: str = "grafana"
    password: str

    def body(self) -> JSON:
        """What Grafana's datasource API and its provisioning files both take."""
        return {
            "uid": DATASOURCE_UID,
            "name": NAME,
            "type": "influxdb",
            "access": "proxy",
            "url": self.url,
            "user": self.user,
            "isDefault": True,
            "jsonData": {"dbName": self.database, "httpMode": "GET", "timeInterval": "30s"},
            "secureJsonData": {"password": self.password},
        }
