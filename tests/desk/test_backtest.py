"""``greenhouse rules backtest``: stored history replayed through a rule file, next to what was done —
from a real influxd and from the embedded SQLite store alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.kinds import Quality
from contract.messages import Event, EventKind, Reading, TelemetryBatch
from contract.reasons import Reason
from contract.site_file import load_site
from gateway.storage.model import Store
from gateway.storage.points import PointMapper
from gateway.storage.recorded import backtest_stored
from greenhouse.cli import main
from rules.model import RuleSet
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
# 00:00 in Hà Nội on 15 January 2026.
T0 = datetime(2026, 1, 14, 17, 0, tzinfo=UTC)
HOURS = 8
DRY_A = {
    "id": "dry-a",
    "name": "Đất khô khu A",
    "kind": "threshold",
    "metric": {"sensors": ["soil-a1", "soil-a2"]},
    "below": 28,
    "for_s": 300,
    "action": {"actuator": "valve-a", "on_for_s": 300},
}


def _soil_a_pct(minute: int) -> float:
    """Zone A dries by 0.02 %/min from 31 %: below 28 % from minute 151 on."""
    return 31.0 - 0.02 * minute


def _history() -> tuple[list[TelemetryBatch], list[Event]]:
    batches = []
    for minute in range(HOURS * 60):
        ts = T0 + timedelta(minutes=minute)
        readings = []
        for s in GH.sensors.values():
            value = _soil_a_pct(minute) if s.id in ("soil-a1", "soil-a2") else (s.range.min + s.range.max) / 2
            # One spike in zone A's probes: flagged, so it must not count.
            flagged = s.id == "soil-a1" and minute == 60
            quality, value = (Quality.SPIKE, 5.0) if flagged else (Quality.GOOD, value)
            readings.append(Reading(sensor=s.id, kind=s.kind, value=value, ts=ts, quality=quality))
        batches.append(
            TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=minute + 1, sent_at=ts, readings=readings)
        )
    # What was actually done: zone A watered at 06:00 local (23:00 UTC) by a schedule, for 6 minutes.
    on, off = T0 + timedelta(hours=6), T0 + timedelta(hours=6, minutes=6)
    events = [
        Event(
            site=SITE.cooperative.id,
            greenhouse=GH.id,
            ts=ts,
            kind=EventKind.ACTUATION,
            actuator="valve-a",
            action=action,
            rule="morning" if action == "on" else None,
            reason=reason,
        )
        for ts, action, reason in ((on, "on", Reason.RULE_SCHEDULE), (off, "off", Reason.RUN_FINISHED))
    ]
    return batches, events


@pytest.fixture
def history(open_store: Callable[[], Store]) -> Store:
    store = open_store()
    mapper = PointMapper(SITE)
    batches, events = _history()
    store.write([p for b in batches for p in mapper.telemetry(b)] + [mapper.event(e) for e in events])
    return store


def test_what_the_rules_would_have_done_next_to_what_was_done(history: Store) -> None:
    ruleset = RuleSet.model_validate({"version": 1, "rules": [DRY_A]})
    report = backtest_stored(history, SITE, GH.id, ruleset, T0, T0 + timedelta(hours=HOURS))
    assert report.polls == HOURS * 60
    valve_a = next(a for a in report.actuators if a.actuator == "valve-a")
    # Below 28 % from minute 151; for 5 min → first run at minute 156; then 5 min on, 5 min waiting, …
    # capped by valve-a's safety: at most 4 starts in any hour.
    would = [d.would for d in report.differences if d.would is not None and d.actuator == "valve-a"]
    assert would[0] is not None and would[0].start == T0 + timedelta(minutes=156)
    assert would[0].end == T0 + timedelta(minutes=161) and would[0].rule == "dry-a"
    assert valve_a.would_starts == len([r for r in would])
    assert valve_a.would_starts == 23
    assert all(r.end - r.start == timedelta(minutes=5) for r in would if r.end is not None)
    # The last run is still going when the replay ends: counted up to the end.
    assert valve_a.would_on_h == pytest.approx(
        sum(((r.end or T0 + timedelta(hours=HOURS)) - r.start).total_seconds() for r in would) / 3600
    )
    starts = sorted(r.start for r in would)
    assert all(sum(1 for t in starts if s <= t < s + timedelta(hours=1)) <= 4 for s in starts), "max 4 starts/hour"
    # The schedule's run at 06:00 is what was done and the rules would not have done.
    [did] = [d.did for d in report.differences if d.did is not None]
    assert did is not None and (did.start, did.end, did.rule) == (
        T0 + timedelta(hours=6),
        T0 + timedelta(hours=6, minutes=6),
        "morning",
    )
    assert (valve_a.did_starts, valve_a.did_on_h) == (1, pytest.approx(0.1))
    # The pump followed the valve in the replay, as on the edge.
    pump = next(a for a in report.actuators if a.actuator == "pump")
    assert pump.would_starts >= 1


def test_a_flagged_reading_does_not_drive_the_replayed_rules(history: Store) -> None:
    spike_sensitive = {**DRY_A, "id": "any-dry", "metric": {"sensors": ["soil-a1"]}, "below": 10, "for_s": 30}
    ruleset = RuleSet.model_validate({"version": 1, "rules": [spike_sensitive]})
    report = backtest_stored(history, SITE, GH.id, ruleset, T0, T0 + timedelta(hours=2))
    assert next(a for a in report.actuators if a.actuator == "valve-a").would_starts == 0


def test_the_cli_reads_the_sqlite_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.storage.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "history.sqlite3")
    mapper = PointMapper(SITE)
    batches, events = _history()
    store.write([p for b in batches for p in mapper.telemetry(b)] + [mapper.event(e) for e in events])
    store.close()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RuleSet.model_validate({"version": 1, "rules": [DRY_A]}).model_dump_json(), encoding="utf-8")
    args = ["rules", "backtest", str(rules), "--site", str(EXAMPLE_SITE), "--greenhouse", GH.id]
    span = ["--from", T0.isoformat(), "--to", (T0 + timedelta(hours=HOURS)).isoformat()]
    assert main([*args, *span, "--sqlite", str(tmp_path / "history.sqlite3"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ca-chua-1: 480 polls from 2026-01-15 00:00 to 2026-01-15 08:00\n")
    assert "\n  valve-a: would 23 starts, 1.9 h — did 1 starts, 0.1 h\n" in out
    assert "\n  did only       2026-01-15 06:00–06:06 valve-a (morning)\n" in out
    assert "\n  would only     2026-01-15 02:36–02:41 valve-a (dry-a)\n" in out
