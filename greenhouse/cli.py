"""The ``greenhouse`` command: one entry point for every component. Each command group (``greenhouse.commands``)
adds its parsers and names its runner; this module only assembles them, and says what went wrong."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contract.config_file import ConfigError
from contract.schema_versions import StoreTooNew
from greenhouse import logs
from greenhouse.commands import demo, devices, diary, grafana, modem, roster, rules, services, site, stack, users
from greenhouse.deploy import mqtt_ca
from greenhouse.errors import UsageError

# In the order `greenhouse --help` lists them.
GROUPS = (demo, services, site, rules, users, roster, modem, diary, stack, devices, grafana)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenhouse", description="Smart-greenhouse controller for cooperatives.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.verbose)
    try:
        mqtt_ca.apply(args)
        return int(args.run(args))
    except ConfigError as exc:
        print(f"greenhouse {args.command}: configuration error in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"greenhouse {args.command}: {exc}", file=sys.stderr)
        return 2
    except StoreTooNew as exc:  # a store a newer release wrote is left as it is, and said so
        print(f"greenhouse {args.command}: {exc.said(getattr(args, 'lang', 'vi'))}", file=sys.stderr)
        return 2
