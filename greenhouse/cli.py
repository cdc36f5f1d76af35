"""The ``greenhouse`` command: one entry point for every component."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from contract.clock import Clock
from contract.config_file import ConfigError
from contract.devices.profile import ProfileBook
from contract.mqtt import BrokerUrl
from contract.site import Bus, Greenhouse, ModbusTcpBus, MqttBus, RtuSerialBus, RtuTcpBus, SiteConfig
from contract.site_file import load_site
from contract.topics import ID_PATTERN
from greenhouse import devices_commands, gateway_files, logs, users_commands
from greenhouse.deploy import commands as deploy_commands
from greenhouse.deploy import mqtt_ca
from greenhouse.errors import UsageError
from greenhouse.grafana import commands as grafana_commands

if TYPE_CHECKING:
    from desk.simulate import Band

EXAMPLE_SITE = Path(__file__).parent / "examples" / "cooperative.yaml"


def _broker_url(text: str) -> BrokerUrl:
    try:
        return BrokerUrl.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _id(text: str) -> str:
    if not re.fullmatch(ID_PATTERN, text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an id: lowercase letters, digits, '-' and '_', starting with a letter or digit"
        )
    return text


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} must look like http://host:port")
    return text.rstrip("/")


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError(f"{value:g} is out of range (0 < speed <= 100000)")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be greater than 0")
    return value


def _start_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time like 2026-01-15T05:45:00+07:00") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. +07:00")
    return value


def _band(text: str) -> Band:
    from desk.simulate import Band

    low, sep, high = text.partition(":")
    try:
        band = Band(float(low), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW:HIGH, e.g. 16:28") from None
    if not sep or not band.low < band.high:
        raise argparse.ArgumentTypeError(f"{text!r}: give LOW:HIGH with LOW below HIGH, e.g. 16:28")
    return band


def _add_clock(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speed", type=_speed, default=1.0, help="simulated seconds per wall second (default 1)")
    p.add_argument("--start", type=_start_time, help="simulated start time (ISO, with UTC offset)")
    p.add_argument("--wall-origin", type=float, help=argparse.SUPPRESS)  # set by the demo so processes agree


def _clock(args: argparse.Namespace) -> Clock:
    kwargs: dict[str, object] = {"origin": args.start, "speed": args.speed}
    if args.wall_origin is not None:
        kwargs["wall_origin"] = args.wall_origin
    return Clock.model_validate(kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenhouse", description="Smart-greenhouse controller for cooperatives.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole closed loop: simulated greenhouses, edge agents, rules")
    demo.add_argument("--config", type=Path, default=EXAMPLE_SITE, help="site file (default: the example cooperative)")
    demo.add_argument("--mqtt-url", type=_broker_url, help="use this broker instead of the embedded one")
    demo.add_argument("--speed", type=_speed, default=60.0, help="simulated time runs this many times faster")
    demo.add_argument("--duration", type=_positive, help="stop after this many wall-clock seconds")
    demo.add_argument("--start", type=_start_time, help="simulated start time (default: 05:45 local, mid-January)")
    demo.add_argument("--seed", type=int, default=7, help="weather and physics seed")
    demo.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of the screen (default vi)")
    demo.add_argument(
        "--data-dir", type=Path, help="where outboxes and logs are kept (default: a temporary folder, removed after)"
    )
    demo.add_argument("--keep", action="store_true", help="keep the temporary folder at the end (its path is printed)")
    demo.add_argument("--plain", action="store_true", help="print lines instead of the live view")
    demo.add_argument("--http-port", type=int, default=8080, help="history API port (default 8080, 0: none)")

    edge = sub.add_parser("edge", help="run the edge agent of one greenhouse")
    edge.add_argument("--config", type=Path, required=True, help="site file")
    edge.add_argument("--greenhouse", required=True, help="greenhouse id in the site file")
    edge.add_argument("--mqtt-url", type=_broker_url, default=BrokerUrl.parse("mqtt://127.0.0.1:1883"))
    edge.add_argument("--data-dir", type=Path, default=Path("edge-data"), help="outbox folder (default ./edge-data)")
    edge.add_argument("--rules", type=Path, help="rule file (default: the greenhouse's rules_file)")
    mqtt_ca.add_option(edge)
    _add_clock(edge)

    gw = sub.add_parser("gateway", help="run the central gateway: MQTT ingest into the history store")
    gw.add_argument("--config", type=Path, help=f"site file (default: ${gateway_files.SITE_ENV}, the stack's)")
    gw.add_argument("--mqtt-url", type=_broker_url, default=BrokerUrl.parse("mqtt://127.0.0.1:1883"))
    mqtt_ca.add_option(gw)
    gw.add_argument(
        "--data-dir",
        type=Path,
        help=f"spool and accounts folder (default: ${gateway_files.DATA_DIR_ENV}, the stack's, or ./gateway-data)",
    )
    gw.add_argument("--influx-url", type=_http_url, help="InfluxDB base URL; without it history goes to SQLite")
    gw.add_argument("--influx-db", default="greenhouse", help="InfluxDB database (1.x) or bucket mapping (2.x/3.x)")
    gw.add_argument(
        "--influx-token",
        default=os.environ.get("INFLUX_TOKEN"),
        help="token for 2.x/3.x v1-compatible endpoints (default: $INFLUX_TOKEN)",
    )
    gw.add_argument("--instance", default="1", help="instance name, unique among gateways sharing the stream")
    gw.add_argument("--share-group", default="gateway", help="MQTT shared-subscription group")
    gw.add_argument("--no-share", action="store_true", help="plain subscription (brokers without MQTT 5)")
    gw.add_argument("--http-port", type=int, default=8080, help="history API port (0: no API)")
    gw.add_argument("--http-host", default="127.0.0.1", help="history API address (default loopback only)")
    gw.add_argument(
        "--grafana-url",
        type=_http_url,
        default=os.environ.get("GREENHOUSE_GRAFANA_URL") or None,
        help="the Grafana dashboards as phones reach them, linked from the web app (default: $GREENHOUSE_GRAFANA_URL)",
    )
    gw.add_argument(
        "--cookie-secure",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mark the session cookie Secure (default); --no-cookie-secure where the API is plain http",
    )
    _add_clock(gw)

    sim = sub.add_parser("sim", help="run the simulated greenhouses and their Modbus TCP nodes")
    sim.add_argument("--config", type=Path, required=True, help="site file")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--faults", type=Path, help="fault plan (YAML)")
    _add_clock(sim)

    site = sub.add_parser("site", help="site configuration tools")
    site_sub = site.add_subparsers(dest="site_command", required=True, metavar="SUBCOMMAND")
    check = site_sub.add_parser("check", help="validate a site file: every problem at once, by line")
    check.add_argument("file", type=Path)
    check.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")

    rules = sub.add_parser("rules", help="rule-file tools for technicians")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")
    rules_check = rules_sub.add_parser("check", help="validate a rule file, and that it fits its greenhouses")
    rules_check.add_argument("file", type=Path)
    rules_check.add_argument("--site", type=Path, help="site file: also check the rules against its greenhouses")
    rules_check.add_argument(
        "--greenhouse", action="append", help="greenhouse id to check against (default: those using this file)"
    )
    rules_check.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_deploy = rules_sub.add_parser("deploy", help="publish a rule file to greenhouses and wait for their answer")
    rules_deploy.add_argument("file", type=Path)
    rules_deploy.add_argument("--site", type=Path, required=True, help="site file")
    rules_deploy.add_argument(
        "--greenhouse", action="append", help="greenhouse id (repeatable; default: those using this file)"
    )
    rules_deploy.add_argument("--mqtt-url", type=_broker_url, default=BrokerUrl.parse("mqtt://127.0.0.1:1883"))
    mqtt_ca.add_option(rules_deploy)
    rules_deploy.add_argument("--wait", type=_positive, default=30.0, help="seconds to wait for the edges' answers")
    rules_deploy.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who publishes (audit)")
    rules_deploy.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_sim = rules_sub.add_parser("simulate", help="run a rule file for days against the simulated greenhouse")
    rules_sim.add_argument("file", type=Path)
    rules_sim.add_argument("--site", type=Path, default=EXAMPLE_SITE, help="site file (default: the example)")
    rules_sim.add_argument("--greenhouse", action="append", help="greenhouse id (default: those using this file)")
    rules_sim.add_argument("--days", type=_positive, default=7.0, help="simulated days (default 7)")
    rules_sim.add_argument("--start", type=_start_time, help="start (default: 00:00 local, 15 January this year)")
    rules_sim.add_argument("--seed", type=int, default=7, help="weather seed")
    rules_sim.add_argument(
        "--temp-band", type=_band, help="target air °C, LOW:HIGH (default: the crop's by day and night)"
    )
    rules_sim.add_argument("--vpd-band", type=_band, help="target VPD kPa, LOW:HIGH (default: the crop's)")
    rules_sim.add_argument("--json", action="store_true", help="print the report as JSON")
    rules_sim.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_bt = rules_sub.add_parser("backtest", help="replay stored telemetry through a rule file")
    rules_bt.add_argument("file", type=Path)
    rules_bt.add_argument("--site", type=Path, required=True, help="site file")
    rules_bt.add_argument("--greenhouse", action="append", help="greenhouse id (default: those using this file)")
    rules_bt.add_argument("--from", dest="start", type=_start_time, required=True, help="e.g. 2026-01-15T00:00+07:00")
    rules_bt.add_argument("--to", dest="end", type=_start_time, required=True, help="e.g. 2026-01-22T00:00+07:00")
    history = rules_bt.add_mutually_exclusive_group(required=True)
    history.add_argument("--sqlite", type=Path, help="the gateway's SQLite history file")
    history.add_argument("--influx-url", type=_http_url, help="InfluxDB base URL")
    rules_bt.add_argument("--influx-db", default="greenhouse", help="InfluxDB database")
    rules_bt.add_argument("--json", action="store_true", help="print the report as JSON")
    rules_bt.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_diff = rules_sub.add_parser("diff", help="what changes in behaviour between two rule files")
    rules_diff.add_argument("old", type=Path)
    rules_diff.add_argument("new", type=Path)
    rules_diff.add_argument("--site", type=Path, default=EXAMPLE_SITE, help="site file (default: the example)")
    rules_diff.add_argument("--greenhouse", action="append", help="greenhouse id (default: those using OLD)")
    rules_diff.add_argument("--days", type=_positive, default=3.0, help="simulated days per side (default 3)")
    rules_diff.add_argument("--start", type=_start_time, help="start (default: 00:00 local, 15 January this year)")
    rules_diff.add_argument("--seed", type=int, default=7, help="weather seed")
    rules_diff.add_argument(
        "--temp-band", type=_band, help="target air °C, LOW:HIGH (default: the crop's by day and night)"
    )
    rules_diff.add_argument("--vpd-band", type=_band, help="target VPD kPa, LOW:HIGH (default: the crop's)")
    rules_diff.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_why = rules_sub.add_parser("why", help="why an actuator or a zone's valve did what it did (audit trail)")
    rules_why.add_argument("--gateway", type=_http_url, default="http://127.0.0.1:8080", help="gateway API URL")
    rules_why.add_argument("--greenhouse", required=True)
    target = rules_why.add_mutually_exclusive_group(required=True)
    target.add_argument("--zone", help="irrigation zone id: its valve and pump")
    target.add_argument("--actuator", help="actuator id")
    rules_why.add_argument(
        "--at", type=_start_time, required=True, help="time with UTC offset, e.g. 2026-01-15T05:40+07:00"
    )
    rules_why.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default vi)")
    rules_why.add_argument(
        "--user",
        default=os.environ.get("GREENHOUSE_USER"),
        help="sign in to the gateway as this user (default: $GREENHOUSE_USER); the password is asked at a prompt",
    )
    rules_why.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )

    users_commands.add_parsers(sub, _id)
    deploy_commands.add_parsers(sub, _id, _http_url)
    devices_commands.add_parsers(sub)
    grafana_commands.add_parsers(sub, _http_url)
    return parser


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run_edge(args: argparse.Namespace) -> int:
    from edge.agent import EdgeAgent
    from edge.fieldbus.field import FieldIO
    from rules.model import load_rules

    site = load_site(args.config)
    try:
        gh = site.greenhouse(args.greenhouse)
    except KeyError as exc:
        raise UsageError(f"--greenhouse: {exc.args[0]}") from None
    rules_path = args.rules or gh.rules_file
    ruleset = load_rules(rules_path) if rules_path else None
    stop = _stop_on_signals()
    agent = EdgeAgent(site, gh, args.mqtt_url, args.data_dir, _clock(args), FieldIO(gh), ruleset)
    agent.run(stop)
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    from gateway.main import serve

    site_file = gateway_files.site_file(args.config, os.environ, Path.cwd())
    if site_file is None:
        raise UsageError(f"--config: no site file given (nor ${gateway_files.SITE_ENV}, nor a stack in this folder)")
    args.config = site_file.path
    args.data_dir = gateway_files.data_dir(args.data_dir, os.environ, Path.cwd()).path
    return serve(args, load_site(args.config), _stop_on_signals(), _clock(args))


def run_sim(args: argparse.Namespace) -> int:
    import asyncio

    from firmware_sim.faults import load_fault_plan
    from firmware_sim.server import Simulator

    site = load_site(args.config)
    faults = load_fault_plan(args.faults) if args.faults else None
    # The site's own profiles too: the simulated devices serve every point of their profile, as the real ones do.
    profiles = ProfileBook.for_site(args.config.resolve().parent).profiles
    simulator = Simulator(site, _clock(args), seed=args.seed, faults=faults, profiles=profiles)

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


def run_site_check(args: argparse.Namespace) -> int:
    from contract.reasons import pick
    from desk import words

    try:
        site = load_site(args.file)
    except ConfigError as exc:
        lines = exc.lines(args.lang)
        count = pick(words.ONE_PROBLEM, args.lang) if len(lines) == 1 else pick(words.PROBLEM_COUNT, args.lang)
        header = pick(words.CONFIG_ERROR, args.lang).format(command=args.command, path=exc.path)
        print(f"{header} {count.format(n=len(lines))}", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)
        return 2
    print(
        pick(words.SITE_OK, args.lang).format(
            file=args.file,
            cooperative=site.cooperative.id,
            greenhouses=len(site.greenhouses),
            sensors=sum(len(g.sensors) for g in site.greenhouses),
            actuators=sum(len(g.actuators) for g in site.greenhouses),
        )
    )
    for gh in site.greenhouses:
        for bus in gh.buses:
            devices = [n for n in gh.nodes if gh.bus_of(n).id == bus.id]
            named = ", ".join(
                f"{n.id}@{n.address or n.topic}" + (f" ({n.profile})" if n.profile else "") for n in devices
            )
            print(f"  {gh.id} · {bus.id} ({_bus_words(bus)}): {named or pick(words.SITE_NO_DEVICES, args.lang)}")
    return 0


def _bus_words(bus: Bus) -> str:
    match bus:
        case RtuSerialBus():
            return f"RTU {bus.port} {bus.baud} 8{bus.parity.value}{bus.stop_bits}"
        case RtuTcpBus():
            return f"RTU over TCP {bus.host}:{bus.port}"
        case ModbusTcpBus():
            return f"Modbus TCP {bus.host}:{bus.port}"
        case MqttBus():
            return f"MQTT {bus.broker}"


def _rules_targets(args: argparse.Namespace) -> tuple[SiteConfig | None, list[Greenhouse]]:
    """The site and the greenhouses a rules command is about: named ones, or those using the rule file."""
    if args.site is None:
        if args.greenhouse:
            raise UsageError("--greenhouse needs --site")
        return None, []
    site = load_site(args.site)
    by_id = {g.id: g for g in site.greenhouses}
    if args.greenhouse:
        unknown = [g for g in args.greenhouse if g not in by_id]
        if unknown:
            raise UsageError(f"--greenhouse {', '.join(unknown)}: not in {args.site} (has {', '.join(by_id)})")
        return site, [by_id[g] for g in args.greenhouse]
    mine = args.file.resolve()
    return site, [g for g in site.greenhouses if g.rules_file and g.rules_file.resolve() == mine]


def run_rules_check(args: argparse.Namespace) -> int:
    from desk.check import check

    _site, greenhouses = _rules_targets(args)
    ok, lines = check(args.file, greenhouses, args.lang)
    print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def run_rules_deploy(args: argparse.Namespace) -> int:
    from desk.check import check, version_problem
    from desk.deploy import deploy, describe, running_reports
    from rules.model import load_rules, rules_file_text

    site, greenhouses = _rules_targets(args)
    assert site is not None  # --site is required
    if not greenhouses:
        raise UsageError(f"no greenhouse in {args.site} uses {args.file}: name them with --greenhouse")
    ok, lines = check(args.file, greenhouses, args.lang)
    if not ok:  # refused here already: nothing is published
        print("\n".join(lines), file=sys.stderr)
        return 1
    text = args.file.read_text(encoding="utf-8")
    ruleset = load_rules(args.file)
    # A changed set must carry a higher version than the one a greenhouse runs (the web app insists too).
    running = running_reports(args.mqtt_url, site.cooperative.id, greenhouses)
    stale = []
    for g in greenhouses:
        report = running.get(g.id)
        problem = report and version_problem(ruleset, text, report, rules_file_text(g))
        if problem:
            stale.append(f"{g.id}: version: {problem.hint_vi if args.lang == 'vi' else problem.hint_en}")
    if stale:  # nothing is published
        print("\n".join(stale), file=sys.stderr)
        return 1
    done = deploy(args.mqtt_url, site.cooperative.id, greenhouses, text, ruleset, args.by, args.wait)
    ok, lines = describe(done, args.lang)
    print("\n".join(lines))
    return 0 if ok else 1


def run_rules_simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from desk.check import check
    from desk.simulate import simulate
    from desk.simulate_view import progress_bar, report_lines
    from rules.model import load_rules

    site, greenhouses = _rules_targets(args)
    assert site is not None  # --site has a default
    if not greenhouses:
        raise UsageError(f"no greenhouse in {args.site} uses {args.file}: name one with --greenhouse")
    ok, lines = check(args.file, greenhouses, args.lang)
    if not ok:
        print("\n".join(lines), file=sys.stderr)
        return 1
    ruleset = load_rules(args.file)
    start = args.start or datetime(datetime.now().year, 1, 15, tzinfo=site.cooperative.tz)
    console = Console(stderr=True)
    for gh in greenhouses:
        with progress_bar(args.days, args.lang, console) as progress:
            report = simulate(
                site, gh.id, ruleset, start, args.days, args.temp_band, args.vpd_band, args.seed, progress=progress
            )
        print(report.model_dump_json(indent=2) if args.json else "\n".join(report_lines(report, args.lang)))
    return 0


def run_rules_backtest(args: argparse.Namespace) -> int:
    from desk.backtest_view import report_lines
    from gateway.storage.influx import InfluxV1Store
    from gateway.storage.model import Store
    from gateway.storage.recorded import backtest_stored
    from gateway.storage.sqlite import SqliteStore
    from rules.model import load_rules

    site, greenhouses = _rules_targets(args)
    assert site is not None  # --site is required
    if not greenhouses:
        raise UsageError(f"no greenhouse in {args.site} uses {args.file}: name one with --greenhouse")
    if args.start >= args.end:
        raise UsageError(f"--from {args.start.isoformat()} is not before --to {args.end.isoformat()}")
    if args.sqlite is not None and not args.sqlite.is_file():
        raise UsageError(f"--sqlite {args.sqlite}: no such file")
    ruleset = load_rules(args.file)
    store: Store = InfluxV1Store(args.influx_url, args.influx_db) if args.influx_url else SqliteStore(args.sqlite)
    try:
        for gh in greenhouses:
            report = backtest_stored(store, site, gh.id, ruleset, args.start, args.end)
            lines = report_lines(report, site.cooperative.tz, args.lang)
            print(report.model_dump_json(indent=2) if args.json else "\n".join(lines))
    finally:
        store.close()
    return 0


def run_rules_diff(args: argparse.Namespace) -> int:
    from rich.console import Console

    from desk.check import check
    from desk.diff import behaviour, lines, rule_changes
    from desk.simulate_view import progress_bar
    from rules.model import load_rules

    args.file = args.old  # the greenhouses using the old file are the ones to compare on
    site, greenhouses = _rules_targets(args)
    assert site is not None  # --site has a default
    if not greenhouses:
        raise UsageError(f"no greenhouse in {args.site} uses {args.old}: name one with --greenhouse")
    for path in (args.old, args.new):
        ok, problems = check(path, greenhouses, args.lang)
        if not ok:
            print("\n".join(problems), file=sys.stderr)
            return 1
    old, new = load_rules(args.old), load_rules(args.new)
    start = args.start or datetime(datetime.now().year, 1, 15, tzinfo=site.cooperative.tz)
    diffs = []
    for gh in greenhouses:
        with progress_bar(2 * args.days, args.lang, Console(stderr=True)) as progress:
            bands = (args.temp_band, args.vpd_band)
            diffs.append(behaviour(site, gh.id, old, new, start, args.days, *bands, args.seed, progress))
    print("\n".join(lines(rule_changes(old, new), diffs, args.days, args.lang)))
    return 0


def run_rules_why(args: argparse.Namespace) -> int:
    import httpx

    from desk.why import why
    from gateway.api.client import SignInRefused, signed_in

    if not args.user:
        raise UsageError("--user: the gateway needs a user to sign in as (or set $GREENHOUSE_USER)")
    try:
        with signed_in(args.gateway, args.user, users_commands.read_password(args, confirm=False), args.lang) as api:
            lines = why(api, args.greenhouse, args.at, args.lang, zone=args.zone, actuator=args.actuator)
    except SignInRefused as exc:
        raise UsageError(f"the gateway refused to sign in {args.user}: {exc}") from None
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot ask the gateway at {args.gateway}: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"the gateway refused: {exc}") from None
    print("\n".join(lines))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.verbose)
    try:
        mqtt_ca.apply(args)
        if hasattr(args, "run"):  # the stack's commands (init, gateways, grafana) name their own runner
            return int(args.run(args))
        if args.command == "demo":
            from greenhouse.demo.runner import run_demo

            return run_demo(args)
        if args.command == "edge":
            return run_edge(args)
        if args.command == "sim":
            return run_sim(args)
        if args.command == "gateway":
            return run_gateway(args)
        if args.command == "rules":
            runners = {
                "check": run_rules_check,
                "deploy": run_rules_deploy,
                "simulate": run_rules_simulate,
                "backtest": run_rules_backtest,
                "diff": run_rules_diff,
                "why": run_rules_why,
            }
            return runners[args.rules_command](args)
        return run_site_check(args)
    except ConfigError as exc:
        print(f"greenhouse {args.command}: configuration error in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"greenhouse {args.command}: {exc}", file=sys.stderr)
        return 2
