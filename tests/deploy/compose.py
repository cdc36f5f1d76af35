"""Reading docker-compose files as docker compose does: YAML, then ${VAR} interpolation from .env."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])([^}]*))?\})")


class MissingVariable(ValueError):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "$":
            return "$"
        name, op, arg = m.group(2), m.group(3), m.group(4)
        value = env.get(name)
        if op in (":?", "?") and not value:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and not value:
            return arg
        return value or ""

    return _VAR.sub(sub, text)


def resolve(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolve(n, env) for n in node]
    if isinstance(node, dict):
        return {k: resolve(v, env) for k, v in node.items()}
    return node


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)  # type: ignore[arg-type]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host source of a service's bind mounts (short syntax)."""
    out = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith(("/", "./")):
            out[target] = source
    return out


def host_path(container_path: str, service: dict[str, Any]) -> str | None:
    """The host source a container path comes from, through the service's bind mounts (longest first)."""
    for target, source in sorted(mounts(service).items(), key=lambda m: -len(m[0])):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return source + container_path[len(target) :]
    return None
