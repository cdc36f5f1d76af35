"""The table printed at the end of a reliability run, and the verdict: what failed, in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.reliability.damaged import StoreFigures
from bench.reliability.faults import FaultFigures
from bench.reliability.hostile import HostileFigures
from bench.reliability.http_fuzz import FUZZ_TESTS, HttpFuzz

_HEAD = ("", "tried", "reached", "rejected+reason", "died", "survived", "produced", "stored", "lost", "dupl.")


@dataclass(frozen=True)
class Run:
    hostile: HostileFigures | None
    faults: list[FaultFigures]
    stores: list[StoreFigures]
    http: HttpFuzz | None


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _rows(run: Run) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [_HEAD]
    h = run.hostile
    if h is not None:
        rows.append(("(a) hostile MQTT input, by family",))
        for family in sorted(h.tried):
            rows.append((f"  {family}", _n(h.tried[family]), _n(h.delivered[family]), _n(h.refused[family])))
        d = h.delivery
        total = (
            "  all families, good traffic between",
            _n(sum(h.tried.values())),
            _n(sum(h.delivered.values())),
            _n(sum(h.refused.values())),
            _n(len(h.dead)),
            "",
        )
        rows.append(total + ((_n(d.produced), _n(d.stored), _n(d.lost), _n(d.duplicates)) if d else ()))
    if run.faults:
        rows.append(("(b, c) faults under load",))
        for f in run.faults:
            figures = (_n(f.produced), _n(f.stored), _n(f.lost), _n(f.duplicates))
            rows.append((f"  {f.name}", _n(f.tried), "", "", _n(len(f.dead)), _n(f.survived), *figures))
    if run.stores:
        rows.append(("(d) local store damaged (truncated, garbage in the middle, zero bytes), program started",))
        for s in run.stores:
            rows.append((f"  {s.name}", _n(s.tried), "", "", _n(len(s.dead)), _n(s.survived)))
    return rows


def table(run: Run) -> str:
    rows = _rows(run)
    widths = [max(len(r[i]) for r in rows if len(r) > 1 and i < len(r)) for i in range(len(_HEAD))]
    lines = []
    for r in rows:
        if len(r) == 1:  # a section's title
            lines.append(r[0])
            continue
        cells = [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=False))]
        lines.append("  ".join(cells).rstrip())
    lines += _notes(run)
    return "\n".join(lines)


def _notes(run: Run) -> list[str]:
    notes = []
    h = run.hostile
    if h is not None:
        notes.append(
            f"(a) {h.sent_mib:.1f} MiB of hostile input; this process's resident memory peaked"
            f" {h.rss_growth_mib:.0f} MiB above where it started (gateway, live feed, edge agent and sender run in it)."
        )
        if h.delivery is not None:
            d = h.delivery
            notes.append(
                f"(a) good readings of the rig: {d.readings_sent:,} sent, {d.readings_stored:,} stored;"
                f" batches stored that nobody produced: {d.unexpected}."
            )
    for f in run.faults:
        if f.delayed:
            notes.append(
                f"{f.name}: {f.delayed} batches were not stored while the edges ran on; they went when the edges"
                " restarted (edge/mqtt_link.py resends only after a spell with no acknowledgement at all)."
            )
    for s in run.stores:
        notes.append(f"(d) {s.name}: {s.kept_aside} damaged files kept aside beside the new one.")
    if run.http is None:
        notes.append("HTTP fuzzing: skipped (--skip-http).")
    elif not run.http.present:
        notes.append(f"HTTP fuzzing: not run, {FUZZ_TESTS.relative_to(FUZZ_TESTS.parents[3])} does not exist yet.")
    else:
        requests = "no request counted" if run.http.requests is None else f"{run.http.requests:,} requests"
        notes.append(f"HTTP fuzzing ({FUZZ_TESTS.name}): {requests}; pytest: {run.http.outcome or 'no summary'}.")
    return notes


def failures(run: Run) -> list[str]:
    found: list[str] = []
    h = run.hostile
    if h is not None:
        found += [f"(a) {p}" for p in h.problems]
        found += [f"(a) died: {d}" for d in sorted(h.dead)]
        unrefused = {f: h.delivered[f] - h.refused[f] for f in h.tried if h.delivered[f] != h.refused[f]}
        if unrefused:
            found.append(f"(a) delivered but not refused with a reason, by family: {unrefused}")
        if h.delivery is not None:
            d = h.delivery
            if d.lost or d.duplicates or d.unexpected or d.readings_stored != d.readings_sent:
                found.append(f"(a) good traffic: {d}")
    for f in run.faults:
        found += _fault_failures(f.name, f.tried, f.survived, f.dead)
        if f.lost or f.duplicates or f.delayed:
            found.append(f"{f.name}: {f.lost} lost, {f.duplicates} stored twice, {f.delayed} delayed until a restart")
    for s in run.stores:
        found += _fault_failures(s.name, s.tried, s.survived, s.dead)
    if run.http is not None and run.http.present and not run.http.ok:
        found.append(f"HTTP fuzzing failed: {run.http.outcome}")
    return found


def _fault_failures(name: str, tried: int, survived: int, dead: Sequence[str] | set[str]) -> list[str]:
    found = [f"{name}: died: {d}" for d in sorted(dead)]
    if survived < tried:
        found.append(f"{name}: {tried - survived} of {tried} not survived")
    return found
