"""``greenhouse rules check|deploy|simulate|backtest|diff|why``: the technician's tools for rule files (``desk``)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from greenhouse.commands import common
from greenhouse.commands.types import http_url, positive, start_time
from greenhouse.commands.users import read_password
from greenhouse.errors import UsageError

if TYPE_CHECKING:
    from desk.simulate import Band

_THOSE_USING = "greenhouse id (default: those using this file)"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("rules", help="rule-file tools for technicians")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")
    lang = common.lang()

    check = rules_sub.add_parser(
        "check",
        help="validate a rule file, and that it fits its greenhouses",
        parents=[
            common.site("site file: also check the rules against its greenhouses"),
            common.greenhouse("greenhouse id to check against (default: those using this file)", many=True),
            lang,
        ],
    )
    check.add_argument("file", type=Path)
    check.set_defaults(run=run_check)

    deploy = rules_sub.add_parser(
        "deploy",
        help="publish a rule file to greenhouses and wait for their answer",
        parents=[
            common.site("site file", required=True),
            common.greenhouse("greenhouse id (repeatable; default: those using this file)", many=True),
            common.broker(),
            lang,
        ],
    )
    deploy.add_argument("file", type=Path)
    deploy.add_argument("--wait", type=positive, default=30.0, help="seconds to wait for the edges' answers")
    deploy.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who publishes (audit)")
    deploy.set_defaults(run=run_deploy)

    example_site = common.site("site file (default: the example)", default=common.EXAMPLE_SITE)
    simulate = rules_sub.add_parser(
        "simulate",
        help="run a rule file for days against the simulated greenhouse",
        parents=[example_site, common.greenhouse(_THOSE_USING, many=True), lang],
    )
    simulate.add_argument("file", type=Path)
    simulate.add_argument("--days", type=positive, default=7.0, help="simulated days (default 7)")
    _add_weather(simulate)
    simulate.add_argument("--json", action="store_true", help="print the report as JSON")
    simulate.set_defaults(run=run_simulate)

    backtest = rules_sub.add_parser(
        "backtest",
        help="replay stored telemetry through a rule file",
        parents=[common.site("site file", required=True), common.greenhouse(_THOSE_USING, many=True), lang],
    )
    backtest.add_argument("file", type=Path)
    backtest.add_argument("--from", dest="start", type=start_time, required=True, help="e.g. 2026-01-15T00:00+07:00")
    backtest.add_argument("--to", dest="end", type=start_time, required=True, help="e.g. 2026-01-22T00:00+07:00")
    history = backtest.add_mutually_exclusive_group(required=True)
    history.add_argument("--sqlite", type=Path, help="the gateway's SQLite history file")
    history.add_argument("--influx-url", type=http_url, help="InfluxDB base URL")
    backtest.add_argument("--influx-db", default="greenhouse", help="InfluxDB database")
    backtest.add_argument("--json", action="store_true", help="print the report as JSON")
    backtest.set_defaults(run=run_backtest)

    diff = rules_sub.add_parser(
        "diff",
        help="what changes in behaviour between two rule files",
        parents=[example_site, common.greenhouse("greenhouse id (default: those using OLD)", many=True), lang],
    )
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--days", type=positive, default=3.0, help="simulated days per side (default 3)")
    _add_weather(diff)
    diff.set_defaults(run=run_diff)

    why = rules_sub.add_parser(
        "why",
        help="why an actuator or a zone's valve did what it did (audit trail)",
        parents=[common.greenhouse(required=True), lang],
    )
    why.add_argument("--gateway", type=http_url, default="http://127.0.0.1:8080", help="gateway API URL")
    target = why.add_mutually_exclusive_group(required=True)
    target.add_argument("--zone", help="irrigation zone id: its valve and pump")
    target.add_argument("--actuator", help="actuator id")
    why.add_argument("--at", type=start_time, required=True, help="time with UTC offset, e.g. 2026-01-15T05:40+07:00")
    why.add_argument(
        "--user",
        default=os.environ.get("GREENHOUSE_USER"),
        help="sign in to the gateway as this user (default: $GREENHOUSE_USER); the password is asked at a prompt",
    )
    why.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    why.set_defaults(run=run_why)


def _add_weather(p: argparse.ArgumentParser) -> None:
    """The simulated weather and the bands a simulation is judged by (``simulate`` and ``diff``)."""
    p.add_argument("--start", type=start_time, help="start (default: 00:00 local, 15 January this year)")
    p.add_argument("--seed", type=int, default=7, help="weather seed")
    p.add_argument("--temp-band", type=_band, help="target air °C, LOW:HIGH (default: the crop's by day and night)")
    p.add_argument("--vpd-band", type=_band, help="target VPD kPa, LOW:HIGH (default: the crop's)")


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


def _targets(args: argparse.Namespace) -> tuple[SiteConfig | None, list[Greenhouse]]:
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


def run_check(args: argparse.Namespace) -> int:
    from desk.check import check

    _site, greenhouses = _targets(args)
    ok, lines = check(args.file, greenhouses, args.lang)
    print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def run_deploy(args: argparse.Namespace) -> int:
    from desk.check import check, version_problem
    from desk.deploy import deploy, describe, running_reports
    from rules.model import load_rules, rules_file_text

    site, greenhouses = _targets(args)
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


def run_simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from desk.check import check
    from desk.simulate import simulate
    from desk.simulate_view import progress_bar, report_lines
    from rules.model import load_rules

    site, greenhouses = _targets(args)
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


def run_backtest(args: argparse.Namespace) -> int:
    from desk.backtest_view import report_lines
    from gateway.storage.influx import InfluxV1Store
    from gateway.storage.model import Store
    from gateway.storage.recorded import backtest_stored
    from gateway.storage.sqlite import SqliteStore
    from rules.model import load_rules

    site, greenhouses = _targets(args)
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


def run_diff(args: argparse.Namespace) -> int:
    from rich.console import Console

    from desk.check import check
    from desk.diff import behaviour, lines, rule_changes
    from desk.simulate_view import progress_bar
    from rules.model import load_rules

    args.file = args.old  # the greenhouses using the old file are the ones to compare on
    site, greenhouses = _targets(args)
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


def run_why(args: argparse.Namespace) -> int:
    import httpx

    from desk.why import why
    from gateway.api.client import SignInRefused, signed_in

    if not args.user:
        raise UsageError("--user: the gateway needs a user to sign in as (or set $GREENHOUSE_USER)")
    try:
        with signed_in(args.gateway, args.user, read_password(args, confirm=False), args.lang) as api:
            lines = why(api, args.greenhouse, args.at, args.lang, zone=args.zone, actuator=args.actuator)
    except SignInRefused as exc:
        raise UsageError(f"the gateway refused to sign in {args.user}: {exc}") from None
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot ask the gateway at {args.gateway}: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"the gateway refused: {exc}") from None
    print("\n".join(lines))
    return 0
