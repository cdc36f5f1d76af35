"""The replay's output for a fixed seeded week, pinned: every event the edge would have sent and every run, byte
for byte. The replay is made faster often (bench.rules); this fails on any change of what it decides or says."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bench.rules.season import GREENHOUSE, bench_rules, bench_site, polls
from contract.messages import Event, Reading
from desk.backtest import replay
from rules.model import RuleSet, load_rules
from tests.conftest import EXAMPLE_SITE

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 7


def _tomato() -> RuleSet:
    return load_rules(EXAMPLE_SITE.parent / "rules" / "tomato.yaml")


@pytest.mark.parametrize(
    ("rules", "n_events", "n_runs", "digest"),
    [
        (bench_rules, 9971, 1976, "1a0524b0e371ea361b600bb3135e6f91dae19d0e2629acc77960ddf9dde4c44a"),
        (_tomato, 3421, 1336, "0ff2a5e494d00108f951dc9f32325495eb9f0d6af8230594f7e8d31c845713b3"),
    ],
    ids=["bench-30-rules", "tomato"],
)
def test_a_seeded_week_replays_to_the_same_events_and_runs(rules, n_events: int, n_runs: int, digest: str) -> None:
    site = bench_site()
    gh = site.greenhouse(GREENHOUSE)
    events: list[Event] = []
    runs, n = replay(
        polls(gh, START, DAYS), site, gh, rules(), START, START + timedelta(days=DAYS), events=events.append
    )
    assert n == DAYS * 1440
    sha = hashlib.sha256()
    for e in events:
        sha.update(e.model_dump_json().encode())
    for r in runs:
        sha.update(r.model_dump_json().encode())
    assert (len(events), len(runs), sha.hexdigest()) == (n_events, n_runs, digest)


def test_wire_readings_and_samples_replay_alike() -> None:
    """The replay takes plain samples, made once where readings come in; a caller holding the wire's readings (the
    edge, a history reader not yet changed) gets the same events and runs from the same control cycle."""
    site = bench_site()
    gh = site.greenhouse(GREENHOUSE)
    end = START + timedelta(days=1)
    from_samples: list[Event] = []
    from_readings: list[Event] = []
    runs, _ = replay(polls(gh, START, 1), site, gh, bench_rules(), START, end, events=from_samples.append)
    wire = ([Reading(**sample._asdict()) for sample in poll] for poll in polls(gh, START, 1))
    same_runs, _ = replay(wire, site, gh, bench_rules(), START, end, events=from_readings.append)
    assert (from_readings, same_runs) == (from_samples, runs)
    assert len(from_samples) > 1000 and len(runs) > 200
