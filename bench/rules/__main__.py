"""``python -m bench.rules``: a 180-day season of one greenhouse (20 sensors, one-minute polls) replayed
through 30 rules by the backtest's own replay (engine, safety, arbitration), next to baselines measured
in the same run: the same polls with no rules, and reading stored polls back from the SQLite history.

Prints simulated time ÷ wall time (target ≥ 1,000,000×, issue 17) and the cost of one rule evaluation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.rules.season import GREENHOUSE, bench_rules, bench_site, polls
from contract.messages import Reading, Sample, TelemetryBatch
from desk.backtest import replay
from gateway.storage.points import PointMapper
from gateway.storage.recorded import recorded_polls
from gateway.storage.sqlite import SqliteStore
from rules.model import RuleSet

TARGET_SPEEDUP = 1_000_000  # issue 17
START = datetime(2026, 1, 1, tzinfo=UTC)


def _replay_s(site, ruleset: RuleSet, stream: Iterable[list[Sample]], days: float) -> tuple[float, int, int]:
    gh = site.greenhouse(GREENHOUSE)
    began = time.perf_counter()
    runs, n = replay(stream, site, gh, ruleset, START, START + timedelta(days=days))
    return time.perf_counter() - began, n, len(runs)


def _generate_s(site, days: float) -> float:
    began = time.perf_counter()
    for _ in polls(site.greenhouse(GREENHOUSE), START, days):
        pass
    return time.perf_counter() - began


def _store_read(site, days: float, folder: Path) -> tuple[float, int]:
    gh = site.greenhouse(GREENHOUSE)
    store = SqliteStore(folder / "history.sqlite3")
    mapper = PointMapper(site)
    for seq, poll in enumerate(polls(gh, START, days), start=1):
        readings = [Reading(**sample._asdict()) for sample in poll]  # the wire's form, as the edge sends them
        batch = TelemetryBatch(
            site=site.cooperative.id, greenhouse=gh.id, seq=seq, sent_at=poll[0].ts, readings=readings
        )
        store.write(mapper.telemetry(batch))
    began = time.perf_counter()
    n = sum(len(p) for p in recorded_polls(store, gh, START, START + timedelta(days=days)))
    elapsed = time.perf_counter() - began
    store.close()
    return elapsed, n


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__)
    p.add_argument("--days", type=float, default=180, help="season length replayed (default 180)")
    p.add_argument("--store-days", type=float, default=7, help="days written to and read from SQLite (default 7)")
    args = p.parse_args()
    site, ruleset = bench_site(), bench_rules()
    gh = site.greenhouse(GREENHOUSE)
    sim_s = args.days * 86400
    print(f"{gh.id}: {len(gh.sensors)} sensors, {len(ruleset.rules)} rules, {args.days:g} days of one-minute polls")

    generate = _generate_s(site, args.days)
    print(f"  making the polls alone:     {generate:7.1f} s")
    empty, n_polls, _ = _replay_s(site, RuleSet(version=1), polls(gh, START, args.days), args.days)
    print(f"  replay, no rules:           {empty:7.1f} s  (baseline: polls, safety, arbitration)")
    full, _, runs = _replay_s(site, ruleset, polls(gh, START, args.days), args.days)
    evaluations = n_polls * len(ruleset.rules)
    per_rule_us = (full - empty) / evaluations * 1e6
    speedup = sim_s / full
    print(f"  replay, {len(ruleset.rules)} rules:           {full:7.1f} s  ({runs} actuator runs)")
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        read_s, readings = _store_read(site, args.store_days, Path(tmp))
    read_per_day = read_s / args.store_days
    print(f"  SQLite history read:        {read_s:7.1f} s for {args.store_days:g} days ({readings:,} readings)")

    end_to_end = full + read_per_day * args.days
    met = "MET" if speedup >= TARGET_SPEEDUP else "NOT MET"
    print()
    print(f"  simulated ÷ wall, rules replay:        {speedup:12,.0f}×   target ≥ {TARGET_SPEEDUP:,}×  {met}")
    with_read = sim_s / end_to_end
    print(
        f"  simulated ÷ wall, with the SQLite read: {with_read:11,.0f}×   (read measured on {args.store_days:g} days)"
    )
    print(f"  cost per rule evaluation:               {per_rule_us:8.1f} µs  ({evaluations:,} evaluations)")
    print(f"  baseline, replay without rules:         {sim_s / empty:12,.0f}×")
    results = Path(__file__).resolve().parents[1] / "results"
    results.mkdir(exist_ok=True)
    out = results / f"rules-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "days": args.days,
                "sensors": len(gh.sensors),
                "rules": len(ruleset.rules),
                "polls": n_polls,
                "generate_s": generate,
                "replay_no_rules_s": empty,
                "replay_s": full,
                "speedup": speedup,
                "per_rule_evaluation_us": per_rule_us,
                "store_days": args.store_days,
                "store_read_s": read_s,
                "end_to_end_speedup": sim_s / end_to_end,
            },
            indent=2,
        )
    )
    print(f"results: {out}")


if __name__ == "__main__":
    main()
