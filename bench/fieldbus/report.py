"""What a run measured (JSON with ``--json``), the figures drawn from it, and the table printed at the end."""

from __future__ import annotations

import math

from pydantic import BaseModel

from bench.fieldbus.cycles import Cycle, median

TARGET_RATIO = 1.3  # issue 12: a full cycle at most 1.3× its wire time, all devices answering
POLL_S = 30.0  # the edge's default poll interval (contract.site.Greenhouse.poll_interval_s)


class Run(BaseModel):
    """What was measured, as it was."""

    devices: int
    baud: int
    timeout_s: float  # the bus's timeout: what one device that does not answer may add to a cycle
    quarantine_first_s: float
    dead_node: str
    dead_address: int
    answering: list[Cycle]  # every device answering
    dead: list[Cycle]  # then one device dead, from the cycle it died on
    # The machine: its CPUs, their 1-minute load before and after the run (other programs' share), and the CPU
    # time this process used (line, edge and bench threads together).
    cpus: int
    load_before: float
    load_after: float
    cpu_s: float


class Figures(BaseModel):
    """What the run says. Growth: a cycle with the device dead, less the median cycle with all answering."""

    cycle_median_s: float
    cycle_worst_s: float
    wire_median_s: float
    ratio_median: float
    ratio_worst: float
    exchanges_per_cycle: int
    # Beyond the wire time, per cycle (median): the simulated devices' turnaround; the master's time between an
    # answer and its next request beyond the 3.5 characters it must wait (and that per exchange); the rest.
    turnaround_per_cycle_s: float
    master_extra_per_cycle_s: float
    master_extra_median_ms: float
    rest_per_cycle_s: float
    # One device dead: the cycles until it was quarantined, the steady ones after (no request to it), and those
    # in which its quarantine ran out and it was probed once.
    first_growth_s: list[float]
    steady_growth_s: list[float]
    probe_growth_s: list[float]
    cost_per_timeout_s: float  # what one unanswered request costs: its timeout and the settling after it
    steady_worst_edge_s: float  # the master's extra time in the slowest steady cycle: a CPU it waited for?
    ratio_met: bool  # at the median
    ratio_worst_met: bool
    first_met: bool
    steady_met: bool | None  # at the median; None: no such cycle measured
    steady_worst_met: bool | None
    probe_met: bool | None
    # For the technician: this mix's cycle shared out over its devices, and how many a 30 s poll carries.
    per_device_s: float
    devices_per_poll: int


class Report(BaseModel):
    run: Run
    figures: Figures


def _within(growth: list[float], timeout_s: float) -> bool | None:
    return max(growth) <= timeout_s if growth else None


def figures(run: Run) -> Figures:
    answering = run.answering
    cycle_median = median([c.wall_s for c in answering])
    quarantined_at = next((i for i, c in enumerate(run.dead) if c.dead_quarantined), len(run.dead))
    first, after = run.dead[: quarantined_at + 1], run.dead[quarantined_at + 1 :]
    steady = [c for c in after if not c.dead_probed]
    first_growth = [c.wall_s - cycle_median for c in first]
    steady_growth = [c.wall_s - cycle_median for c in steady]
    probe_growth = [c.wall_s - cycle_median for c in after if c.dead_probed]
    timeouts = sum(c.timeouts for c in first)
    slowest = max(steady, key=lambda c: c.wall_s, default=None)
    per_device = cycle_median / run.devices
    return Figures(
        cycle_median_s=cycle_median,
        cycle_worst_s=max(c.wall_s for c in answering),
        wire_median_s=median([c.wire_s for c in answering]),
        ratio_median=median([c.ratio for c in answering]),
        ratio_worst=max(c.ratio for c in answering),
        exchanges_per_cycle=answering[0].requests,
        turnaround_per_cycle_s=median([c.turnaround_s for c in answering]),
        master_extra_per_cycle_s=median([sum(c.master_extra_s) for c in answering]),
        master_extra_median_ms=1000 * median([x for c in answering for x in c.master_extra_s]),
        rest_per_cycle_s=median([c.rest_s for c in answering]),
        first_growth_s=first_growth,
        steady_growth_s=steady_growth,
        probe_growth_s=probe_growth,
        cost_per_timeout_s=sum(first_growth) / timeouts if timeouts else math.nan,
        steady_worst_edge_s=sum(slowest.master_extra_s) if slowest is not None else math.nan,
        ratio_met=median([c.ratio for c in answering]) <= TARGET_RATIO,
        ratio_worst_met=max(c.ratio for c in answering) <= TARGET_RATIO,
        first_met=bool(_within(first_growth, run.timeout_s)),
        steady_met=median(steady_growth) <= run.timeout_s if steady_growth else None,
        steady_worst_met=_within(steady_growth, run.timeout_s),
        probe_met=_within(probe_growth, run.timeout_s),
        per_device_s=per_device,
        devices_per_poll=math.floor(POLL_S / per_device),
    )


def _verdict(met: bool | None) -> str:
    return "n/a (none measured)" if met is None else ("MET" if met else "NOT MET")


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:7.1f} ms"


def _spread(values: list[float]) -> str:
    if not values:
        return "none"
    return f"{len(values)} cycles, median {1000 * median(values):+.0f} ms, worst {1000 * max(values):+.0f} ms"


def table(report: Report) -> str:
    r, f = report.run, report.figures
    timeout_ms = 1000 * r.timeout_s
    w = 42  # the labels' column

    def row(label: str, *cells: str) -> str:
        return (f"  {label:<{w}}" + "  ".join(cells)).rstrip()

    each_turnaround_ms = 1000 * f.turnaround_per_cycle_s / f.exchanges_per_cycle
    worst_edge = f"(the edge's gaps in that one: {1000 * f.steady_worst_edge_s:.0f} ms)" if f.steady_growth_s else ""
    return "\n".join(
        [
            f"Field bus: {r.devices} devices on one RTU line at {r.baud} baud, timeout {timeout_ms:.0f} ms,"
            f" {f.exchanges_per_cycle} requests per cycle",
            f"Machine: {r.cpus} CPUs, load {r.load_before:.1f} before and {r.load_after:.1f} after; this run used"
            f" {r.cpu_s:.1f} s of CPU",
            "",
            f"{f'All answering, {len(r.answering)} cycles':<{w + 2}}{'cycle':>10}  {'wire time':>10}  cycle ÷ wire",
            row("median", _ms(f.cycle_median_s), _ms(f.wire_median_s), f"{f.ratio_median:6.3f}"),
            row("worst", _ms(f.cycle_worst_s), " " * 10, f"{f.ratio_worst:6.3f}"),
            row(
                f"target: cycle ≤ {TARGET_RATIO}× wire time",
                f"median {_verdict(f.ratio_met)}, worst cycle {_verdict(f.ratio_worst_met)}",
            ),
            "  beyond the wire time, per cycle (median):",
            row(f"  devices' turnaround (simulated, {each_turnaround_ms:.0f} ms)", _ms(f.turnaround_per_cycle_s)),
            row(
                "  edge, from an answer to the next request",
                _ms(f.master_extra_per_cycle_s),
                f"({f.master_extra_median_ms:.2f} ms per exchange beyond its 3.5 characters)",
            ),
            row("  the rest (simulator's pacing, start, end)", _ms(f.rest_per_cycle_s)),
            "",
            f"One device dead ({r.dead_node}, address {r.dead_address}): the cycle's growth over the median above",
            row(
                "until quarantined",
                ", ".join(f"{1000 * g:+.0f} ms" for g in f.first_growth_s),
                f"({1000 * f.cost_per_timeout_s:.0f} ms per unanswered request: timeout, then settling)",
            ),
            row("steady, after quarantine", _spread(f.steady_growth_s)),
            row("probing the dead device", _spread(f.probe_growth_s), f"(after {r.quarantine_first_s:g} s, doubling)"),
            row(f"target: growth ≤ one timeout ({timeout_ms:.0f} ms)"),
            row(
                "  steady cycles",
                f"median {_verdict(f.steady_met)}, worst cycle {_verdict(f.steady_worst_met)}",
                worst_edge,
            ),
            row("  cycles until quarantined", _verdict(f.first_met)),
            row("  cycles with a probe", _verdict(f.probe_met)),
            "",
            f"Per device {1000 * f.per_device_s:.1f} ms: a {POLL_S:g} s poll carries about {f.devices_per_poll}"
            f" devices of this mix at {r.baud} baud, all answering.",
        ]
    )
