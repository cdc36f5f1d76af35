"""The table printed at the end of a run, and the JSON file with everything measured."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.ingest.servers import MOSQUITTO_TUNING

# Issue 17's targets on this machine: the knee, and the gateway's whole CPU per stored reading.
TARGET_READINGS_PER_S = 60_000
TARGET_P99_LAG_S = 2.0
TARGET_CPU_US_PER_READING = 10.0


def machine() -> dict[str, Any]:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    memory_kb = int(meminfo["MemTotal"].split()[0])
    return {"nproc": os.cpu_count(), "memory_gib": round(memory_kb / 2**20, 1), "load_before": os.getloadavg()}


def _n(value: float, unit: str = "") -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.0f}{unit}"


def _yes(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# Stored within this share of what was offered over the window: kept up (the two rates are sampled a second
# apart from different counters).
_KEPT_UP = 0.98


def _kept_up(s: dict[str, Any]) -> bool:
    return bool(s["stored_readings_per_s"] >= _KEPT_UP * s["offered_readings_per_s"])


def table(results: dict[str, Any]) -> str:
    opts, a, b, s = results["options"], results["baseline_mqtt"], results["baseline_influx"], results["system"]
    lag = s["lag_s"]
    rows = [
        ("", "measured", "baselines, same run", "target", ""),
        ("A: Mosquitto alone", f"{_n(a['readings_per_s'])} readings/s", f"{_n(a['msgs_per_s'])} msg/s", "", ""),
        ("B: influxd alone", f"{_n(b['points_per_s'])} points/s", "", "", ""),
        (
            "System: readings stored",
            f"{_n(s['stored_readings_per_s'])} /s",
            f"A {_n(a['readings_per_s'])} /s, B {_n(b['points_per_s'])} /s",
            f"≥ {TARGET_READINGS_PER_S:,} /s kept up with",
            _yes(_kept_up(s) and s["offered_readings_per_s"] >= TARGET_READINGS_PER_S * _KEPT_UP),
        ),
        ("  offered by publishers", f"{_n(s['offered_readings_per_s'])} /s", "", "", ""),
        ("  received by gateway", f"{_n(s['gateway_received_msgs_per_s'])} msg/s", "", "", ""),
        (
            "System: lag p50 / p99",
            f"{lag['p50']:.2f} s / {lag['p99']:.2f} s",
            f"max {lag['max']:.2f} s, {lag['samples']} samples",
            f"p99 < {TARGET_P99_LAG_S:g} s",
            _yes(lag["p99"] < TARGET_P99_LAG_S),
        ),
        ("Stored / expected readings", f"{s['stored_readings']:,} / {s['expected_readings']:,}", "", "", ""),
    ]
    per_reading = s.get("gateway_cpu_us_per_reading")
    if per_reading is not None:
        rows.append(
            (
                "Gateway CPU per stored reading",
                f"{per_reading:.1f} µs",
                f"decode floor {s['decode_floor_us_per_reading']:.2f} µs (same payload, in-process)",
                f"≤ {TARGET_CPU_US_PER_READING:g} µs",
                _yes(per_reading <= TARGET_CPU_US_PER_READING),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    offered = f"{opts['rate']:,.0f} readings/s" if opts["rate"] else "flat out"
    head = (
        f"Ingest: {opts['greenhouses']} greenhouses × {opts['sensors']} sensors × {opts['polls']} polls per message"
        f" ({opts['encoding']}), {opts['seconds']:g} s,"
        f" offered {offered},"
        f" {opts['publishers']} publisher(s), {opts['gateways']} gateway(s)"
        f" of {opts.get('ingest_processes', 1)} ingest process(es){', with the live feed' if opts.get('live') else ''};"
        f" {results['machine']['nproc']} CPUs, {results['machine']['memory_gib']} GiB"
    )
    lines = [head] + ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if s["drain_s"] is None:
        lines.append("The backlog was not fully stored within the drain time.")
    if s.get("cpu"):
        lines += cpu_lines(s["cpu"], "in the steady window")
    return "\n".join(lines)


def cpu_lines(used: dict[str, Any], when: str) -> list[str]:
    """Each process's cores and the machine's shares, from ``cpu.usage``."""
    cores = ", ".join(f"{name} {n:.2f}" for name, n in used["cores"].items())
    machine = used["machine_pct"]
    return [
        f"CPU {when}, in cores: {cores}",
        f"Machine: {machine['user'] + machine['nice']:.0f} % user, {machine['system'] + machine['softirq']:.0f} %"
        f" system, {machine['idle']:.0f} % idle, {machine['steal']:.0f} % stolen by the hypervisor",
    ]


def save(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str) + "\n")


def assemble(opts: Any, a: dict[str, Any], b: dict[str, Any], s: dict[str, Any], host: dict[str, Any]) -> dict:
    options = {k: v for k, v in asdict(opts).items() if k not in ("workdir", "results")}
    return {
        "options": options,
        "machine": host,
        "mosquitto_tuning": list(MOSQUITTO_TUNING),
        "targets": {
            "readings_per_s": TARGET_READINGS_PER_S,
            "p99_lag_s": TARGET_P99_LAG_S,
            "cpu_us_per_reading": TARGET_CPU_US_PER_READING,
        },
        "baseline_mqtt": a,
        "baseline_influx": b,
        "system": s,
    }
