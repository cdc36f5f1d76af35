"""Lag from a reading's timestamp to the moment InfluxDB answers a query with it.

A thread polls influxd for the newest stored timestamp of a few sample series. Each
time a series' newest timestamp moves on, it records (time the answer arrived − that
timestamp). The reading became queryable at some moment between the previous poll
being sent and this answer, so each figure is an upper bound, high by at most one
poll interval plus one query's duration. Readings are stamped when the publisher
builds them, so the figure also covers publishing, the broker and the gateway.
"""

from __future__ import annotations

import threading
import time

import httpx

from bench.ingest.site import greenhouse_id, sensor_id

_POLL_S = 0.1


class LagSampler:
    def __init__(self, influx: str, database: str, greenhouses: range, samples: int = 10) -> None:
        picked = [greenhouse_id(g) for g in greenhouses[:: max(1, len(greenhouses) // samples)]][:samples]
        houses = " OR ".join(f"\"greenhouse\" = '{g}'" for g in picked)
        self._query = (
            f'SELECT last("value") FROM "reading" WHERE "sensor" = \'{sensor_id(0)}\' AND ({houses})'
            ' AND time > now() - 10m GROUP BY "greenhouse"'
        )
        self._http = httpx.Client(base_url=influx, timeout=5)
        self._params = {"db": database, "epoch": "ms"}
        self._newest: dict[str, int] = {}
        self.lags_s: list[tuple[float, float]] = []  # (wall time seen, lag in seconds)
        self.polls = 0
        self.failed_polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._http.close()

    def _run(self) -> None:
        while not self._stop.wait(_POLL_S):
            try:
                self._poll()
            except (httpx.HTTPError, KeyError, ValueError):
                self.failed_polls += 1

    def _poll(self) -> None:
        answer = self._http.post("/query", params=self._params, data={"q": self._query}).json()
        seen = time.time()
        self.polls += 1
        for series in answer["results"][0].get("series", []):
            house = series["tags"]["greenhouse"]
            ts_ms = int(series["values"][0][0])
            if ts_ms > self._newest.get(house, 0):
                if house in self._newest:  # the first answer may show a reading stored long ago
                    self.lags_s.append((seen, seen - ts_ms / 1000))
                self._newest[house] = ts_ms
