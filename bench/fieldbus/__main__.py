"""``python -m bench.fieldbus``: full poll cycles of a 16-device Modbus RTU bus at 9600 baud through the edge's
field bus layer (FieldIO on a pseudo-terminal, as it opens a USB–RS485 adapter), each next to the wire time of
the same cycle's frames measured in the same run; then the same with one device dead (docs/fieldbus.md).

Prints the table; writes nothing unless ``--json`` names a file. Progress goes to stderr."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.fieldbus.bus import BAUD, DEVICES, TIMEOUT_S, devices, greenhouse
from bench.fieldbus.cycles import Bench, TimedLine, progress
from bench.fieldbus.report import Report, Run, figures, table
from edge.fieldbus import FieldIO, Quarantine
from firmware_sim.rtu.line import LineFaults
from firmware_sim.rtu.standalone import LineThread

# Cycles that open the port and warm the code paths, left out of the figures.
_WARMUP = 2


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fieldbus", description=__doc__)
    p.add_argument("--cycles", type=int, default=30, help="cycles with every device answering (default 30)")
    p.add_argument(
        "--dead-cycles", type=int, default=40, help="cycles with one device dead; 40 reach two probes (default 40)"
    )
    p.add_argument("--dead", type=int, default=6, help="the dead device's address (default 6, a soil probe)")
    p.add_argument("--timeout-s", type=float, default=TIMEOUT_S, help="the bus's timeout (default: the edge's 0.5)")
    p.add_argument("--json", type=Path, help="also write everything measured to this file")
    p.add_argument("--quick", action="store_true", help="a smoke run: 3 cycles answering, 4 with one dead")
    args = p.parse_args()
    if args.quick:
        args.cycles, args.dead_cycles = 3, 4
    addresses = {d.address: d.node_id for d in DEVICES}
    if args.dead not in addresses:
        p.error(f"--dead {args.dead}: no device at that address; the bus has {sorted(addresses)}")
    if args.cycles < 1 or args.dead_cycles < 1:
        p.error("--cycles and --dead-cycles take at least 1")
    return args


def measure(cycles: int, dead_cycles: int, dead: int, timeout_s: float, work: Path) -> Run:
    load_before, cpu_before = os.getloadavg()[0], time.process_time()
    link = work / "ttyUSB0"
    quarantine = Quarantine()
    dead_node = next(d.node_id for d in DEVICES if d.address == dead)
    line = TimedLine(devices(), baud=BAUD)
    with LineThread(line, link=link) as thread, FieldIO(greenhouse(link, timeout_s), quarantine) as io:
        bench = Bench(line, thread, io)
        for _ in range(_WARMUP):
            bench.cycle()
        answering = []
        for i in range(cycles):
            answering.append(bench.cycle())
            progress(f"all answering, cycle {i + 1}/{cycles}: {1000 * answering[-1].wall_s:.0f} ms")
        thread.set_faults(LineFaults(dead={dead}))
        dead_run = []
        for i in range(dead_cycles):
            dead_run.append(bench.cycle(dead_node))
            c = dead_run[-1]
            state = "quarantined" if c.dead_quarantined else f"{c.timeouts} timeouts"
            progress(f"{dead_node} dead, cycle {i + 1}/{dead_cycles}: {1000 * c.wall_s:.0f} ms ({state})")
    return Run(
        devices=len(DEVICES),
        baud=BAUD,
        timeout_s=timeout_s,
        quarantine_first_s=quarantine.first_s,
        dead_node=dead_node,
        dead_address=dead,
        answering=answering,
        dead=dead_run,
        cpus=os.cpu_count() or 1,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        cpu_s=time.process_time() - cpu_before,
    )


def main() -> int:
    args = _args()
    # The dead device's quarantine is expected; only errors are worth showing next to the table.
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-fieldbus-") as tmp:
        run = measure(args.cycles, args.dead_cycles, args.dead, args.timeout_s, Path(tmp))
    report = Report(run=run, figures=figures(run))
    print(table(report))
    if args.json is not None:
        args.json.write_text(report.model_dump_json(indent=2))
        print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
