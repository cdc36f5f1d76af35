"""Where the machine's CPU went over a window: the whole machine (with the hypervisor's steal) and each process."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    machine: dict[str, int]  # ticks since boot, summed over CPUs
    processes: dict[str, float]  # CPU seconds (user + system) of each named process


def _machine() -> dict[str, int]:
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    return dict(zip(_FIELDS, map(int, first[1 : 1 + len(_FIELDS)]), strict=True))


def _process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def snapshot(pids: dict[str, list[int]]) -> CpuSnapshot:
    return CpuSnapshot(
        time.time(),
        _machine(),
        {name: sum(_process_seconds(p) for p in group) for name, group in pids.items()},
    )


def usage(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, object]:
    """Machine time by kind in % of all CPUs, and each process in cores (1.0 = one CPU all the time)."""
    ticks = {k: after.machine[k] - before.machine[k] for k in _FIELDS}
    total = sum(ticks.values()) or 1
    wall = after.wall - before.wall
    return {
        "machine_pct": {k: round(100 * v / total, 1) for k, v in ticks.items()},
        "cores": {k: round((after.processes[k] - before.processes[k]) / wall, 2) for k in after.processes},
        "seconds": round(wall, 1),
    }
