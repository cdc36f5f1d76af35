"""The stack's ``.env``: every secret docker compose passes to the services, generated, never defaulted."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from greenhouse.deploy.web_tls import PROVIDER, PUBLIC_NAME, WebSettings, WebTls

# Passwords go into URLs (mqtts://user:password@host) and config files: URL-safe characters only.
_SECRET = r"^[A-Za-z0-9_-]{24,}$"

CENTRAL_USER = "central"
HEALTH_USER = "healthcheck"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class StackEnv(BaseModel):
    """The variables docker-compose.yml reads; ``.env.example`` lists the same names."""

    # Python's re: the name patterns look around ('-' neither first nor last in a label), which Rust's regex cannot.
    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    SITE_DIR: str = Field(description="folder of the site file, mounted at /site (the set-up page saves it there)")
    SITE_FILE: str = Field(description="the site file's name in SITE_DIR")
    MQTT_CENTRAL_PASSWORD: str = Field(pattern=_SECRET, description=f"MQTT account '{CENTRAL_USER}' (the gateway)")
    MQTT_HEALTH_PASSWORD: str = Field(pattern=_SECRET, description=f"MQTT account '{HEALTH_USER}' (healthcheck)")
    INFLUXDB_ADMIN_PASSWORD: str = Field(pattern=_SECRET, description="InfluxDB user 'admin'")
    INFLUXDB_GATEWAY_PASSWORD: str = Field(pattern=_SECRET, description="InfluxDB user 'gateway' (writes)")
    INFLUXDB_GRAFANA_PASSWORD: str = Field(pattern=_SECRET, description="InfluxDB user 'grafana' (reads)")
    GRAFANA_ADMIN_PASSWORD: str = Field(pattern=_SECRET, description="Grafana user 'admin'")
    GRAFANA_URL: str = Field(
        default="",
        pattern=r"^(https?://[^\s/]+(/\S*)?)?$",
        description="Grafana as the phones reach it, for the web app's link; empty: no link",
    )
    WEB_TLS: WebTls = Field(
        default=WebTls.OWN_CA,
        description="the web app's certificate: acme (WEB_DOMAIN's, by the DNS challenge) or own-ca (stack/web)",
    )
    WEB_DOMAIN: str = Field(
        default="", pattern=f"({PUBLIC_NAME})|^$", description="the cooperative's DNS name for the web app (acme)"
    )
    ACME_DNS_PROVIDER: str = Field(
        default="", pattern=f"({PROVIDER})|^$", description="who holds WEB_DOMAIN's DNS, as lego names it (acme)"
    )
    ACME_EMAIL: str = Field(default="", description="contact for the ACME account (optional)")
    CF_DNS_API_TOKEN: str = Field(
        default="", description="ACME_DNS_PROVIDER=cloudflare: an API token with Zone:Read and DNS:Edit on the zone"
    )
    DUCKDNS_TOKEN: str = Field(default="", description="ACME_DNS_PROVIDER=duckdns: the DuckDNS account's token")

    @model_validator(mode="after")
    def _acme_has_a_name_and_a_provider(self) -> StackEnv:
        if self.WEB_TLS is WebTls.ACME and not (self.WEB_DOMAIN and self.ACME_DNS_PROVIDER):
            raise ValueError("WEB_TLS=acme needs WEB_DOMAIN and ACME_DNS_PROVIDER")
        return self

    @classmethod
    def generate(cls, site_file: Path, grafana_url: str = "", web: WebSettings | None = None) -> StackEnv:
        site_file = site_file.resolve()
        web = web or WebSettings()
        return cls(
            GRAFANA_URL=grafana_url,
            WEB_TLS=web.mode,
            WEB_DOMAIN=web.domain,
            ACME_DNS_PROVIDER=web.dns_provider,
            ACME_EMAIL=web.email,
            SITE_DIR=str(site_file.parent),
            SITE_FILE=site_file.name,
            MQTT_CENTRAL_PASSWORD=new_secret(),
            MQTT_HEALTH_PASSWORD=new_secret(),
            INFLUXDB_ADMIN_PASSWORD=new_secret(),
            INFLUXDB_GATEWAY_PASSWORD=new_secret(),
            INFLUXDB_GRAFANA_PASSWORD=new_secret(),
            GRAFANA_ADMIN_PASSWORD=new_secret(),
        )

    def text(self, extra: dict[str, str] | None = None) -> str:
        lines = [
            "# Written by 'greenhouse init': secrets of this stack. Keep this file out of git and backups you share."
        ]
        for name, field in type(self).model_fields.items():
            lines += [f"# {field.description}", f"{name}={getattr(self, name)}"]
        lines += [f"{name}={value}" for name, value in (extra or {}).items()]
        return "\n".join(lines) + "\n"


def write_private(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Create ``path`` (never replace it) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
