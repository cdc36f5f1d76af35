"""Backpressure and fair draining: a backlog is taken only while the spool has room, behind live data, and none of
it is lost while it waits at the broker (real Mosquitto, the real receiver, spool and writer)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from bench.ingest.site import bench_site
from contract import topics
from contract.clock import Clock
from contract.kinds import Quality, SensorKind
from contract.messages import DeliveryAck, Reading, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.site import SiteConfig
from contract.site_file import load_site
from contract.wire import decode
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from gateway.ingest import receiver as receiver_module
from gateway.ingest.backpressure import HOLD_S, Backpressure
from gateway.ingest.receiver import _RECEIVE_MAXIMUM, Lane, Receiver, Room
from gateway.ingest.spool import Received, Spool
from gateway.ingest.validate import Validator
from gateway.ingest.writer import Writer
from gateway.live.registry import Registry
from gateway.storage.model import Point, StoreUnavailable
from gateway.storage.points import PointMapper
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.gateway import started_gateway
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
LATE, LIVE = SITE.greenhouses[0], SITE.greenhouses[1]
NOW = datetime.now(UTC).replace(microsecond=0)


def _batch(gh: str, seq: int, at: datetime, polls: int = 1) -> TelemetryBatch:
    readings = [
        Reading(sensor=f"s{i}", kind=SensorKind.AIR_TEMP_C, value=20.0 + i, ts=at, quality=Quality.GOOD)
        for i in range(10 * polls)
    ]
    return TelemetryBatch(site=SITE_ID, greenhouse=gh, seq=seq, sent_at=at, readings=readings)


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _spooled(spool: Spool) -> dict[str, list[int]]:
    """The telemetry numbers in the spool, by greenhouse."""
    by_house: dict[str, list[int]] = {}
    for row in spool.take(100_000, 10_000_000):
        batch = decode(TelemetryBatch, row.payload, 1 << 20)
        assert isinstance(batch, TelemetryBatch)
        by_house.setdefault(batch.greenhouse, []).append(batch.seq)
    return by_house


def test_a_backlog_waits_at_the_broker_while_live_readings_are_taken_and_is_taken_whole_when_there_is_room(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    spool = Spool(tmp_path / "spool.sqlite3")
    room = threading.Event()  # the backlog's room; live data always has room here
    receiver = Receiver(
        url, SITE_ID, Validator(SITE), spool, Clock(), "gw-test", room=lambda lane: lane is Lane.LIVE or room.is_set()
    )
    receiver.start()
    assert receiver.subscribed.wait(10), "the receiver subscribed on both connections"
    acks: dict[str, list[int]] = {}
    lock = threading.Lock()

    def heard(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        ack = decode(DeliveryAck, bytes(msg.payload), 1 << 20)
        assert isinstance(ack, DeliveryAck)
        with lock:
            acks.setdefault(ack.greenhouse, []).extend(ack.telemetry)

    listener = make_client(url, "acks")
    listener.on_message = heard
    listener.connect(url.host, url.port)
    listener.subscribe(topics.subscription(topics.Channel.STORED, SITE_ID), qos=1)
    listener.loop_start()
    edges = make_client(url, "edges")
    edges.connect(url.host, url.port)
    edges.loop_start()
    late_topic = topics.topic(SITE_ID, LATE.id, topics.Channel.BACKLOG)
    live_topic = topics.topic(SITE_ID, LIVE.id, topics.Channel.TELEMETRY)
    try:
        time.sleep(0.3)
        day_ago = NOW - timedelta(days=1)
        sent = [
            edges.publish(late_topic, _batch(LATE.id, n, day_ago + timedelta(minutes=2 * n)).to_json(), qos=1)
            for n in range(1, 401)
        ]
        sent += [
            edges.publish(live_topic, _batch(LIVE.id, n, NOW - timedelta(seconds=30 * (5 - n))).to_json(), qos=1)
            for n in range(1, 6)
        ]
        for info in sent:
            info.wait_for_publish(10)
        _wait(lambda: _spooled(spool).get(LIVE.id) == [1, 2, 3, 4, 5], 10, "the live batches spooled")
        time.sleep(0.5)
        assert LATE.id not in _spooled(spool), "no room: nothing of the backlog is taken"
        held = receiver.held_back(Lane.BACKLOG)
        assert 0 < held <= _RECEIVE_MAXIMUM[Lane.BACKLOG], "the broker keeps the rest (Receive Maximum)"
        with lock:
            assert acks == {LIVE.id: [1, 2, 3, 4, 5]}, "only what is on disk is acknowledged to its edge"
        room.set()
        _wait(lambda: len(_spooled(spool).get(LATE.id, [])) == 400, 20, "the whole backlog spooled")
        assert sorted(_spooled(spool)[LATE.id]) == list(range(1, 401)), "all of it, each batch once"
        _wait(lambda: len(acks.get(LATE.id, [])) == 400, 10, "the backlog acknowledged to its edge")
        with lock:
            assert sorted(acks[LATE.id]) == list(range(1, 401)), "as telemetry, by number"
        assert receiver.counters.rejected == 0
    finally:
        edges.loop_stop()
        listener.loop_stop()
        receiver.stop()
        spool.close()


@contextmanager
def _receiver_and_edges(
    tmp_path: Path, site: SiteConfig, spool: Spool, name: str, room: Room, extra_conf: str = "", mqtt5: bool = True
) -> Iterator[tuple[Receiver, paho.Client]]:
    """A real Mosquitto, a receiver on it spooling into ``spool``, which no writer drains (taking while ``room``
    says so), and a client that publishes as the edges do."""
    mosquitto = Mosquitto(tmp_path / "mosquitto", extra_conf)
    mosquitto.start()
    url = BrokerUrl.parse(mosquitto.url)
    receiver = Receiver(
        url,
        site.cooperative.id,
        Validator(site),
        spool,
        Clock(),
        f"gw-{name}",
        share_group=None,
        mqtt5=mqtt5,
        room=room,
    )
    receiver.start()
    assert receiver.subscribed.wait(10), "the receiver subscribed on both connections"
    edges = make_client(url, f"edges-{name}")
    edges.connect(url.host, url.port)
    edges.loop_start()
    try:
        yield receiver, edges
    finally:
        edges.loop_stop()
        receiver.stop()
        spool.close()
        mosquitto.stop()


def _offer(edges: paho.Client, site: SiteConfig, count: int, at: datetime, pause_every: int = 0) -> None:
    """Batches numbered 1 to ``count`` of one reading each, round the site's greenhouses, pausing 0.05 s every
    ``pause_every`` of them (0: none)."""
    for n in range(1, count + 1):
        gh = site.greenhouses[n % len(site.greenhouses)].id
        reading = Reading(sensor="s00", kind=SensorKind.AIR_TEMP_C, value=20, ts=at, quality=Quality.GOOD)
        batch = TelemetryBatch(site=site.cooperative.id, greenhouse=gh, seq=n, sent_at=at, readings=[reading])
        edges.publish(topics.topic(site.cooperative.id, gh, topics.Channel.TELEMETRY), batch.to_json(), qos=1)
        if pause_every and n % pause_every == 0:
            time.sleep(0.05)  # sent on while the lane fills, as edges do in overload


def test_a_full_lane_holds_no_more_than_its_receive_maximum_after_acknowledgements_flowed(tmp_path: Path) -> None:
    """A broker may send past the Receive Maximum (Mosquitto 2.0 does, under the bench's load, once
    acknowledgements flow; here an MQTT 3.1.1 session with no limit in flight sends everything at once): the lane's
    network thread stops reading instead, so that in overload the gateway neither decodes nor keeps in memory what
    it cannot store yet, and takes it all once there is room."""
    site = bench_site(200, 1)
    room_for = 1200  # batches (one reading each) the spool takes, then no more: no writer drains it
    spool = Spool(tmp_path / "spool.sqlite3")
    no_limit = "max_inflight_messages 0\n"
    with _receiver_and_edges(
        tmp_path, site, spool, "full", lambda _l: spool.depth() < room_for, no_limit, mqtt5=False
    ) as (receiver, edges):
        _offer(edges, site, 3600, NOW - timedelta(minutes=10), pause_every=200)
        _wait(lambda: spool.depth() >= room_for, 20, "the room taken")
        time.sleep(1.5)  # the broker has had the acknowledgements of what was taken, and time to send more
        held = receiver.held_back(Lane.LIVE)
        assert held <= _RECEIVE_MAXIMUM[Lane.LIVE], f"{held} messages held in memory"
        room_for = 10**9
        _wait(lambda: spool.depth() == 3600, 30, "everything spooled once there is room")
        assert receiver.counters.rejected == 0


def test_a_lane_held_full_for_several_keepalives_keeps_its_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A full lane reads nothing from its socket, yet the broker's answers to its pings must come in: otherwise paho
    takes its own silence for a dead broker, drops the connection, and the broker sends all in flight again."""
    monkeypatch.setattr(receiver_module, "_KEEPALIVE_S", 2)  # so that several keepalives pass in seconds
    site = bench_site(20, 1)
    room = threading.Event()
    offered = _RECEIVE_MAXIMUM[Lane.LIVE] + 500
    spool = Spool(tmp_path / "spool.sqlite3")
    with _receiver_and_edges(tmp_path, site, spool, "held", lambda _l: room.is_set()) as (receiver, edges):
        _offer(edges, site, offered, NOW)
        _wait(lambda: receiver.held_back(Lane.LIVE) >= _RECEIVE_MAXIMUM[Lane.LIVE], 20, "the live lane full")
        with caplog.at_level(logging.WARNING, logger=receiver_module.__name__):
            time.sleep(6)  # three keepalives with the lane full: paho gave up after two
        assert [r.getMessage() for r in caplog.records if r.name == receiver_module.__name__] == []
        room.set()
        _wait(lambda: receiver.counters.accepted == offered, 30, "everything spooled once there is room")
        time.sleep(0.5)
        assert (receiver.counters.received, spool.depth()) == (offered, offered), "the broker sent nothing twice"


class _DownStore(SqliteStore):
    """The history store, unreachable for as long as ``down`` is set."""

    down = False

    def write(self, points: Sequence[Point]) -> None:
        if self.down:
            raise StoreUnavailable("history store unreachable")
        super().write(points)


def test_each_lane_has_room_for_a_few_seconds_of_the_writers_measured_work_and_all_while_the_store_is_down(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    store = _DownStore(tmp_path / "history.sqlite3")
    writer = Writer(spool, store, PointMapper(SITE), Registry(SITE), Clock())
    room = Backpressure(spool, writer)
    # 200 readings a batch; 300 batches: 60,000 readings queued
    batches = [_batch(LIVE.id, n, NOW - timedelta(seconds=n), polls=20) for n in range(1, 301)]
    spool.commit([Received("telemetry", b.to_json(), b) for b in batches], [])
    assert spool.queued_readings() == 60_000
    writer.readings_per_s = 60_000 / (HOLD_S[Lane.LIVE] + 1)
    assert not room(Lane.BACKLOG) and not room(Lane.LIVE), "more work queued than either lane waits for"
    writer.readings_per_s = 60_000 / ((HOLD_S[Lane.LIVE] + HOLD_S[Lane.BACKLOG]) / 2)
    assert room(Lane.LIVE) and not room(Lane.BACKLOG), "live data has room for longer"
    store.down = True
    try:
        writer.drain_once()
    except StoreUnavailable:
        writer.store_down = True  # as the writer's loop notes it
    assert room(Lane.BACKLOG) and room(Lane.LIVE), "store down: the spool is the buffer, everything is taken"
    store.down = False
    writer.store_down = False
    writer.readings_per_s = 1.0
    while writer.drain_once():
        pass
    assert spool.queued_readings() == 0 and spool.depth() == 0
    assert writer.readings_per_s > 1_000, "the writer measured its rate on the passes it made"
    assert room(Lane.BACKLOG)
    spool.close()
    store.close()


def test_the_spool_counts_readings_and_takes_a_writes_worth(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    batches = [_batch(LIVE.id, n, NOW - timedelta(seconds=n), polls=n) for n in range(1, 6)]  # 10..50 readings
    spool.commit([Received("telemetry", b.to_json(), b) for b in batches], [])
    assert spool.queued_readings() == 150
    taken = spool.take(100, 60)
    assert [r.readings for r in taken] == [10, 20, 30], "no more readings than asked"
    assert [r.readings for r in spool.take(100, 5)] == [10], "but always the first row"
    spool.done(taken[:2])
    assert spool.queued_readings() == 120 and spool.depth() == 3
    spool.close()
    again = Spool(tmp_path / "spool.sqlite3")
    assert again.queued_readings() == 120, "counted from the file after a restart"
    again.close()


def test_live_rows_are_stored_before_a_backlog_spooled_ahead_of_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    late = [_batch(LATE.id, n, NOW - timedelta(hours=10, minutes=-n)) for n in range(1, 201)]
    spool.commit([Received("telemetry", b.to_json(), b, late=True) for b in late], [])
    live = [_batch(LIVE.id, n, NOW - timedelta(seconds=30 * (3 - n))) for n in range(1, 4)]
    spool.commit([Received("telemetry", b.to_json(), b) for b in live], [])
    store = SqliteStore(tmp_path / "history.sqlite3")
    writer = Writer(spool, store, PointMapper(SITE), Registry(SITE), Clock())
    first = spool.take(10, 1_000_000)
    assert [decode(TelemetryBatch, r.payload, 1 << 20) for r in first[:3]] == live, "live rows first"
    writer.drain_once()
    assert [int(p.fields["seq"]) for p in _stored(store, LIVE.id)] == [1, 2, 3], "stored in the first write"
    while writer.drain_once():
        pass
    assert sorted(int(p.fields["seq"]) for p in _stored(store, LATE.id)) == list(range(1, 201)), "then the backlog"
    assert spool.depth() == 0 and spool.queued_readings() == 0
    spool.close()
    store.close()


def _stored(store: SqliteStore, gh: str) -> list[Point]:
    return store.rows("batch", {"greenhouse": gh}, NOW - timedelta(days=2), NOW + timedelta(days=1), 100_000)


def test_edges_catching_up_on_the_backlog_topic_are_stored_once_each_and_their_outboxes_emptied(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    """Real edge links with ``backlog_apart`` and outboxes full from an outage, through the real gateway."""
    url = BrokerUrl.parse(mosquitto.url)
    history = tmp_path / "history.sqlite3"
    gateway = started_gateway(SITE, history, url, tmp_path)
    links: list[tuple[Outbox, MqttLink]] = []
    for gh in (LATE, LIVE):
        box = Outbox(tmp_path / f"{gh.id}-outbox.sqlite3")
        telemetry = topics.topic(SITE_ID, gh.id, topics.Channel.TELEMETRY)
        for _ in range(300):  # a day of batches kept through an outage
            box.put_numbered(
                "telemetry", telemetry, lambda n, g=gh.id: _batch(g, n, NOW - timedelta(minutes=300 - n)).to_json()
            )
        links.append((box, MqttLink(url, SITE_ID, gh.id, box, backlog_apart=True)))
    try:
        for _box, link in links:
            link.start()
        deadline = time.monotonic() + 60
        while any(box.depth() for box, _ in links) and time.monotonic() < deadline:
            for _box, link in links:
                link.pump()
            time.sleep(0.02)
        assert not any(box.depth() for box, _ in links), "every outbox emptied by the gateway's acknowledgements"
        _wait(lambda: gateway.spool.depth() == 0, 20, "the spool written out")
    finally:
        for _box, link in links:
            link.stop()
        gateway.stop()
    check = SqliteStore(history)
    for gh in (LATE, LIVE):
        assert sorted(int(p.fields["seq"]) for p in _stored(check, gh.id)) == list(range(1, 301)), gh.id
    check.close()
