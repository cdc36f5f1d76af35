"""Under load the receiver's commits and the writer's passes gather what came in, instead of taking it one message
at a time: counted on the real spool, with a real Mosquitto, and bounded by the time the work took."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract import topics
from contract.clock import Clock
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.site_file import load_site
from gateway.ingest import receiver as receiver_module
from gateway.ingest import writer as writer_module
from gateway.ingest.receiver import Receiver
from gateway.ingest.spool import Queued, Received, Rejection, Spool
from gateway.ingest.validate import Validator
from gateway.ingest.writer import Writer
from gateway.live.registry import Registry
from gateway.storage.points import PointMapper
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
HOUSE = SITE.greenhouses[0].id
NOW = datetime.now(UTC).replace(microsecond=0)


class _CountedSpool(Spool):
    """The real spool, noting when each commit and each take that found rows began, and their sizes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits: list[tuple[float, int]] = []
        self.takes: list[tuple[float, int]] = []

    def commit(self, accepted: Sequence[Received], rejected: Sequence[Rejection]) -> None:
        self.commits.append((time.monotonic(), len(accepted) + len(rejected)))
        super().commit(accepted, rejected)

    def take(self, limit: int, max_readings: int) -> list[Queued]:
        started = time.monotonic()
        rows = super().take(limit, max_readings)
        if rows:
            self.takes.append((started, sum(r.readings for r in rows)))
        return rows


def _batch(seq: int) -> bytes:
    at = NOW - timedelta(seconds=600 - seq)
    readings = [
        Reading(sensor=f"s{i}", kind=SensorKind.AIR_TEMP_C, value=20.0 + i, ts=at, quality=Quality.GOOD)
        for i in range(10)
    ]
    return TelemetryBatch(site=SITE_ID, greenhouse=HOUSE, seq=seq, sent_at=at, readings=readings).to_json()


def _at_most(events: list[tuple[float, int]], every_s: float, full: int) -> int:
    """How many of these a loop that starts one at most every ``every_s`` (or at once when ``full`` are waiting)
    can have begun between the first and the last: one more for the first, and one for the jitter between when
    the loop starts and when the spool is reached."""
    span = events[-1][0] - events[0][0]
    return 2 + int(span / every_s) + sum(1 for _t, n in events if n >= full)


def test_messages_coming_in_a_stream_are_committed_in_few_groups_and_all_of_them_kept(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    spool = _CountedSpool(tmp_path / "spool.sqlite3")
    receiver = Receiver(url, SITE_ID, Validator(SITE), spool, Clock(), "gw-test")
    receiver.start()
    edge = make_client(url, "edge")
    edge.max_inflight_messages_set(0)
    edge.connect(url.host, url.port)
    edge.loop_start()
    try:
        assert receiver.subscribed.wait(10), "the receiver subscribed"
        topic = topics.topic(SITE_ID, HOUSE, topics.Channel.TELEMETRY)
        sent = []
        for n in range(1, 301):  # one message every 5 ms for a second and a half, as a loaded gateway's come
            sent.append(edge.publish(topic, _batch(n), qos=1))
            time.sleep(0.005)
        for info in sent:
            info.wait_for_publish(10)
        deadline = time.monotonic() + 20
        while sum(n for _t, n in spool.commits) < 300:
            assert time.monotonic() < deadline, f"{sum(n for _t, n in spool.commits)} of 300 committed"
            time.sleep(0.05)
        assert spool.depth() == 300, "every batch kept once"
        assert receiver.counters.accepted == 300
        bound = _at_most(spool.commits, receiver_module._GATHER_S, receiver_module._GROUP_MAX)
        sizes = [n for _t, n in spool.commits]
        assert len(spool.commits) <= bound, f"{len(sizes)} commits, at most {bound} expected: {sizes}"
    finally:
        edge.loop_stop()
        receiver.stop()
        spool.close()


def test_while_messages_trickle_in_the_writer_takes_them_in_few_passes_and_stores_all(tmp_path: Path) -> None:
    spool = _CountedSpool(tmp_path / "spool.sqlite3")
    store = SqliteStore(tmp_path / "history.sqlite3")
    writer = Writer(spool, store, PointMapper(SITE), Registry(SITE), Clock())
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        for n in range(1, 201):  # one message every 5 ms for a second, as a loaded gateway's commits come
            spool.commit([Received("telemetry", _batch(n))], [])
            time.sleep(0.005)
        deadline = time.monotonic() + 20
        while spool.depth():
            assert time.monotonic() < deadline, f"{spool.depth()} rows still spooled"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert writer.written_points == 200 * 11, "each batch's 10 readings and its own point"
    bound = _at_most(spool.takes, writer_module._PASS_EVERY_S, writer_module._READINGS_PER_WRITE)
    sizes = [n for _t, n in spool.takes]
    assert len(spool.takes) <= bound, f"{len(sizes)} passes, at most {bound} expected: {sizes}"
    store.close()
