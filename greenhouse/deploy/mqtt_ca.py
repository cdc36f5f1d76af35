"""``--mqtt-ca FILE``: the CA that signed the broker's certificate, for every command that connects to it."""

from __future__ import annotations

import argparse
from pathlib import Path

from greenhouse.errors import UsageError


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mqtt-ca",
        type=Path,
        help="CA certificate of an mqtts:// broker with a private CA (greenhouse init writes one)",
    )


def apply(args: argparse.Namespace) -> None:
    """Puts the CA into ``args.mqtt_url``, where every client is made from; refuses what cannot work."""
    path: Path | None = getattr(args, "mqtt_ca", None)
    if path is None:
        return
    if not args.mqtt_url.tls:
        raise UsageError(f"--mqtt-ca {path}: the broker URL {args.mqtt_url} is not mqtts://, so no CA is used")
    if not path.is_file():
        raise UsageError(f"--mqtt-ca {path}: no such file")
    args.mqtt_url = args.mqtt_url.model_copy(update={"ca_file": str(path)})
