"""``greenhouse edge``, ``greenhouse gateway`` and ``greenhouse sim``: the long-running processes of a site, each
on the site's clock (simulated time when the demo or a test runs them)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from contract.devices.profile import ProfileBook
from contract.site_file import load_site
from greenhouse import gateway_files
from greenhouse.commands import common
from greenhouse.commands.types import http_url, process_count
from greenhouse.errors import UsageError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site_file = argparse.ArgumentParser(add_help=False)
    site_file.add_argument("--config", type=Path, required=True, help="site file")
    clock = common.clock()

    edge = sub.add_parser(
        "edge",
        help="run the edge agent of one greenhouse",
        parents=[site_file, common.greenhouse("greenhouse id in the site file", required=True), common.broker(), clock],
    )
    edge.add_argument("--data-dir", type=Path, default=Path("edge-data"), help="outbox folder (default ./edge-data)")
    edge.add_argument("--rules", type=Path, help="rule file (default: the greenhouse's rules_file)")
    edge.add_argument(
        "--smsd-dir",
        type=Path,
        help="Gammu SMSD's folders of this computer's own modem: with the uplink down, critical alerts are texted"
        " from here to the roster the farm server last sent (default: no modem, nothing is texted)",
    )
    edge.add_argument(
        "--uplink-sms-after-s",
        type=float,
        help="how long the uplink must be down before this computer texts anyone (simulated seconds; default 300)",
    )
    edge.set_defaults(run=run_edge)

    gw = sub.add_parser(
        "gateway",
        help="run the central gateway: MQTT ingest into the history store",
        parents=[common.broker(), clock],
    )
    gw.add_argument("--config", type=Path, help=f"site file (default: ${gateway_files.SITE_ENV}, the stack's)")
    gw.add_argument(
        "--data-dir",
        type=Path,
        help=f"spool and accounts folder (default: ${gateway_files.DATA_DIR_ENV}, the stack's, or ./gateway-data)",
    )
    gw.add_argument("--influx-url", type=http_url, help="InfluxDB base URL; without it history goes to SQLite")
    gw.add_argument("--influx-db", default="greenhouse", help="InfluxDB database (1.x) or bucket mapping (2.x/3.x)")
    gw.add_argument(
        "--influx-token",
        default=os.environ.get("INFLUX_TOKEN"),
        help="token for 2.x/3.x v1-compatible endpoints (default: $INFLUX_TOKEN)",
    )
    gw.add_argument("--instance", default="1", help="instance name, unique among gateways sharing the stream")
    gw.add_argument("--share-group", default="gateway", help="MQTT shared-subscription group")
    gw.add_argument("--no-share", action="store_true", help="plain subscription (brokers without MQTT 5)")
    gw.add_argument(
        "--ingest-processes",
        type=process_count,
        default=1,
        help="store in this many processes, each taking whole greenhouses (needs --influx-url); one keeps up with"
        " about 90,000 readings a second on 2 cores (docs/benchmarks.md)",
    )
    gw.add_argument("--http-port", type=int, default=8080, help="history API port (0: no API)")
    gw.add_argument("--http-host", default="127.0.0.1", help="history API address (default loopback only)")
    gw.add_argument(
        "--grafana-url",
        type=http_url,
        default=os.environ.get("GREENHOUSE_GRAFANA_URL") or None,
        help="the Grafana dashboards as phones reach them, linked from the web app (default: $GREENHOUSE_GRAFANA_URL)",
    )
    gw.add_argument(
        "--cookie-secure",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mark the session cookie Secure (default); --no-cookie-secure where the API is plain http",
    )
    gw.add_argument(
        "--smsd-dir",
        type=Path,
        default=os.environ.get("GREENHOUSE_SMSD_DIR") or None,
        help="Gammu SMSD's folders (outbox, inbox, sent, error, calls) for alerts by SMS; without it, messages are"
        " written to notify-outbox.jsonl in the data dir (default: $GREENHOUSE_SMSD_DIR)",
    )
    gw.set_defaults(run=run_gateway)

    sim = sub.add_parser(
        "sim", help="run the simulated greenhouses and their Modbus TCP nodes", parents=[site_file, clock]
    )
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--faults", type=Path, help="fault plan (YAML)")
    sim.set_defaults(run=run_sim)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run_edge(args: argparse.Namespace) -> int:
    from edge.agent import EdgeAgent
    from edge.fieldbus.field import FieldIO
    from edge.uplink_sms import UPLINK_SMS_AFTER_S
    from rules.model import load_rules

    site = load_site(args.config)
    try:
        gh = site.greenhouse(args.greenhouse)
    except KeyError as exc:
        raise UsageError(f"--greenhouse: {exc.args[0]}") from None
    rules_path = args.rules or gh.rules_file
    ruleset = load_rules(rules_path) if rules_path else None
    stop = _stop_on_signals()
    clock = common.clock_of(args)
    sms_after_s = UPLINK_SMS_AFTER_S if args.uplink_sms_after_s is None else args.uplink_sms_after_s
    agent = EdgeAgent(site, gh, args.mqtt_url, args.data_dir, clock, FieldIO(gh), ruleset, args.smsd_dir, sms_after_s)
    agent.run(stop)
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    from gateway.main import serve

    site_file = gateway_files.site_file(args.config, os.environ, Path.cwd())
    if site_file is None:
        raise UsageError(f"--config: no site file given (nor ${gateway_files.SITE_ENV}, nor a stack in this folder)")
    if args.ingest_processes > 1 and not args.influx_url:
        raise UsageError(
            "--ingest-processes: several processes need InfluxDB (--influx-url); the embedded history is one file"
        )
    args.config = site_file.path
    args.data_dir = gateway_files.data_dir(args.data_dir, os.environ, Path.cwd()).path
    return serve(args, load_site(args.config), _stop_on_signals(), common.clock_of(args))


def run_sim(args: argparse.Namespace) -> int:
    import asyncio

    from firmware_sim.faults import load_fault_plan
    from firmware_sim.server import Simulator

    site = load_site(args.config)
    faults = load_fault_plan(args.faults) if args.faults else None
    # The site's own profiles too: the simulated devices serve every point of their profile, as the real ones do.
    profiles = ProfileBook.for_site(args.config.resolve().parent).profiles
    simulator = Simulator(site, common.clock_of(args), seed=args.seed, faults=faults, profiles=profiles)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await simulator.run(stop)

    try:
        asyncio.run(_main())
    except (ValueError, OSError) as exc:  # a port it may not take, or one in use
        raise UsageError(f"cannot serve the site's buses here: {exc}") from None
    return 0
