"""Baseline B: influxd alone, fed the gateway's own layout of readings as fast as it accepts them.

The lines are built from per-series prefixes made once, so the client costs little next to
the server: ``reading,greenhouse=…,kind=…,sensor=…,site=…[,zone=…] quality="good",value=… <ms>``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from bench.ingest.payloads import VARIANTS
from bench.ingest.site import SITE_ID, bench_site, sensor_kind
from contract.kinds import SensorKind

LINES_PER_REQUEST = 10_000


@dataclass(frozen=True)
class InfluxLoadResult:
    points: int
    requests: int
    seconds: float
    writers: int

    @property
    def points_per_s(self) -> float:
        return self.points / self.seconds


def _series(greenhouses: int, sensors: int) -> list[list[bytes]]:
    """For each series, its line up to the timestamp, in each value variant."""
    site = bench_site(1, sensors)
    zone_of = {s: z.id for z in site.greenhouses[0].zones for s in z.soil_sensors}
    lines = []
    for g in range(greenhouses):
        for i, sensor in enumerate(site.greenhouses[0].sensors.values()):
            kind, typical, _range = sensor_kind(i)
            zone = f",zone={zone_of[sensor.id]}" if kind is SensorKind.SOIL_VWC_PCT else ""
            key = f"reading,greenhouse=gh-{g:04d},kind={kind.value},sensor={sensor.id},site={SITE_ID}{zone}"
            values = [round(typical * (1 + 0.01 * v) + 0.1 * i, 3) for v in range(VARIANTS)]
            lines.append([f'{key} quality="good",value={value!r} '.encode() for value in values])
    return lines


class _Feeder:
    """Hands out request bodies: every series once per round, each round one millisecond later."""

    def __init__(self, series: list[list[bytes]], start_ms: int) -> None:
        self._series = series
        self._next = 0
        self._start_ms = start_ms
        self._lock = threading.Lock()

    def body(self) -> bytes:
        with self._lock:
            first, self._next = self._next, self._next + LINES_PER_REQUEST
        parts = []
        for n in range(first, first + LINES_PER_REQUEST):
            rnd, s = divmod(n, len(self._series))
            parts.append(self._series[s][rnd % VARIANTS] + b"%d\n" % (self._start_ms + rnd))
        return b"".join(parts)


def write_flat_out(
    url: str, database: str, greenhouses: int, sensors: int, seconds: float, writers: int
) -> InfluxLoadResult:
    feeder = _Feeder(_series(greenhouses, sensors), int(time.time() * 1000) - 3_600_000)
    totals = {"points": 0, "requests": 0}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def writer() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < end:
                response = http.post("/write", params={"db": database, "precision": "ms"}, content=feeder.body())
                response.raise_for_status()
                with lock:
                    totals["points"] += LINES_PER_REQUEST
                    totals["requests"] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=writer, daemon=True) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return InfluxLoadResult(totals["points"], totals["requests"], time.monotonic() - started, writers)
