"""Argument types: each turns a command-line word into a checked value, or an error that names what is wrong."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from urllib.parse import urlsplit

from contract.mqtt import BrokerUrl
from contract.topics import ID_PATTERN


def broker_url(text: str) -> BrokerUrl:
    try:
        return BrokerUrl.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def an_id(text: str) -> str:
    if not re.fullmatch(ID_PATTERN, text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an id: lowercase letters, digits, '-' and '_', starting with a letter or digit"
        )
    return text


def process_count(text: str) -> int:
    """How many processes: 1 to 64."""
    # ASCII digits only: str.isdigit() also takes "٣" and "³", which int() reads as 3 or refuses.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 1 to 64")
    return int(text)


def http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} must look like http://host:port")
    return text.rstrip("/")


def speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError(f"{value:g} is out of range (0 < speed <= 100000)")
    return value


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be greater than 0")
    return value


def start_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time like 2026-01-15T05:45:00+07:00") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. +07:00")
    return value
