"""The options several commands share, each declared once as a parent parser (``parents=[...]``): the reader's
language, the site file and its greenhouses, the broker, and the clock of the simulated and the field processes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import get_args

from contract.clock import Clock
from contract.config_file import ConfigError
from contract.mqtt import BrokerUrl
from contract.wording import Lang, pick
from greenhouse.commands.types import broker_url, speed, start_time
from greenhouse.deploy import mqtt_ca

EXAMPLE_SITE = Path(__file__).parent.parent / "examples" / "cooperative.yaml"
LANGS: list[str] = list(get_args(Lang))
LOCAL_BROKER = BrokerUrl.parse("mqtt://127.0.0.1:1883")


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def lang(help: str = "language (default vi)") -> argparse.ArgumentParser:
    """``--lang``: the language the command speaks, Vietnamese unless told; ``help`` may say what it speaks in."""
    parent = _parent()
    parent.add_argument("--lang", choices=LANGS, default="vi", help=help)
    return parent


def site(help: str, *, required: bool = False, default: Path | None = None) -> argparse.ArgumentParser:
    """``--site FILE``: the cooperative's site file."""
    parent = _parent()
    parent.add_argument("--site", type=Path, required=required, default=default, help=help)
    return parent


def greenhouse(help: str | None = None, *, required: bool = False, many: bool = False) -> argparse.ArgumentParser:
    """``--greenhouse ID``: one greenhouse of the site file, or with ``many`` each one named (repeatable)."""
    parent = _parent()
    parent.add_argument("--greenhouse", action="append" if many else "store", required=required, help=help)
    return parent


def broker() -> argparse.ArgumentParser:
    """``--mqtt-url`` (the broker on this machine by default) and the CA of an mqtts:// one."""
    parent = _parent()
    parent.add_argument("--mqtt-url", type=broker_url, default=LOCAL_BROKER)
    mqtt_ca.add_option(parent)
    return parent


def clock() -> argparse.ArgumentParser:
    """The clock of a process that may run in simulated time: ``--speed``, ``--start``."""
    parent = _parent()
    parent.add_argument("--speed", type=speed, default=1.0, help="simulated seconds per wall second (default 1)")
    parent.add_argument("--start", type=start_time, help="simulated start time (ISO, with UTC offset)")
    parent.add_argument("--wall-origin", type=float, help=argparse.SUPPRESS)  # set by the demo so processes agree
    return parent


def clock_of(args: argparse.Namespace) -> Clock:
    """The clock the options of ``clock()`` give."""
    kwargs: dict[str, object] = {"origin": args.start, "speed": args.speed}
    if args.wall_origin is not None:
        kwargs["wall_origin"] = args.wall_origin
    return Clock.model_validate(kwargs)


def config_problems(exc: ConfigError, command: str, lang: Lang) -> int:
    """Every problem of a file the command read, at its line, on stderr, in ``lang``: exit code 2."""
    from desk import words

    lines = exc.lines(lang)
    count = pick(words.ONE_PROBLEM, lang) if len(lines) == 1 else pick(words.PROBLEM_COUNT, lang)
    header = pick(words.CONFIG_ERROR, lang).format(command=command, path=exc.path)
    print(f"{header} {count.format(n=len(lines))}", file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    return 2
