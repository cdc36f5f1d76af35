"""The real gateway (``gateway.service.Gateway`` writing to ``InfluxV1Store``) in a process of its own."""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import multiprocessing.synchronize
import time
from dataclasses import dataclass
from pathlib import Path

from bench.ingest.site import bench_site
from contract.clock import Clock
from contract.mqtt import BrokerUrl
from gateway.ingest.receiver import Lane
from gateway.service import Gateway, GatewaySettings
from gateway.storage.influx import InfluxV1Store

_REPORT_EVERY_S = 1.0
_DEPTH_EVERY = 5  # reports: counting the spool's rows takes its lock and, deep, some time


@dataclass(frozen=True)
class GatewaySpec:
    broker: str
    influx: str
    database: str
    data_dir: Path
    instance: str
    greenhouses: int
    sensors: int


@dataclass(frozen=True)
class GatewaySample:
    instance: str
    wall: float
    received: int
    accepted: int
    rejected: int
    written_points: int
    duplicates: int
    spool_depth: int
    held: int  # messages received and held in memory, not yet taken (both lanes)


def _sample(spec: GatewaySpec, gateway: Gateway, depth: int) -> GatewaySample:
    c = gateway.receiver.counters
    return GatewaySample(
        spec.instance,
        time.time(),
        c.received,
        c.accepted,
        c.rejected,
        gateway.writer.written_points,
        gateway.writer.duplicates,
        depth,
        sum(gateway.receiver.held_back(lane) for lane in Lane),
    )


def run_gateway(spec: GatewaySpec, reports: mp.Queue[GatewaySample], stop: mp.synchronize.Event) -> None:
    logging.basicConfig(level=logging.WARNING)
    site = bench_site(spec.greenhouses, spec.sensors)
    gateway = Gateway(
        site,
        InfluxV1Store(spec.influx, spec.database),
        GatewaySettings(broker=BrokerUrl.parse(spec.broker), data_dir=spec.data_dir, instance=spec.instance),
        Clock(),
    )
    gateway.start()
    depth = 0
    for n in itertools.count():
        if n % _DEPTH_EVERY == 0 or stop.is_set():
            depth = gateway.spool.depth()
        reports.put(_sample(spec, gateway, depth))
        if stop.is_set():
            break
        stop.wait(_REPORT_EVERY_S)
    gateway.stop()
