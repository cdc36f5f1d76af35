"""The engine never reads the clock: time is an argument, so that replay and backtests give real answers."""

from __future__ import annotations

import ast
import time
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import NoReturn

import apscheduler.triggers.cron
import apscheduler.util
import pytest

import rules
from tests.rules.builders import DRY_SOIL_A, MORNING_WATER_A, SIX_AM, Replay, every, ruleset, soil_a

_CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter"}


_RULES = Path(rules.__file__).parent
# The engine and every rule kind; desk/ are the technicians' tools around it, which do I/O.
_PURE = sorted(p for p in _RULES.rglob("*.py") if _RULES / "tools" not in p.parents)


@pytest.mark.parametrize("module", _PURE, ids=lambda p: str(p.relative_to(_RULES)))
def test_no_rules_module_calls_a_clock(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imports_time = [
        n.lineno
        for n in ast.walk(tree)
        if (isinstance(n, ast.Import) and any(a.name == "time" for a in n.names))
        or (isinstance(n, ast.ImportFrom) and n.module == "time")
    ]
    clock_calls = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute | ast.Name)
        and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in _CLOCK_CALLS
    ]
    assert (imports_time, clock_calls) == ([], [])


def _no_clock(*_: object, **__: object) -> NoReturn:
    raise AssertionError("the clock was read")


class _ClocklessDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> NoReturn:
        _no_clock()

    @classmethod
    def utcnow(cls) -> NoReturn:
        _no_clock()

    @classmethod
    def today(cls) -> NoReturn:
        _no_clock()


def test_a_day_of_evaluations_including_apscheduler_runs_with_every_clock_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replay = Replay(ruleset(DRY_SOIL_A, MORNING_WATER_A))
    day = every(60, 24 * 3600, start=SIX_AM - timedelta(hours=1))
    with monkeypatch.context() as patched:
        for name in ("time", "time_ns", "monotonic", "perf_counter"):
            patched.setattr(time, name, _no_clock)
        for module in (apscheduler.triggers.cron, apscheduler.util):
            patched.setattr(module, "datetime", _ClocklessDatetime)
        fired = replay.fire_times(day, lambda now: soil_a(30.0, 31.0, now))
    assert fired == [SIX_AM, SIX_AM + timedelta(hours=10)]
