"""Publishes telemetry batches at a steady rate, the way many edge agents would, and remembers what the broker took."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta

import paho.mqtt.client as paho

from contract import topics
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.site import Greenhouse, SiteConfig


class BatchLoad:
    def __init__(self, url: BrokerUrl, site: SiteConfig, start: datetime, step_s: float = 30.0) -> None:
        self.site = site
        self.start_ts = start
        self.step = timedelta(seconds=step_s)
        self.acked: set[tuple[str, int]] = set()  # (greenhouse, seq) the broker acknowledged
        self._mids: dict[int, tuple[str, int]] = {}
        self._early: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.client = make_client(url, f"load-{uuid.uuid4().hex[:6]}")
        self.client.max_inflight_messages_set(200)
        self.client.on_publish = self._on_publish
        self.client.connect(url.host, url.port)
        self.client.loop_start()
        self._thread: threading.Thread | None = None

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, _rc: object, _p: object) -> None:
        with self._lock:
            key = self._mids.pop(mid, None)
            if key is None:
                self._early.add(mid)
            else:
                self.acked.add(key)

    def batch(self, gh: Greenhouse, seq: int) -> TelemetryBatch:
        ts = self.start_ts + self.step * seq
        readings = [
            Reading(sensor=s.id, kind=s.kind, value=round(20 + (seq % 50) * 0.1 + i, 3), ts=ts, quality=Quality.GOOD)
            for i, s in enumerate(gh.sensors.values())
        ]
        return TelemetryBatch(site=self.site.cooperative.id, greenhouse=gh.id, seq=seq, sent_at=ts, readings=readings)

    def start(self, batches_per_s: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(batches_per_s,), daemon=True)
        self._thread.start()

    def _run(self, batches_per_s: float) -> None:
        seq = 0
        pause = len(self.site.greenhouses) / batches_per_s
        while not self._stop.is_set():
            seq += 1
            for gh in self.site.greenhouses:
                payload = self.batch(gh, seq).to_json()
                info = self.client.publish(
                    topics.topic(self.site.cooperative.id, gh.id, topics.Channel.TELEMETRY), payload, qos=1
                )
                with self._lock:
                    if info.mid in self._early:
                        self._early.discard(info.mid)
                        self.acked.add((gh.id, seq))
                    else:
                        self._mids[info.mid] = (gh.id, seq)
            time.sleep(pause)

    def stop(self, settle_s: float = 3.0) -> set[tuple[str, int]]:
        """Stop publishing, wait up to ``settle_s`` for the last acknowledgements; return what was acknowledged.
        A second call only returns that again."""
        if not self._stop.is_set():
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            deadline = time.monotonic() + settle_s
            while self._mids and time.monotonic() < deadline:
                time.sleep(0.05)
            self.client.loop_stop()
            self.client.disconnect()
        with self._lock:
            return set(self.acked)
