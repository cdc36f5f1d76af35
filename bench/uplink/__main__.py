"""``python -m bench.uplink``: what one greenhouse's telemetry costs on the link in a day, per encoding and batch
period, next to today's JSON (one poll per message) computed in the same run.

The example greenhouse (``greenhouse/examples/cooperative.yaml``, ``ca-chua-1``: 17 sensors, 30 s polls) is
polled for a simulated day: each reading is made by the edge's own ``QualityChecker`` from a diurnal value with
noise, held and batched by the edge's own outbox (``TelemetryHold``, the agent's own), and encoded by
``contract.compact.encode``. What crosses the link is counted as MQTT 3.1.1 (the edge's protocol) packets: each
telemetry PUBLISH at QoS 1 (fixed header, remaining length, topic, packet id, payload) and the broker's PUBACK;
the gateway's ``DeliveryAck`` PUBLISH back on the ``stored`` topic (one per batch: the most it sends) and the edge's
PUBACK for it. TCP/IP headers, keep-alives, status, state and events are not counted (the same in every row).
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from contract import topics
from contract.compact import UplinkEncoding, encode
from contract.config_file import load_model
from contract.messages import DeliveryAck, Reading, TelemetryBatch
from contract.site import Greenhouse, SiteConfig, Uplink
from edge.outbox import Outbox, TelemetryHold
from edge.quality import QualityChecker

SITE_FILE = Path("greenhouse/examples/cooperative.yaml")
TARGET_BYTES_PER_DAY = 2_000_000
START = datetime(2026, 6, 1, tzinfo=UTC)
_PUBACK = 4  # MQTT 3.1.1: fixed header, remaining length 2, packet id


def _varint_len(n: int) -> int:
    return 1 if n < 128 else 2 if n < 16_384 else 3 if n < 2_097_152 else 4


def publish_qos1_bytes(topic: str, payload: bytes) -> int:
    """The size of an MQTT 3.1.1 PUBLISH at QoS 1: fixed header, remaining length, topic, packet id, payload."""
    remaining = 2 + len(topic.encode()) + 2 + len(payload)
    return 1 + _varint_len(remaining) + remaining


def _polls(gh: Greenhouse, days: float) -> Iterator[tuple[datetime, list[Reading]]]:
    """A day of polls: every sensor a diurnal curve inside its range, with noise, through the edge's checker."""
    rng = random.Random(17)
    checker = QualityChecker(gh.sensors.values())
    sensors = list(gh.sensors.values())
    for i in range(int(days * 86_400 / gh.poll_interval_s)):
        now = START + timedelta(seconds=i * gh.poll_interval_s)
        day = math.sin(2 * math.pi * (now.hour * 3600 + now.minute * 60 + now.second) / 86_400)
        readings = []
        for s in sensors:
            low, high = (s.range.min, s.range.max) if s.range is not None else (0.0, 100.0)
            span = min(high - low, 100.0)
            raw = low + span * (0.4 + 0.2 * day) + rng.gauss(0, span * 0.005)
            readings.append(checker.assess(s.id, raw, now, True))
        yield now, readings


def _day(site: SiteConfig, gh: Greenhouse, days: float, period_s: float, encoding: UplinkEncoding) -> dict[str, float]:
    """Bytes on the link for ``days``, batched every ``period_s`` and encoded as ``encoding``."""
    site_id = site.cooperative.id
    topic = topics.topic(site_id, gh.id, topics.Channel.TELEMETRY)
    stored = topics.topic(site_id, gh.id, topics.Channel.STORED)
    up = down = messages = payload_bytes = 0
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        uplink = Uplink(batch_period_s=period_s, encoding=encoding)
        hold = TelemetryHold(outbox, topic, uplink, gh.poll_interval_s, partial(_payload, site_id, gh.id, encoding))
        last = START
        for now, readings in _polls(gh, days):
            hold.poll(now, readings)
            last = now
        hold.send(last)
        for row in outbox.pending(0, 1_000_000):
            assert row.seq is not None
            messages += 1
            payload_bytes += len(row.payload)
            up += publish_qos1_bytes(row.topic, row.payload) + _PUBACK  # PUBLISH, and PUBACK for the DeliveryAck
            ack = DeliveryAck(site=site_id, greenhouse=gh.id, ts=last, telemetry=[row.seq]).to_json()
            down += _PUBACK + publish_qos1_bytes(stored, ack)
        outbox.close()
    per_day = 1 / days
    return {
        "messages": messages * per_day,
        "payload": payload_bytes * per_day,
        "up": up * per_day,
        "down": down * per_day,
        "total": (up + down) * per_day,
    }


def _payload(
    site_id: str, gh_id: str, encoding: UplinkEncoding, seq: int, at: datetime, readings: list[Reading]
) -> bytes:
    """As the agent builds it (``edge.agent._batch``)."""
    return encode(TelemetryBatch(site=site_id, greenhouse=gh_id, seq=seq, sent_at=at, readings=readings), encoding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=float, default=1.0, help="simulated days (figures are per day)")
    parser.add_argument("--greenhouse", default="ca-chua-1")
    parser.add_argument("--periods", default="0,60,120,300,600", help="batch periods in seconds (0: every poll)")
    args = parser.parse_args()
    site = load_model(SITE_FILE, SiteConfig)
    gh = next(g for g in site.greenhouses if g.id == args.greenhouse)
    print(f"{gh.id}: {len(gh.sensors)} sensors, a poll every {gh.poll_interval_s:g} s, {args.days:g} day(s)")
    print(
        f"{'encoding':<9} {'batch':>7} {'msgs/day':>9} {'payload B/msg':>13} {'up B/day':>11} {'down B/day':>11}"
        f" {'total MB/day':>12} {'vs JSON':>8}"
    )
    baseline: float | None = None
    for encoding in UplinkEncoding:
        for period in (float(p) for p in args.periods.split(",")):
            f = _day(site, gh, args.days, period, encoding)
            baseline = baseline or f["total"]
            met = "  < 2 MB" if f["total"] < TARGET_BYTES_PER_DAY else ""
            print(
                f"{encoding.value:<9} {period:>6g}s {f['messages']:>9,.0f} {f['payload'] / f['messages']:>13,.0f}"
                f" {f['up']:>11,.0f} {f['down']:>11,.0f} {f['total'] / 1e6:>12.3f} {f['total'] / baseline:>7.1%}{met}"
            )
    print("baseline: the first row (JSON, one poll per message: the edge before issue 17). MB = 10^6 bytes.")


if __name__ == "__main__":
    main()
