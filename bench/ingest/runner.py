"""The three phases of one run: Mosquitto alone, influxd alone, then the whole system."""

from __future__ import annotations

import itertools
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import cpu
from bench.ingest.gateway_process import GatewaySample, GatewaySpec, run_gateway
from bench.ingest.influx_load import write_flat_out
from bench.ingest.lag import LagSampler
from bench.ingest.mqtt_clients import SPAWN, PublisherCounters, PublisherSpec, SubscriberCounters, publish, subscribe
from bench.ingest.payloads import template
from bench.ingest.profiling import PySpy
from bench.ingest.servers import create_database, influxd, mosquitto, points_written, server_pid
from bench.ingest.site import SITE_ID, greenhouse_id
from bench.ingest.stats import Timeline, percentile
from contract import topics
from contract.compact import UplinkEncoding
from contract.messages import Availability, Status, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.wire import decode
from gateway.ingest.validate import MAX_PAYLOAD_BYTES

DATABASE = "bench"
_TICK_S = 1.0
_PROGRESS_EVERY_S = 5.0
_BASELINE_WARMUP_S = 3.0


@dataclass(frozen=True)
class Options:
    greenhouses: int
    sensors: int
    polls: int  # polls of every sensor per message (an edge's held batch)
    encoding: UplinkEncoding
    deflate_level: int
    seconds: float
    rate: float  # readings/s offered; 0: as fast as the broker acknowledges
    publishers: int
    gateways: int
    baseline_seconds: float
    warmup_s: float
    drain_s: float
    window: int
    influx_writers: int
    profile: bool
    workdir: Path
    results: Path
    stamp: str
    ingest_processes: int = 1  # per gateway: its IngestPool's processes, each with whole greenhouses
    live: bool = False  # each gateway runs the live feed too

    @property
    def per_message(self) -> int:
        """Readings per telemetry message."""
        return self.sensors * self.polls


def log(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


# --- publishers ---------------------------------------------------------------------------------------------


@dataclass
class Publishers:
    processes: list[Any]
    counters: list[PublisherCounters]

    def sent(self) -> int:
        return sum(c.sent.value for c in self.counters)

    def acked(self) -> int:
        return sum(c.acked.value for c in self.counters)

    def running(self) -> bool:
        return any(p.is_alive() for p in self.processes)

    def join(self) -> None:
        for p in self.processes:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()


def spawn_publishers(specs: list[PublisherSpec], stop: Any = None) -> Publishers:
    """A process per spec, all starting at once once every one has had time to build its payloads."""
    go = time.time() + 2.5 + 0.001 * sum(len(s.greenhouses) for s in specs) + max(s.encoding_ahead_s() for s in specs)
    processes, counters = [], []
    for k, spec in enumerate(specs):
        c = PublisherCounters()
        p = SPAWN.Process(target=publish, args=(spec, c, go, stop), name=f"publisher-{k}", daemon=True)
        p.start()
        processes.append(p)
        counters.append(c)
    time.sleep(max(0.0, go - time.time()))
    return Publishers(processes, counters)


def start_publishers(opts: Options, broker: str, readings_per_s: float, seconds: float) -> Publishers:
    per_process_rate = readings_per_s / opts.per_message / opts.publishers
    specs = [
        PublisherSpec(
            broker,
            tuple(range(k, opts.greenhouses, opts.publishers)),
            opts.sensors,
            opts.polls,
            opts.encoding,
            per_process_rate,
            seconds,
            opts.window,
            deflate_level=opts.deflate_level,
            ahead=per_process_rate > 0,  # flat out (baseline A): as many as the broker takes, encoded as sent
        )
        for k in range(opts.publishers)
    ]
    return spawn_publishers(specs)


# --- phase A: Mosquitto alone -------------------------------------------------------------------------------


def baseline_mqtt(opts: Options) -> dict[str, Any]:
    log(f"baseline A: Mosquitto alone, publishers flat out for {opts.baseline_seconds:.0f} s into a plain subscriber")
    with mosquitto(opts.workdir / "baseline-mqtt") as broker:
        counters, stop = SubscriberCounters(), SPAWN.Event()
        topic = topics.subscription(topics.Channel.TELEMETRY, SITE_ID)
        sub = SPAWN.Process(target=subscribe, args=(broker.url, topic, counters, stop), daemon=True)
        sub.start()
        try:
            if not counters.ready.wait(30):
                raise RuntimeError("the baseline subscriber did not subscribe")
            pubs = start_publishers(opts, broker.url, 0, opts.baseline_seconds)
            start = time.time()
            received, acked = Timeline(), Timeline()
            while pubs.running():
                time.sleep(_TICK_S)
                now = time.time()
                received.add(now, counters.received.value)
                acked.add(now, pubs.acked())
            end = now
            pubs.join()
            _wait_still(lambda: counters.received.value, 3.0)
        finally:
            stop.set()
            sub.join(timeout=10)
    window = (start + _BASELINE_WARMUP_S, end)
    msgs_per_s = received.rate(*window)
    result = {
        "published_acked": pubs.acked(),
        "received": counters.received.value,
        "publish_msgs_per_s": acked.rate(*window),
        "msgs_per_s": msgs_per_s,
        "readings_per_s": msgs_per_s * opts.per_message,
    }
    log(f"baseline A: {msgs_per_s:,.0f} msg/s = {msgs_per_s * opts.per_message:,.0f} readings/s delivered")
    return result


def _wait_still(read: Callable[[], int], quiet_s: float, timeout_s: float = 30.0) -> None:
    """Until ``read()`` has not changed for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.2)
        if (value := read()) != last:
            last, since = value, time.monotonic()


# --- phase B: influxd alone ---------------------------------------------------------------------------------


def baseline_influx(opts: Options) -> dict[str, Any]:
    log(f"baseline B: influxd alone, {opts.influx_writers} writers flat out for {opts.baseline_seconds:.0f} s")
    with influxd(opts.workdir / "baseline-influx") as server:
        create_database(server.url, DATABASE)
        done: dict[str, Any] = {}
        load = threading.Thread(
            target=lambda: done.update(
                result=write_flat_out(
                    server.url, DATABASE, opts.greenhouses, opts.sensors, opts.baseline_seconds, opts.influx_writers
                )
            ),
            daemon=True,
        )
        start = time.time()
        load.start()
        stored = Timeline()
        while load.is_alive():
            time.sleep(_TICK_S)
            stored.add(time.time(), points_written(server.url))
        end = stored.samples[-1][0]
    points_per_s = stored.rate(start + _BASELINE_WARMUP_S, end)
    result = {"points_per_s": points_per_s, "points": done["result"].points, "requests": done["result"].requests}
    log(f"baseline B: {points_per_s:,.0f} points/s accepted by influxd")
    return result


# --- the system ---------------------------------------------------------------------------------------------


@dataclass
class Gateways:
    processes: list[Any]
    reports: Any
    stop: Any
    latest: dict[str, GatewaySample]

    def poll(self) -> None:
        while True:
            try:
                sample: GatewaySample = self.reports.get_nowait()
            except queue.Empty:
                return
            self.latest[sample.instance] = sample

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.latest.values())

    def pids(self) -> list[int]:
        """Every process doing the gateway's work: the gateways, and their ingest processes."""
        return [pid for s in self.latest.values() for pid in s.pids]


@contextmanager
def gateways(opts: Options, broker: str, influx: str) -> Iterator[Gateways]:
    reports, stop = SPAWN.Queue(), SPAWN.Event()
    processes = []
    for n in range(opts.gateways):
        spec = GatewaySpec(
            broker,
            influx,
            DATABASE,
            opts.workdir / f"gateway-{n}",
            str(n),
            opts.greenhouses,
            opts.sensors,
            opts.ingest_processes,
            opts.live,
        )
        # Not a daemon: a daemon may not start processes, and the gateway's ingest pool does (stopped below).
        p = SPAWN.Process(target=run_gateway, args=(spec, reports, stop), name=f"gateway-{n}")
        p.start()
        processes.append(p)
    gws = Gateways(processes, reports, stop, {})
    try:
        yield gws
    finally:
        stop.set()
        for p in processes:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
        gws.poll()


def wait_gateways_ready(broker: str, gws: Gateways, count: int) -> int:
    """Publish status messages until every gateway instance has received one; return how many they received."""
    url = BrokerUrl.parse(broker)
    client = make_client(url, "bench-probe")
    client.connect(url.host, url.port)
    client.loop_start()
    deadline = time.monotonic() + 60
    try:
        for n in itertools.count():
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not receive a probe message within 60 s")
            status = Status(
                site=SITE_ID, greenhouse=greenhouse_id(n % 10), state=Availability.ONLINE, ts=datetime.now(UTC)
            )
            client.publish(
                topics.topic(SITE_ID, status.greenhouse, topics.Channel.STATUS), status.to_json(), qos=1
            ).wait_for_publish(5)
            time.sleep(0.3)
            gws.poll()
            if len(gws.latest) == count and all(s.ready and s.received > 0 for s in gws.latest.values()):
                break
    finally:
        client.loop_stop()
        client.disconnect()
    time.sleep(2 * _TICK_S)  # the gateways report once a second: let the last probes show
    gws.poll()
    return gws.total("received")


def influx_count(url: str, statement: str) -> int:
    answer = httpx.post(f"{url}/query", params={"db": DATABASE}, data={"q": statement}, timeout=120).json()
    series = answer["results"][0].get("series", [])
    return int(series[0]["values"][0][1]) if series else 0


def system(opts: Options) -> dict[str, Any]:
    offered = opts.rate or math.inf
    log(
        f"system: {opts.greenhouses} greenhouses × {opts.sensors} sensors × {opts.polls} polls per message"
        f" ({opts.encoding.value}), offered {offered:,.0f} readings/s"
        f" for {opts.seconds:.0f} s, {opts.publishers} publisher(s), {opts.gateways} gateway(s)"
        f" of {opts.ingest_processes} ingest process(es){', with the live feed' if opts.live else ''}"
    )
    with mosquitto(opts.workdir / "system-mqtt") as broker, influxd(opts.workdir / "system-influx") as server:
        create_database(server.url, DATABASE)
        with gateways(opts, broker.url, server.url) as gws:
            probes = wait_gateways_ready(broker.url, gws, opts.gateways)
            log("system: gateway(s) subscribed; publishing")
            sampler = LagSampler(server.url, DATABASE, range(opts.greenhouses))
            sampler.start()
            pubs = start_publishers(opts, broker.url, opts.rate, opts.seconds)
            start = time.time()
            profiler = PySpy(gws.pids(), opts, start) if opts.profile else None
            lines = _Timelines()
            pids = {
                "gateway": gws.pids(),
                "publishers": [p.pid for p in pubs.processes],
                "mosquitto": [server_pid(broker)],
                "influxd": [server_pid(server)],
                "bench (sampler, progress)": [os.getpid()],
            }
            cpu_start = cpu_end = None
            while pubs.running():
                time.sleep(_TICK_S)
                lines.sample(pubs, gws, server.url, start, opts.per_message)
                if start + opts.warmup_s <= time.time() < start + opts.seconds:  # while everything runs
                    cpu_end = cpu.snapshot(pids)
                    cpu_start = cpu_start or cpu_end
            end = min(time.time(), start + opts.seconds)
            cpu_used = cpu.usage(cpu_start, cpu_end) if cpu_start and cpu_end else None
            pubs.join()
            log("system: publishers done; waiting for the gateway to store the backlog")
            drained_at = _drain(opts, pubs, gws, probes, lines, server.url, start)
            sampler.stop()
            profile = profiler.finish() if profiler else None
            stored_readings = influx_count(server.url, 'SELECT count("value") FROM "reading"')
            stored_batches = influx_count(server.url, 'SELECT count("seq") FROM "batch"')
            all_points = points_written(server.url)
    window = (start + opts.warmup_s, end)
    share = stored_readings / all_points if all_points else math.nan  # readings among the points written
    lags = [lag for seen, lag in sampler.lags_s if window[0] <= seen <= window[1]]
    stored_per_s = lines.stored.rate(*window) * share
    gateway_cores = cpu_used["cores"]["gateway"] if cpu_used else None
    result = {
        "window_s": window[1] - window[0],
        "gateway_cpu_us_per_reading": gateway_cores * 1e6 / stored_per_s if gateway_cores and stored_per_s else None,
        "decode_floor_us_per_reading": decode_floor_us(opts),
        "offered_readings_per_s": lines.acked.rate(*window) * opts.per_message,
        "gateway_received_msgs_per_s": lines.received.rate(*window),
        "stored_points_per_s": lines.stored.rate(*window),
        "stored_readings_per_s": stored_per_s,
        "readings_share_of_points": share,
        "lag_s": {
            "p50": percentile(lags, 50),
            "p99": percentile(lags, 99),
            "max": max(lags, default=math.nan),
            "samples": len(lags),
        },
        "lag_polls": sampler.polls,
        "lag_failed_polls": sampler.failed_polls,
        "published_acked_msgs": pubs.acked(),
        "published_sent_msgs": pubs.sent(),
        "gateway_received_msgs": gws.total("received") - probes,
        "gateway_rejected_msgs": gws.total("rejected"),
        "gateway_duplicates": gws.total("duplicates"),
        "expected_readings": pubs.acked() * opts.per_message,
        "stored_readings": stored_readings,
        "stored_batches": stored_batches,
        "drain_s": (drained_at - end) if drained_at else None,
        "cpu": cpu_used,
        "timeline": lines.as_dict(start),
        "profile": profile,
    }
    log(
        f"system: {stored_per_s:,.0f} readings/s stored; lag p50 {result['lag_s']['p50']:.2f} s,"
        f" p99 {result['lag_s']['p99']:.2f} s; {stored_readings:,} of {result['expected_readings']:,} readings stored"
    )
    return result


def decode_floor_us(opts: Options) -> float:
    """The floor under the gateway's cost, in-process on this run's payloads: reading one message into the
    contract's model (``contract.wire.decode``, inflating the compact form), per reading."""
    payloads = [
        template(g, opts.sensors, opts.polls, encoding=opts.encoding, deflate_level=opts.deflate_level).render(
            1, int(time.time() * 1000)
        )
        for g in range(min(opts.greenhouses, 200))
    ]
    started = time.perf_counter()
    for payload in payloads:
        decode(TelemetryBatch, payload, MAX_PAYLOAD_BYTES)
    return (time.perf_counter() - started) / (len(payloads) * opts.per_message) * 1e6


class _Timelines:
    def __init__(self) -> None:
        self.acked, self.received, self.stored, self.spool = Timeline(), Timeline(), Timeline(), Timeline()
        self._last_print = 0.0

    def sample(self, pubs: Publishers, gws: Gateways, influx: str, start: float, per_message: int) -> None:
        gws.poll()
        now = time.time()
        self.acked.add(now, pubs.acked())
        self.received.add(now, gws.total("received"))
        self.stored.add(now, points_written(influx))
        self.spool.add(now, gws.total("spool_depth"))
        if now - self._last_print >= _PROGRESS_EVERY_S:
            self._last_print = now
            log(
                f"  t={now - start:5.0f}s  published {self.acked.recent_rate(5) * per_message:9,.0f} readings/s"
                f"  gateway received {self.received.recent_rate(5):7,.0f} msg/s"
                f"  influxd stored {self.stored.recent_rate(5):9,.0f} points/s  spool {self.spool.last():,}"
                f"  held {gws.total('held'):,}"
            )

    def as_dict(self, start: float) -> dict[str, list[tuple[float, int]]]:
        return {
            name: [(round(t - start, 2), v) for t, v in line.samples]
            for name, line in (
                ("published_acked", self.acked),
                ("gateway_received", self.received),
                ("influx_points_written", self.stored),
                ("spool_depth", self.spool),
            )
        }


def _drain(
    opts: Options, pubs: Publishers, gws: Gateways, probes: int, lines: _Timelines, influx: str, start: float
) -> float | None:
    """Wait until the gateway has received and stored everything the broker took; None if it did not in time."""
    deadline = time.monotonic() + opts.drain_s
    while time.monotonic() < deadline:
        time.sleep(_TICK_S)
        lines.sample(pubs, gws, influx, start, opts.per_message)
        received_all = gws.total("received") - probes >= pubs.acked()
        if received_all and gws.total("spool_depth") == 0 and len(lines.stored.samples) >= 2:
            (_, before), (_, after) = lines.stored.samples[-2:]
            if before == after:
                return time.time()
    return None
