"""``greenhouse demo``: the whole closed loop on one machine (``greenhouse.demo``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from greenhouse.commands import common
from greenhouse.commands.types import broker_url, positive, speed, start_time


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the whole closed loop: simulated greenhouses, edge agents, rules",
        parents=[common.lang("language of the screen (default vi)")],
    )
    demo.add_argument(
        "--config", type=Path, default=common.EXAMPLE_SITE, help="site file (default: the example cooperative)"
    )
    demo.add_argument("--mqtt-url", type=broker_url, help="use this broker instead of the embedded one")
    # Its own clock options: faster by default, and it starts the processes' clocks itself (no --wall-origin).
    demo.add_argument("--speed", type=speed, default=60.0, help="simulated time runs this many times faster")
    demo.add_argument("--duration", type=positive, help="stop after this many wall-clock seconds")
    demo.add_argument("--start", type=start_time, help="simulated start time (default: 05:45 local, mid-January)")
    demo.add_argument("--seed", type=int, default=7, help="weather and physics seed")
    demo.add_argument(
        "--data-dir", type=Path, help="where outboxes and logs are kept (default: a temporary folder, removed after)"
    )
    demo.add_argument("--keep", action="store_true", help="keep the temporary folder at the end (its path is printed)")
    demo.add_argument("--plain", action="store_true", help="print lines instead of the live view")
    demo.add_argument("--http-port", type=int, default=8080, help="history API port (default 8080, 0: none)")
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from greenhouse.demo import runner

    return runner.run_demo(args)
