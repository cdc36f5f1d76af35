"""Ingest in several processes (``greenhouse gateway --ingest-processes N``): each process takes whole
greenhouses, and the API, served by the process that started them, sees every greenhouse as one gateway would.
Real Mosquitto, real influxd, real worker processes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from contract import topics
from contract.clock import Clock
from contract.kinds import ControlSource, Quality
from contract.messages import ActuatorState, Availability, Reading, StateSnapshot, Status, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.reasons import Reason
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.api.client import signed_in
from gateway.ingest.partition import Partition
from gateway.live.registry import Registry
from gateway.main import ApiServer
from gateway.pool.supervisor import IngestPool
from gateway.pool.worker import InfluxTarget
from gateway.service import GatewaySettings
from gateway.storage.influx import InfluxV1Store
from greenhouse.net import free_port, wait_for_port
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user
from tests.support.influxd import Influxd
from tests.support.load import BatchLoad
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_every_greenhouse_belongs_to_exactly_one_partition() -> None:
    ids = [g.id for g in SITE.greenhouses]
    for count in (1, 2, 3, 5):
        owned = [Partition(index=i, count=count).greenhouses(SITE) for i in range(count)]
        assert sorted(g for part in owned for g in part) == sorted(ids)
    # The example site's three greenhouses fall in both halves, so the tests below exercise two real processes.
    assert all(Partition(index=i, count=2).greenhouses(SITE) for i in range(2))
    with pytest.raises(ValueError, match="partition 3 of 2 does not exist"):
        Partition(index=2, count=2)


def _batch(greenhouse: str, seq: int, at: datetime, value: float) -> TelemetryBatch:
    gh = SITE.greenhouse(greenhouse)
    readings = [
        Reading(sensor=s.id, kind=s.kind, value=value, ts=at, quality=Quality.GOOD) for s in gh.sensors.values()
    ]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=greenhouse, seq=seq, sent_at=at, readings=readings)


def test_a_registry_takes_in_what_another_knows_of_the_greenhouses_that_changed() -> None:
    ingest, api = Registry(SITE), Registry(SITE)
    first, second = SITE.greenhouses[0].id, SITE.greenhouses[1].id
    ingest.apply(_batch(first, 1, T0, 21.5), T0)
    ingest.apply(Status(site=SITE.cooperative.id, greenhouse=first, state=Availability.ONLINE, ts=T0), T0)
    valve = next(iter(SITE.greenhouse(first).actuators.values()))
    running = ActuatorState(
        actuator=valve.id, kind=valve.kind, on=True, since=T0, source=ControlSource.OVERRIDE, reason=Reason.MANUAL_RUN
    )
    ingest.apply(StateSnapshot(site=SITE.cooperative.id, greenhouse=first, ts=T0, actuators=[running]), T0)
    version, changed = ingest.changes(0)
    assert [h.greenhouse for h in changed] == [first]
    api.absorb(changed)
    later = T0 + timedelta(minutes=1)
    assert api.health(later) == ingest.health(later)
    # Next time only the greenhouse that changed since is sent, and the others keep what they had.
    ingest.apply(_batch(second, 7, later, 19.0), later)
    version, changed = ingest.changes(version)
    assert [h.greenhouse for h in changed] == [second]
    api.absorb(changed)
    assert api.health(later) == ingest.health(later)
    assert api.house_health(first, later).availability is Availability.ONLINE
    assert api.actuators(first) == ingest.actuators(first) == (T0, [running])
    assert ingest.changes(version) == (version, [])


@contextmanager
def _pool(tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd) -> Iterator[IngestPool]:
    InfluxV1Store(influxd.url, "greenhouse").close()
    settings = GatewaySettings(broker=BrokerUrl.parse(mosquitto.url), data_dir=tmp_path / "gw")
    settings.data_dir.mkdir()
    pool = IngestPool(
        SITE, InfluxV1Store(influxd.url, "greenhouse"), settings, InfluxTarget(influxd.url, "greenhouse"), 2, Clock()
    )
    pool.start()
    try:
        _wait(pool.subscribed, 60, "both processes subscribed")
        yield pool
    finally:
        pool.stop()


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


def _stored(url: str) -> set[tuple[str, int]]:
    store = InfluxV1Store(url, "greenhouse")
    try:
        return {
            (gh.id, int(p.fields["seq"]))
            for gh in SITE.greenhouses
            for p in store.rows("batch", {"greenhouse": gh.id}, *EVERYTHING, 100_000)
        }
    finally:
        store.close()


def _settled(pool: IngestPool, acked: set[tuple[str, int]]) -> Callable[[], bool]:
    def settled() -> bool:
        figures = pool.figures()
        return figures.accepted >= len(acked) and figures.spool_depth == 0 and figures.held == 0

    return settled


def test_two_processes_each_take_whole_greenhouses_and_the_api_sees_them_all(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    with _pool(tmp_path, mosquitto, influxd) as pool, ExitStack() as session:
        # Half a second apart, ending a minute or so ago: heard from lately, so none may be called silent.
        load = BatchLoad(BrokerUrl.parse(mosquitto.url), SITE, datetime.now(UTC) - timedelta(minutes=2), step_s=0.5)
        load.start(batches_per_s=60)
        time.sleep(4)
        acked = load.stop(settle_s=15)  # returns once every batch published is acknowledged
        _wait(_settled(pool, acked), 60, "every batch taken and stored")
        assert _stored(influxd.url) == acked
        # Each process took all of its greenhouses' batches, and none of the others'.
        for partition, figures in pool.per_process():
            assert figures is not None
            own = {b for b in acked if partition.owns(b[0])}
            assert own and figures.accepted == len(own) and figures.received == len(own)

        accounts = Accounts(tmp_path / "gw", Clock().now)
        password = add_user(accounts, "ky-thuat", Role.TECHNICIAN)
        port = free_port()
        server = ApiServer(ApiContext.of(pool, accounts, secure_cookies=False), "127.0.0.1", port)
        server.start()
        session.callback(server.stop)
        wait_for_port(port)
        api = session.enter_context(signed_in(f"http://127.0.0.1:{port}", "ky-thuat", password, "en"))
        last_seq = {gh.id: max(seq for g, seq in acked if g == gh.id) for gh in SITE.greenhouses}
        _wait(
            lambda: {h["greenhouse"]: h["last_seq"] for h in api.get("/api/v1/status").json()} == last_seq,
            10,
            "every greenhouse's last batch in the API's report",
        )
        assert not any(h["silent"] for h in api.get("/api/v1/status").json())
        report = api.get("/api/v1/ingest").json()
        assert report["accepted"] == len(acked) and report["spool_depth"] == 0 and report["rejected"] == 0
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200 and set(health.json()["errors_caught"]) == {"ingest 1/2", "ingest 2/2"}


def _announce(url: BrokerUrl) -> None:
    """Every greenhouse's agent says it is online, and its version."""
    client = make_client(url, "agents")
    client.connect(url.host, url.port)
    client.loop_start()
    try:
        for gh in SITE.greenhouses:
            status = Status(
                site=SITE.cooperative.id,
                greenhouse=gh.id,
                state=Availability.ONLINE,
                ts=datetime.now(UTC),
                agent_version="1.2.3",
            )
            topic = topics.topic(SITE.cooperative.id, gh.id, topics.Channel.STATUS)
            client.publish(topic, status.to_json(), qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.slow
def test_a_process_that_dies_is_reported_and_started_again_and_nothing_is_lost(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    with _pool(tmp_path, mosquitto, influxd) as pool:
        _announce(url)
        now = datetime.now(UTC)
        _wait(
            lambda: all(h.agent_version == "1.2.3" for h in pool.registry.health(now)), 10, "every agent's status seen"
        )
        load = BatchLoad(url, SITE, datetime.now(UTC) - timedelta(hours=1))
        load.start(batches_per_s=30)
        time.sleep(2)
        victim = pool.processes[0]
        os.kill(victim.pid or 0, signal.SIGKILL)
        _wait(lambda: any(p.problem() is not None for p in pool.pulses()), 10, "the dead process reported")
        problems = [p.problem() for p in pool.pulses()]
        assert problems[0] == "ingest 1/2: process stopped (exit code -9), starting it again" and problems[1] is None
        time.sleep(3)  # batches keep coming while it is down; the broker keeps them for its session
        acked = load.stop(settle_s=15)  # returns once every batch published is acknowledged
        _wait(lambda: pool.processes[0].pid != victim.pid and pool.subscribed(), 60, "the process started again")
        _wait(lambda: _stored(influxd.url) >= acked, 60, "every acknowledged batch stored")
        _wait(lambda: all(p.problem() is None for p in pool.pulses()), 10, "healthy again")
        # The process started again went on from what the API knew of its greenhouses: their agents' statuses,
        # said before it died, are still known once its own reports have come in.
        for gh in Partition(index=0, count=2).greenhouses(SITE):
            last = max(seq for g, seq in acked if g == gh)
            _wait(lambda gh=gh, last=last: pool.registry.house_health(gh, now).last_seq == last, 10, "reported")
            health = pool.registry.house_health(gh, now)
            assert health.agent_version == "1.2.3" and health.availability is Availability.ONLINE
