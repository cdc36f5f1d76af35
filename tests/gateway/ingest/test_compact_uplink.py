"""A new edge sending compact, batched telemetry and an old one sending JSON, side by side through a real Mosquitto
to a real gateway; a zip bomb and a cut stream on the same broker are refused with their reason, the rest stored."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho

from contract import topics
from contract.compact import COMPACT_V1, UplinkEncoding, encode
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import make_client
from contract.site import Uplink
from contract.wire import decode
from gateway.ingest.acks import delivery_acks
from gateway.ingest.spool import Rejection
from gateway.service import Gateway, GatewaySettings
from gateway.storage.model import Store
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
FAR = timedelta(days=3)
TOPIC = f"gh/v1/htx-moc-chau/{GH}/telemetry"


def test_compact_batches_and_old_json_are_stored_and_bad_streams_refused(
    tmp_path: Path, mosquitto: Mosquitto, open_store: Callable[[], Store]
) -> None:
    uplink = Uplink(batch_period_s=120, encoding=UplinkEncoding.DEFLATE)
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]), uplink=uplink)
    raw: list[bytes] = []
    lock = threading.Lock()
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 10, 0, tzinfo=TZ), speed=60) as s:
        store = open_store()
        gateway = Gateway(site, store, GatewaySettings(broker=s.url, data_dir=tmp_path / "gw"), s.clock)
        gateway.start()
        listener = make_client(s.url, "raw-telemetry")

        def heard(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
            with lock:
                raw.append(bytes(msg.payload))

        listener.on_message = heard
        listener.connect(s.url.host, s.url.port)
        listener.subscribe(TOPIC, qos=1)
        listener.loop_start()
        edge = EdgeThread(s)
        p = s.probe

        def compact() -> list[TelemetryBatch]:
            with lock:
                got = [decode(TelemetryBatch, b, 256 * 1024) for b in raw if b.startswith(COMPACT_V1)]
            return [b for b in got if isinstance(b, TelemetryBatch)]

        try:
            p.wait(lambda: len(compact()) >= 2, 30, "two compact batches from the new edge")
            now = s.clock.now()
            old = [
                TelemetryBatch(
                    site="htx-moc-chau",
                    greenhouse=GH,
                    seq=100_000 + i,
                    sent_at=now - timedelta(seconds=7 + 13 * i),  # a batch point per time: no two alike
                    readings=[
                        Reading(sensor="air-temp", kind=SensorKind.AIR_TEMP_C, value=24.5, ts=now, quality=Quality.GOOD)
                    ],
                )
                for i in range(2)
            ]
            bomb = COMPACT_V1 + zlib.compress(b"{" + b" " * 20_000_000, 9)
            cut = encode(old[0], UplinkEncoding.DEFLATE)[:-6]
            p.client.publish(TOPIC, old[0].to_json(), qos=1)  # an old edge: JSON, as before
            p.client.publish(TOPIC, bomb, qos=1)
            p.client.publish(TOPIC, cut, qos=1)
            p.client.publish(TOPIC, old[1].to_json(), qos=1)
            seen = len(compact())
            p.wait(lambda: len(compact()) >= seen + 1, 30, "the new edge's batches go on")

            def stored_seqs() -> set[int]:
                t = s.clock.now()
                return {int(r.fields["seq"]) for r in store.rows("batch", {"greenhouse": GH}, t - FAR, t + FAR, 10_000)}

            wanted = {b.seq for b in compact()} | {b.seq for b in old}
            p.wait(lambda: wanted <= stored_seqs(), 20, "compact and JSON batches stored")
            p.wait(lambda: gateway.receiver.counters.rejected == 2, 10, "both bad streams rejected")
        finally:
            edge.stop()
            listener.loop_stop()
            listener.disconnect()
        counts = gateway.spool.reject_counts()
        gateway.stop()
    assert counts == {"too_large": 1, "not_json": 1}
    batches = compact()
    # Each compact batch holds the polls of its period (120 s of 30 s polls, as the field bus answers), each
    # reading with its own time.
    sensors = len(site.greenhouses[0].sensors)
    # (the last one is what the edge sent as it stopped: whatever it held then)
    assert all(len({r.ts for r in b.readings}) >= 2 for b in batches[:-1])
    assert all(max(r.ts for r in b.readings) - min(r.ts for r in b.readings) < timedelta(seconds=120) for b in batches)
    assert all(len(b.readings) == sensors * len({r.ts for r in b.readings}) for b in batches)


def test_a_refused_compact_batch_is_acknowledged_by_its_number_like_a_refused_json_one() -> None:
    # Otherwise the edge would send a batch the gateway will never take again and again, for ever.
    now = datetime.now(UTC)
    site = "htx-moc-chau"
    topic = f"gh/v1/{site}/ca-chua-1/telemetry"
    inner = b'{"seq": 41, "site": "htx-moc-chau"}'  # readable number, not a batch the contract takes
    compact = COMPACT_V1 + zlib.compress(inner)
    acks = delivery_acks(site, {"ca-chua-1"}, [], [Rejection(now, topic, "invalid", "sent_at", compact)], now)
    assert [(t, a.telemetry) for t, a in acks] == [(topics.topic(site, "ca-chua-1", topics.Channel.STORED), [41])]
