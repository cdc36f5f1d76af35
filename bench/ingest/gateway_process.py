"""The real gateway (``gateway.service.Gateway`` writing to ``InfluxV1Store``) in a process of its own; with
``ingest_processes`` above 1, the gateway's ``IngestPool`` in it, which starts that many ingest processes; with
``live``, the live feed beside it, which reads every live message again for the phones' picture."""

from __future__ import annotations

import logging
import multiprocessing as mp
import multiprocessing.synchronize
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.ingest.site import bench_site
from contract.clock import Clock
from contract.mqtt import BrokerUrl
from gateway.live.service import Live
from gateway.pool.supervisor import IngestPool
from gateway.pool.worker import InfluxTarget
from gateway.service import Gateway, GatewaySettings
from gateway.storage.influx import InfluxV1Store

_REPORT_EVERY_S = 1.0


@dataclass(frozen=True)
class GatewaySpec:
    broker: str
    influx: str
    database: str
    data_dir: Path
    instance: str
    greenhouses: int
    sensors: int
    ingest_processes: int = 1
    live: bool = False  # the live feed too, as a gateway serving phones runs it


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
    ready: bool  # every subscription granted
    pids: tuple[int, ...]  # the processes doing the work: this one, and its ingest processes


def _sample(spec: GatewaySpec, gateway: Gateway | IngestPool) -> GatewaySample:
    f = gateway.figures()
    workers = tuple(p.pid for p in gateway.processes if p.pid) if isinstance(gateway, IngestPool) else ()
    return GatewaySample(
        spec.instance,
        time.time(),
        f.received,
        f.accepted,
        f.rejected,
        f.written_points,
        f.duplicates,
        f.spool_depth,
        f.held,
        gateway.subscribed(),
        (os.getpid(), *workers),
    )


def run_gateway(spec: GatewaySpec, reports: mp.Queue[GatewaySample], stop: mp.synchronize.Event) -> None:
    logging.basicConfig(level=logging.WARNING)
    site = bench_site(spec.greenhouses, spec.sensors)
    settings = GatewaySettings(broker=BrokerUrl.parse(spec.broker), data_dir=spec.data_dir, instance=spec.instance)
    store = InfluxV1Store(spec.influx, spec.database)
    gateway: Gateway | IngestPool
    if spec.ingest_processes > 1:
        influx = InfluxTarget(spec.influx, spec.database)
        gateway = IngestPool(site, store, settings, influx, spec.ingest_processes, Clock())
    else:
        gateway = Gateway(site, store, settings, Clock())
    live = (
        Live(site, InfluxV1Store(spec.influx, spec.database), settings.broker, Clock(), spec.instance)
        if spec.live
        else None
    )
    gateway.start()
    if live is not None:
        live.start()
    while True:
        reports.put(_sample(spec, gateway))
        if stop.is_set():
            break
        stop.wait(_REPORT_EVERY_S)
    if live is not None:
        live.stop()
    gateway.stop()
