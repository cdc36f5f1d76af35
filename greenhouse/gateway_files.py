"""Where the gateway keeps its data and which site file it serves: one answer for ``greenhouse gateway`` and
``greenhouse users``, so that a user added on the server is a user the gateway signs in.

Each is found, first to last: the option on the command line; the environment ($GREENHOUSE_DATA_DIR,
$GREENHOUSE_CONFIG); the stack ``greenhouse init`` made in the current folder (its ``.env`` and
``stack/gateway-data``, the folder docker compose mounts into the gateway); for the data dir, ./gateway-data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from greenhouse.deploy.layout import StackLayout

DATA_DIR_ENV = "GREENHOUSE_DATA_DIR"
SITE_ENV = "GREENHOUSE_CONFIG"
DEFAULT_DATA_DIR = Path("gateway-data")


class Source(StrEnum):
    OPTION = "option"
    ENV = "env"
    STACK = "stack"
    DEFAULT = "default"


@dataclass(frozen=True)
class Found:
    path: Path
    source: Source


def _stack(cwd: Path) -> StackLayout | None:
    """The stack in ``cwd``, if ``greenhouse init`` made one there."""
    layout = StackLayout(cwd)
    return layout if layout.env.is_file() and layout.gateway_data.is_dir() else None


def _env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a stack's .env (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.lstrip().startswith("#")}


def data_dir(option: Path | None, env: Mapping[str, str], cwd: Path) -> Found:
    if option is not None:
        return Found(option, Source.OPTION)
    if env.get(DATA_DIR_ENV):
        return Found(Path(env[DATA_DIR_ENV]), Source.ENV)
    stack = _stack(cwd)
    if stack is not None:
        return Found(stack.gateway_data, Source.STACK)
    return Found(cwd / DEFAULT_DATA_DIR, Source.DEFAULT)


def site_file(option: Path | None, env: Mapping[str, str], cwd: Path) -> Found | None:
    """The site file, or None when nothing names one."""
    if option is not None:
        return Found(option, Source.OPTION)
    if env.get(SITE_ENV):
        return Found(Path(env[SITE_ENV]), Source.ENV)
    stack = _stack(cwd)
    if stack is not None:
        values = _env_file(stack.env)
        if values.get("SITE_DIR") and values.get("SITE_FILE"):
            return Found(Path(values["SITE_DIR"]) / values["SITE_FILE"], Source.STACK)
    return None
