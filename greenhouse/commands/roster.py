"""``greenhouse roster check``: a duty roster's every problem at once, by line, whether it fits the site, and who
is told about each greenhouse this week, in order — what the technician checks before the first frost night."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract.config_file import ConfigError
from contract.reasons import pick
from greenhouse.commands import common

OK = ("{file}: hợp lệ — {people} người, {duties} nhà màng", "{file}: OK — {people} people, {duties} greenhouses")
ORDER = ("  {house} (tuần này): {chain}", "  {house} (this week): {chain}")
MISFITS = ("{file}: không khớp với {site}:", "{file}: does not fit {site}:")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roster = sub.add_parser("roster", help="who is told of alerts: the duty roster (roster.yaml in the data dir)")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True, metavar="SUBCOMMAND")
    check = roster_sub.add_parser(
        "check",
        help="validate a roster: every problem at once, by line; with --site, whether it fits and who is told",
        parents=[common.lang(), common.site("the site file the roster's greenhouses are checked against")],
    )
    check.add_argument("file", type=Path)
    check.set_defaults(run=run_roster_check)


def run_roster_check(args: argparse.Namespace) -> int:
    from contract.clock import Clock
    from contract.config_file import load_model
    from contract.site_file import load_site
    from gateway.notify.roster import Roster, roster_problems
    from gateway.notify.words import CHANNEL

    try:
        roster = load_model(args.file, Roster)
    except ConfigError as exc:
        return common.config_problems(exc, args.command, args.lang)
    print(pick(OK, args.lang).format(file=args.file, people=len(roster.people), duties=len(roster.duties)))
    if args.site is None:
        return 0
    site = load_site(args.site)
    problems = roster_problems(roster, site)
    if problems:
        print(pick(MISFITS, args.lang).format(file=args.file, site=args.site), file=sys.stderr)
        for problem in problems:
            print(f"  {problem.pick(args.lang)}", file=sys.stderr)
    now = Clock().now()
    for gh in site.greenhouses:
        chain = roster.chain(gh.id, now, site.cooperative.tz)
        said = " → ".join(
            f"{p.name} ({', '.join(pick(CHANNEL[c.value], args.lang) for c in p.channels)})" for p in chain
        )
        print(pick(ORDER, args.lang).format(house=gh.label_in(args.lang), chain=said or "—"))
    return 2 if problems else 0
