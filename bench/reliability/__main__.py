"""``python -m bench.reliability``: hostile MQTT input of every family against the gateway and an edge agent,
broker restarts and gateway kills under load, and every local store damaged, all against real processes on
loopback; prints a table, and exits 1 if anything was lost, stored twice, let in, or died (docs/reliability.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.reliability.damaged import damaged_stores
from bench.reliability.faults import FaultFigures, broker_restarts, gateway_kills
from bench.reliability.hostile import run_hostile
from bench.reliability.http_fuzz import run_http_fuzz
from bench.reliability.report import Run, failures, table
from bench.reliability.system import running_system


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__)
    p.add_argument("--per-family", type=int, default=40, help="hostile inputs generated per family (default 40)")
    p.add_argument("--batch", type=int, default=80, help="hostile inputs sent between two checks (default 80)")
    p.add_argument("--flood-mib", type=int, default=128, help="and this much in 2 MiB messages (default 128)")
    p.add_argument("--restarts", type=int, default=6, help="broker restarts, every other one wiped (default 6)")
    p.add_argument("--kills", type=int, default=3, help="gateway SIGKILLs (default 3)")
    p.add_argument("--load-s", type=float, default=2.0, help="seconds of load before each fault (default 2)")
    p.add_argument("--settle-s", type=float, default=45.0, help="seconds the system may take to catch up (45)")
    p.add_argument("--speed", type=float, default=120.0, help="simulated time's speed: edges poll every 30/speed s")
    p.add_argument("--skip", action="append", default=[], choices=["hostile", "faults", "damage", "http"])
    return p.parse_args()


def main() -> int:
    args = _args()
    # The run's own table is what matters; each component's warnings (a broker gone, a store damaged) are expected,
    # and made (the hostile run counts some), but only errors are shown.
    shown = logging.StreamHandler()
    shown.setLevel(logging.ERROR)
    logging.basicConfig(level=logging.WARNING, handlers=[shown])
    began = time.monotonic()
    print(f"reliability run, {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as tmp:
        work = Path(tmp)
        hostile = None
        if "hostile" not in args.skip:
            print("(a) hostile MQTT input …", flush=True)
            hostile = run_hostile(work / "hostile", args.per_family, args.batch, args.flood_mib)
        faults: list[FaultFigures] = []
        if "faults" not in args.skip:
            print("(b) broker restarts under load …", flush=True)
            with running_system(work / "restarts", args.speed) as system:
                faults.append(broker_restarts(system, args.restarts, args.load_s, args.settle_s))
            print("(c) gateway SIGKILLed under load …", flush=True)
            with running_system(work / "kills", args.speed) as system:
                faults.append(gateway_kills(system, args.kills, args.load_s, args.settle_s))
        stores = []
        if "damage" not in args.skip:
            print("(d) damaged local stores …", flush=True)
            with running_system(work / "damage", args.speed) as system:
                stores = damaged_stores(system)
        http = None
        if "http" not in args.skip:
            print("HTTP fuzzing …", flush=True)
            http = run_http_fuzz()
    run = Run(hostile, faults, stores, http)
    print()
    print(table(run))
    failed = failures(run)
    verdict = "FAILED:" if failed else "Nothing lost, nothing let in, nothing died."
    print(f"\n{time.monotonic() - began:.0f} s. {verdict}")
    for line in failed:
        print(f"  - {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
