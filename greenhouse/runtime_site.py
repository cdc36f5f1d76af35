"""A copy of a site file on bus ports that are free right now, for the demo and the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from contract.site import Bus, Greenhouse, MqttBus, RtuSerialBus, SiteConfig
from greenhouse.net import free_port


def on_free_ports(site: SiteConfig, serial_dir: Path) -> SiteConfig:
    """Every TCP bus on a free loopback port of this machine, and every serial bus on a port in ``serial_dir`` (the
    simulator links a pseudo-terminal there), so that the site runs here whatever the real one is wired to."""
    greenhouses = [g.model_copy(update={"buses": [_here(g, b, serial_dir) for b in g.buses]}) for g in site.greenhouses]
    return site.model_copy(update={"greenhouses": greenhouses})


def _here(greenhouse: Greenhouse, bus: Bus, serial_dir: Path) -> Bus:
    if isinstance(bus, RtuSerialBus):
        return bus.model_copy(update={"port": str(serial_dir / f"tty-{greenhouse.id}-{bus.id}")})
    if isinstance(bus, MqttBus):
        return bus  # the MQTT nodes' own broker, which the simulator's nodes publish on as it is
    return bus.model_copy(update={"host": "127.0.0.1", "port": free_port()})


def write_site(site: SiteConfig, path: Path) -> Path:
    """Write ``site`` as YAML so that other processes load the same site. A site file names only files in its
    own folder (contract.config_file.parse_site): rules files from elsewhere are copied into ``rules/`` beside it,
    one copy per file, so greenhouses that share a file still share it."""
    folder = path.parent.resolve()
    copies: dict[Path, Path] = {}
    greenhouses = []
    for gh in site.greenhouses:
        if gh.rules_file is not None:
            source = gh.rules_file.resolve()
            if not source.is_relative_to(folder):
                if source not in copies:
                    copies[source] = _copy_into(source, folder / "rules", set(copies.values()))
                source = copies[source]
            gh = gh.model_copy(update={"rules_file": source.relative_to(folder)})
        greenhouses.append(gh)
    # What is left at its default is left out, as a technician would; the file's version always says which form it is.
    data = site.model_copy(update={"greenhouses": greenhouses}).model_dump(mode="json", exclude_defaults=True)
    data = {"version": site.version, **data}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _copy_into(source: Path, folder: Path, taken: set[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    n = 1
    while target in taken:  # two files of one name from different folders
        n += 1
        target = folder / f"{source.stem}-{n}{source.suffix}"
    shutil.copyfile(source, target)
    return target
