"""Gaps that the hostile input and the reliability run found in code outside tests/hostile/, each pinned by a
test that failed while it was open and guards it now that it is closed.

contract/wire.py promises strict reading: "no coercion (``"5"`` is not a number, ``true`` is not a value)".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import topics
from contract.kinds import Quality
from contract.messages import Reading, Status, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.site import Greenhouse
from contract.site_file import load_site
from contract.wire import WireError, decode
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from gateway.ingest.acks import delivery_acks
from gateway.ingest.spool import Rejection
from gateway.service import Gateway
from tests.conftest import EXAMPLE_SITE
from tests.hostile.rig import EVERYTHING
from tests.support.gateway import started_gateway
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
SITE_ID, GH = SITE.cooperative.id, SITE.greenhouses[0].id
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@pytest.mark.parametrize("version", [b"true", b"1.0"])
def test_the_message_version_is_not_read_from_a_boolean_or_a_float(version: bytes) -> None:
    # contract/messages.py: ``v: Literal[1]`` takes JSON true (and 1.0) as 1 even in strict mode.
    payload = b'{"v":' + version + f',"site":"{SITE_ID}","greenhouse":"{GH}","state":"online"}}'.encode()
    assert isinstance(decode(Status, payload, 1024), WireError)


@pytest.mark.parametrize("seq", [b"true", b'"5"', b"5.0"])
def test_a_rejected_message_is_acknowledged_only_by_a_number_the_contract_would_read(seq: bytes) -> None:
    # gateway/ingest/acks.py reads the number of a rejected message leniently: ``{"seq": true}`` on an edge's
    # telemetry topic tells that edge the gateway holds its batch 1, and it deletes that row if it is waiting —
    # though the gateway holds no such batch (an edge only ever sends integers).
    now = datetime.now(UTC)
    topic, payload = f"gh/v1/{SITE_ID}/{GH}/telemetry", b'{"seq":' + seq + b"}"
    rejected = Rejection(now, topic, "invalid", "seq: Input should be a valid integer", payload)
    assert delivery_acks(SITE_ID, {GH}, [], [rejected], now) == []


def _batch(gh: Greenhouse, seq: int) -> bytes:
    ts = START + timedelta(seconds=30 * seq)
    readings = [Reading(sensor=s.id, kind=s.kind, value=20.0, ts=ts, quality=Quality.GOOD) for s in gh.sensors.values()]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=gh.id, seq=seq, sent_at=ts, readings=readings).to_json()


def _pump(link: MqttLink, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        link.pump()
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_row_the_broker_lost_is_sent_again_while_newer_rows_are_being_acknowledged(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    # edge/mqtt_link.py as it was: every DeliveryAck restarted the wait before a resend, so a row the broker lost
    # was sent again only once the gateway had acknowledged nothing for ``resend_after_s``. An edge whose newer
    # rows were acknowledged more often than that (a poll every 30 s against the default 30 s) kept the lost row
    # in its outbox, unsent, for as long as it ran. (Closed since: rows are now sent again by their own age.)
    gh, url = SITE.greenhouses[0], BrokerUrl.parse(mosquitto.url)
    resend_after_s = 1.0

    def gateway() -> Gateway:
        return started_gateway(SITE, tmp_path / "h.sqlite3", url, tmp_path)

    box = Outbox(tmp_path / "outbox.sqlite3")
    link = MqttLink(url, SITE_ID, gh.id, box, resend_after_s=resend_after_s)
    telemetry = topics.topic(SITE_ID, gh.id, topics.Channel.TELEMETRY)

    def produce(n: int, every_s: float) -> None:
        for _ in range(n):
            box.put_numbered("telemetry", telemetry, lambda seq: _batch(gh, seq))
            _pump(link, every_s)

    link.start()
    g = gateway()
    produce(5, 0.2)
    # The gateway goes away and the broker restarts with its memory wiped: it forgets the gateway's shared
    # subscription, and the batches sent before the gateway is back go to nobody.
    g.stop()
    mosquitto.stop()
    for kept in (mosquitto.workdir / "data").iterdir():
        kept.unlink()
    mosquitto.start()
    _pump(link, 2.0)  # reconnected
    produce(3, 0.1)
    g = gateway()
    try:
        # Newer batches every 0.3 s, each acknowledged, for five times the resend period.
        produce(int(5 * resend_after_s / 0.3), 0.3)
        stored = {int(p.fields["seq"]) for p in g.store.rows("batch", {"greenhouse": gh.id}, *EVERYTHING, 1000)}
        made = box.last_values()["telemetry"]
    finally:
        link.stop()
        g.stop()
    assert max(stored) == made, "the newer batches were stored"
    missing = sorted(set(range(1, made + 1)) - stored)
    assert missing == [], f"batches {missing} wait in the outbox, never sent again (rows resent: {link.resent})"
