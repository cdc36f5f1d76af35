"""``python -m bench.ingest.storm``: after a province-wide 3G outage, N edges reconnect at once with hours of
backlog each while M other greenhouses go on publishing live.

The backlog edges send their held batches on the ``backlog`` topic (``uplink.backlog_apart``) as fast as the
broker takes them; the live ones send each poll on ``telemetry`` as it is taken. One real gateway (its own
process), real Mosquitto and influxd, all on this machine. Printed: the drain time next to the ideal (the
backlog's readings at the knee rate given with ``--knee``, measured by ``python -m bench.ingest --rate R``), the
live readings' lag before the storm and during the drain (the same sampler, in the same run), the gateway's CPU
per stored reading during the drain next to the in-process decode floor on the same payloads, and the readings
stored against those produced, which must be equal.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import cpu, report, runner
from bench.ingest.lag import LagSampler
from bench.ingest.mqtt_clients import SPAWN, PublisherSpec
from bench.ingest.servers import create_database, influxd, mosquitto, points_written, server_pid
from bench.ingest.site import greenhouse_id
from bench.ingest.stats import Timeline, percentile
from contract import topics
from contract.compact import UplinkEncoding

RESULTS = Path(__file__).resolve().parents[1] / "results"
_TICK_S = 1.0
_PROGRESS_EVERY_S = 10.0


@dataclass(frozen=True)
class Storm:
    backlog_greenhouses: int
    live_greenhouses: int
    hours: float
    sensors: int
    polls: int  # per backlog message: the edges' held batches
    poll_interval_s: float
    publishers: int
    calm_s: float  # live alone before the storm: the lag to compare with
    knee: float | None  # readings/s one gateway stores at its knee, measured by bench.ingest
    max_drain_s: float
    ingest_processes: int = 1
    live: bool = False  # the gateway runs the phones' live feed too

    @property
    def backlog_messages(self) -> int:
        """Per backlog greenhouse."""
        return math.ceil(self.hours * 3600 / (self.polls * self.poll_interval_s))

    @property
    def backlog_readings(self) -> int:
        return self.backlog_greenhouses * self.backlog_messages * self.polls * self.sensors


def log(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


def _stored_of(influx: str, greenhouses: range) -> int:
    """Readings stored for these greenhouses."""
    answer = httpx.post(
        f"{influx}/query",
        params={"db": runner.DATABASE},
        data={"q": 'SELECT count("value") FROM "reading" GROUP BY "greenhouse"'},
        timeout=300,
    ).json()
    names = {greenhouse_id(g) for g in greenhouses}
    return sum(
        int(series["values"][0][1])
        for series in answer["results"][0].get("series", [])
        if series["tags"]["greenhouse"] in names
    )


def _split(greenhouses: range, parts: int) -> list[tuple[int, ...]]:
    return [tuple(greenhouses[k::parts]) for k in range(parts) if greenhouses[k::parts]]


def run(storm: Storm, workdir: Path) -> dict[str, Any]:
    n, m = storm.backlog_greenhouses, storm.live_greenhouses
    backlog_range, live_range = range(n), range(n, n + m)
    opts = runner.Options(
        greenhouses=n + m, sensors=storm.sensors, polls=storm.polls, encoding=UplinkEncoding.DEFLATE, deflate_level=9,
        seconds=0, rate=0, publishers=storm.publishers, gateways=1, baseline_seconds=0, warmup_s=0, drain_s=0,
        window=1000, influx_writers=0, profile=False, workdir=workdir, results=RESULTS, stamp="",
        ingest_processes=storm.ingest_processes, live=storm.live,
    )  # fmt: skip
    log(
        f"storm: {n} edges × {storm.hours:g} h of backlog ({storm.backlog_readings:,} readings in"
        f" {n * storm.backlog_messages:,} messages of {storm.polls * storm.sensors}), {m} live greenhouses"
    )
    with mosquitto(workdir / "mqtt") as broker, influxd(workdir / "influx") as server:
        broker_url = broker.url
        create_database(server.url, runner.DATABASE)
        with runner.gateways(opts, broker_url, server.url) as gws:
            probes = runner.wait_gateways_ready(broker_url, gws, 1)
            sampler = LagSampler(server.url, runner.DATABASE, live_range)
            sampler.start()
            stop_live = SPAWN.Event()
            live_rate = m / storm.poll_interval_s / storm.publishers  # messages/s per publisher: a poll each
            live_specs = [
                PublisherSpec(broker_url, houses, storm.sensors, 1, UplinkEncoding.DEFLATE, live_rate, 1e9, 1000)
                for houses in _split(live_range, storm.publishers)
            ]
            live = runner.spawn_publishers(live_specs, stop_live)
            calm_start = time.time()
            log(f"live: {m} greenhouses, a poll every {storm.poll_interval_s:g} s; {storm.calm_s:g} s before the storm")
            time.sleep(storm.calm_s)
            from_ms = int((time.time() - storm.hours * 3600) * 1000)
            backlog_specs = [
                PublisherSpec(
                    broker_url,
                    houses,
                    storm.sensors,
                    storm.polls,
                    UplinkEncoding.DEFLATE,
                    rate=0,
                    seconds=0,
                    window=1000,
                    channel=topics.Channel.BACKLOG,
                    backlog_messages=storm.backlog_messages,
                    backlog_from_ms=from_ms,
                )
                for houses in _split(backlog_range, storm.publishers)
            ]
            backlog = runner.spawn_publishers(backlog_specs)
            start = time.time()
            pids = {
                "gateway": gws.pids(),
                "publishers": [p.pid for p in live.processes + backlog.processes],
                "mosquitto": [server_pid(broker)],
                "influxd": [server_pid(server)],
            }
            cpu_start = cpu.snapshot(pids)
            points_start = points_written(server.url)
            stored, spool = Timeline(), Timeline()
            backlog_total = n * storm.backlog_messages
            drained_at = None
            last_print = 0.0
            while time.time() - start < storm.max_drain_s:
                time.sleep(_TICK_S)
                gws.poll()
                now = time.time()
                stored.add(now, points_written(server.url))
                spool.add(now, gws.total("spool_depth"))
                backlog_acked = backlog.acked()
                if now - last_print >= _PROGRESS_EVERY_S:
                    last_print = now
                    log(
                        f"  t={now - start:5.0f}s  backlog published {backlog_acked:,}/{backlog_total:,} msg"
                        f"  gateway received {gws.total('received') - probes:,} msg"
                        f"  influxd stored {stored.recent_rate(5):9,.0f} points/s  spool {spool.last():,}"
                    )
                # Cheap signs first; then the exact count of the backlog's readings stored.
                if (
                    backlog_acked >= backlog_total
                    and gws.total("spool_depth") == 0
                    and stored.last() - points_start >= storm.backlog_readings
                    and _stored_of(server.url, backlog_range) >= storm.backlog_readings
                ):
                    drained_at = now
                    break
            cpu_end = cpu.snapshot(pids)
            points_end = points_written(server.url)
            stop_live.set()
            live.join()
            backlog.join()
            time.sleep(3)  # the live publishers' last messages
            gws.poll()
            sampler.stop()
            live_readings = live.acked() * storm.sensors
            stored_readings = runner.influx_count(server.url, 'SELECT count("value") FROM "reading"')
            all_points = points_written(server.url)
    share = stored_readings / all_points if all_points else math.nan
    end = drained_at or time.time()
    drain_s = (drained_at - start) if drained_at else None
    used = cpu.usage(cpu_start, cpu_end)
    readings_in_drain = (points_end - points_start) * share
    gateway_cpu_s = used["cores"]["gateway"] * (end - start)
    calm = [lag for seen, lag in sampler.lags_s if calm_start + 5 <= seen < start]
    during = [lag for seen, lag in sampler.lags_s if start <= seen <= end]
    return {
        "options": {k: v for k, v in storm.__dict__.items()},
        "backlog_readings": storm.backlog_readings,
        "live_readings": live_readings,
        "produced_readings": storm.backlog_readings + live_readings,
        "stored_readings": stored_readings,
        "drain_s": drain_s,
        "drain_rate_readings_per_s": storm.backlog_readings / drain_s if drain_s else None,
        "ideal_drain_s": storm.backlog_readings / storm.knee if storm.knee else None,
        "live_lag_calm_s": {"p50": percentile(calm, 50), "p99": percentile(calm, 99), "samples": len(calm)},
        "live_lag_drain_s": {
            "p50": percentile(during, 50),
            "p99": percentile(during, 99),
            "max": max(during, default=math.nan),
            "samples": len(during),
        },
        "gateway_cpu_us_per_reading": gateway_cpu_s * 1e6 / readings_in_drain if readings_in_drain else None,
        "decode_floor_us_per_reading": runner.decode_floor_us(opts),
        "cpu": used,
        "timeline": {"influx_points_written": stored.samples, "spool_depth": spool.samples},
        "gateway_duplicates": gws.total("duplicates"),
        "gateway_rejected": gws.total("rejected"),
    }


def table(r: dict[str, Any]) -> str:
    def s(value: float | None, unit: str = " s") -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:,.1f}{unit}"

    calm, during = r["live_lag_calm_s"], r["live_lag_drain_s"]
    equal = r["stored_readings"] == r["produced_readings"]
    lines = [
        f"drain time                {s(r['drain_s'])}   ideal at the knee (--knee): {s(r['ideal_drain_s'])}"
        f"   drained at {s(r['drain_rate_readings_per_s'], ' readings/s')}",
        f"live lag p50 / p99        before the storm {s(calm['p50'])} / {s(calm['p99'])} ({calm['samples']} samples);"
        f" during the drain {s(during['p50'])} / {s(during['p99'])}, max {s(during['max'])}"
        f" ({during['samples']} samples)",
        f"gateway CPU per reading   {s(r['gateway_cpu_us_per_reading'], ' µs')} during the drain;"
        f" decode floor {r['decode_floor_us_per_reading']:.2f} µs (same payloads, in-process)",
        f"stored / produced         {r['stored_readings']:,} / {r['produced_readings']:,}"
        f" {'(equal)' if equal else '(NOT EQUAL)'}; duplicates dropped {r['gateway_duplicates']:,},"
        f" rejected {r['gateway_rejected']:,}",
        *report.cpu_lines(r["cpu"], "during the drain"),
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.storm", description=__doc__)
    p.add_argument("--backlog-greenhouses", type=int, default=500, help="edges reconnecting with a backlog")
    p.add_argument("--live-greenhouses", type=int, default=500, help="greenhouses publishing live meanwhile")
    p.add_argument("--hours", type=float, default=24, help="backlog per edge")
    p.add_argument("--sensors", type=int, default=17)
    p.add_argument("--polls", type=int, default=10, help="polls per backlog message (10: 300 s batches)")
    p.add_argument("--poll-interval", type=float, default=30, help="seconds between polls, live and in the backlog")
    p.add_argument("--publishers", type=int, default=2, help="publisher processes per kind (backlog, live)")
    p.add_argument("--calm", type=float, default=60, help="seconds of live data alone before the storm")
    p.add_argument("--knee", type=float, default=None, help="readings/s at the knee (bench.ingest), for the ideal")
    p.add_argument("--max-drain", type=float, default=3600)
    p.add_argument("--ingest-processes", type=int, default=1, help="the gateway's ingest processes")
    p.add_argument("--live", action="store_true", help="run the phones' live feed in the gateway, as deployed")
    args = p.parse_args()
    storm = Storm(
        args.backlog_greenhouses, args.live_greenhouses, args.hours, args.sensors, args.polls, args.poll_interval,
        args.publishers, args.calm, args.knee, args.max_drain, args.ingest_processes, args.live,
    )  # fmt: skip
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as tmp:
        result = run(storm, Path(tmp))
    result["machine"] = report.machine()
    path = RESULTS / f"storm-{stamp}.json"
    report.save(result, path)
    print()
    print(table(result))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
