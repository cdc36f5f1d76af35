"""``python -m bench.ingest.hotpath``: what each step of the gateway's hot path costs per message, in-process.

No servers: the ingest benchmark's payloads go through the receiver's validation, the
writer's parsing, point mapping and derivation, the line protocol and the registry, each
step timed on its own. The first round of messages warms the caches (series keys, the
registry's sensors) untimed, as a running gateway's are. Microseconds per message.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from bench.ingest.payloads import template
from bench.ingest.site import bench_site
from contract.compact import UplinkEncoding
from contract.messages import TelemetryBatch
from contract.wire import decode
from gateway.ingest.derived_points import Deriver
from gateway.ingest.validate import MAX_PAYLOAD_BYTES, Accepted, Rejected, Validator
from gateway.live.registry import Registry
from gateway.storage.line_protocol import bodies
from gateway.storage.model import Point
from gateway.storage.points import PointMapper

_T = TypeVar("_T")


def _time(label: str, rounds: Sequence[Sequence[_T]], step: Callable[[_T], object]) -> float:
    for item in rounds[0]:
        step(item)
    timed = [item for r in rounds[1:] for item in r]
    gc.collect()
    started = time.perf_counter()
    for item in timed:
        step(item)
    per_message_us = (time.perf_counter() - started) / len(timed) * 1e6
    print(f"{label:<34} {per_message_us:8.1f} µs/message")
    return per_message_us


def _batch(checked: Accepted | Rejected) -> TelemetryBatch:
    assert isinstance(checked, Accepted) and isinstance(checked.message, TelemetryBatch), checked
    return checked.message


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.hotpath", description=__doc__)
    p.add_argument("--greenhouses", type=int, default=1000)
    p.add_argument("--sensors", type=int, default=17, help="sensors per greenhouse, as bench.ingest")
    p.add_argument("--polls", type=int, default=10, help="polls per message, as bench.ingest")
    p.add_argument("--encoding", choices=[e.value for e in UplinkEncoding], default=UplinkEncoding.DEFLATE.value)
    p.add_argument("--rounds", type=int, default=4, help="rounds of one message per greenhouse; the first warms up")
    args = p.parse_args()
    site = bench_site(args.greenhouses, args.sensors)
    encoding = UplinkEncoding(args.encoding)
    templates = [template(g, args.sensors, args.polls, encoding=encoding) for g in range(args.greenhouses)]
    now_ms, now = int(time.time() * 1000), datetime.now(UTC)
    validator, mapper, deriver, registry = Validator(site), PointMapper(site), Deriver(site), Registry(site)
    messages = [[(t.topic, t.render(r + 1, now_ms + r)) for t in templates] for r in range(args.rounds)]
    batches = [[_batch(validator.check(topic, payload, now)) for topic, payload in r] for r in messages]
    points: list[list[list[Point]]] = [[mapper.telemetry(b) for b in r] for r in batches]
    readings = args.sensors * args.polls
    print(f"{args.greenhouses} greenhouses × {readings} readings ({encoding.value}), {args.rounds - 1} timed rounds")
    validate = _time("receiver: validate", messages, lambda m: validator.check(m[0], m[1], now))
    parse = _time("writer: parse spooled bytes", messages, lambda m: decode(TelemetryBatch, m[1], MAX_PAYLOAD_BYTES))
    to_points = _time("writer: readings to Points", batches, mapper.telemetry)
    to_lines = _time("writer: readings to lines", batches, mapper.telemetry_lines)
    derive = _time("writer: derived metrics", batches, deriver)
    points_to_lines = _time("store: Points to lines", points, lambda ps: list(bodies(ps, 5000, 8_000_000)))
    register = _time("writer: registry", batches, lambda b: registry.apply(b, now))
    generic = validate + parse + to_points + derive + points_to_lines + register
    fast = validate + to_lines + derive + register
    for label, total in (("sum, parse + Points", generic), ("sum, model handed over + lines", fast)):
        print(f"{label:<34} {total:8.1f} µs/message = {total / readings:5.2f} µs/reading")


if __name__ == "__main__":
    main()
