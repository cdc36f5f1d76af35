"""The CLI's layout: every command names its runner, `--lang` is declared once and means the same everywhere,
and building the parser (what `greenhouse --help` and the demo do first) imports none of the heavy machinery."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

from contract.wording import Lang
from greenhouse.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
# Each one is what only a runner needs: TLS, password hashing, the field bus, the edge, the simulator, the web.
HEAVY = (
    "cryptography",
    "argon2",
    "pymodbus",
    "fastapi",
    "rich",
    "edge",
    "firmware_sim",
    "desk.simulate",
    "desk.devices",
    "gateway.main",
    "gateway.accounts.service",
)


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Each command that runs something (no sub-commands of its own), with its words after `greenhouse`."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _commands(child, (*path, name))


def _lang(parser: argparse.ArgumentParser) -> argparse.Action | None:
    return next((a for a in parser._actions if "--lang" in a.option_strings), None)


def test_every_command_names_its_runner() -> None:
    commands = dict(_commands(build_parser()))
    assert set(commands) == {
        "demo",
        "edge",
        "gateway",
        "sim",
        "site check",
        *(f"rules {c}" for c in ("check", "deploy", "simulate", "backtest", "diff", "why")),
        *(f"users {c}" for c in ("add", "list", "passwd", "disable", "unlock")),
        *(f"roster {c}" for c in ("check", "show", "add-person", "set-person", "remove-person", "duty", "rotation",
                                  "farm-number")),
        *(f"modem {c}" for c in ("setup", "check")),
        *(f"diary {c}" for c in ("check", "export")),
        "init",
        "gateways add",
        *(f"devices {c}" for c in ("scan", "read", "write", "import-ha")),
        "grafana push",
        "grafana export",
    }
    without = [name for name, parser in commands.items() if not callable(parser.get_default("run"))]
    assert without == []


def test_lang_is_declared_once_and_means_the_same_everywhere() -> None:
    sources = sorted((REPO / "greenhouse").rglob("*.py"))
    declared = [
        p.relative_to(REPO)
        for p in sources
        for _ in re.finditer(r'add_argument\(\s*"--lang"', p.read_text(encoding="utf-8"))
    ]
    assert declared == [Path("greenhouse/commands/common.py")]

    taking = {name: action for name, parser in _commands(build_parser()) if (action := _lang(parser)) is not None}
    # The technician's and the farmer's commands all speak both languages, Vietnamese unless told.
    assert {"demo", "site check", "rules check", "rules why", "users add", "init", "devices scan"} <= set(taking)
    langs = list(get_args(Lang))
    assert {name: (list(a.choices or ()), a.default) for name, a in taking.items()} == {
        name: (langs, "vi") for name in taking
    }


def test_building_the_parser_imports_no_heavy_machinery() -> None:
    script = (
        "import json, sys\n"
        "from greenhouse.cli import build_parser\n"
        "build_parser()\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
