"""A copy of a site file on fieldbus ports that are free right now, for the demo and the tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from contract.site import SiteConfig
from greenhouse.net import free_port


def on_free_ports(site: SiteConfig) -> SiteConfig:
    greenhouses = [
        g.model_copy(update={"fieldbus": g.fieldbus.model_copy(update={"host": "127.0.0.1", "port": free_port()})})
        for g in site.greenhouses
    ]
    return site.model_copy(update={"greenhouses": greenhouses})


def write_site(site: SiteConfig, path: Path) -> Path:
    """Write ``site`` as YAML (rules files as absolute paths) so that other processes load the same site."""
    data = site.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
