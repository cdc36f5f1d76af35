"""``python -m bench.ingest``: baselines, then the whole system; a table on stdout and JSON in bench/results/."""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime
from pathlib import Path

from bench.ingest import report, runner
from contract.compact import UplinkEncoding

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    p.add_argument("--greenhouses", type=int, default=1000)
    p.add_argument("--sensors", type=int, default=17, help="sensors per greenhouse (the example greenhouse has 17)")
    p.add_argument("--polls", type=int, default=10, help="polls per message (10: a 300 s batch of 30 s polls)")
    p.add_argument("--encoding", choices=[e.value for e in UplinkEncoding], default=UplinkEncoding.DEFLATE.value)
    p.add_argument("--deflate-level", type=int, default=9, help="9 as the edges; 1 costs the publishers a fifth")
    p.add_argument("--seconds", type=float, default=60, help="how long the system run publishes")
    p.add_argument("--rate", type=float, default=100_000, help="readings/s offered in the system run; 0: flat out")
    p.add_argument("--publishers", type=int, default=2, help="publisher processes")
    p.add_argument("--gateways", type=int, default=1, help="gateway instances sharing the subscription")
    p.add_argument("--live", action="store_true", help="run the phones' live feed in each gateway, as deployed")
    p.add_argument(
        "--ingest-processes", type=int, default=1, help="each gateway's ingest processes (whole greenhouses each)"
    )
    p.add_argument("--baseline-seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=10, help="seconds left out of the steady window")
    p.add_argument("--drain", type=float, default=120, help="seconds to wait for the backlog after publishing")
    p.add_argument("--window", type=int, default=1000, help="QoS 1 messages in flight per publisher")
    p.add_argument("--influx-writers", type=int, default=2, help="concurrent writers in baseline B")
    p.add_argument("--skip-baselines", action="store_true")
    p.add_argument("--profile", action="store_true", help="sample the gateway with py-spy over the steady window")
    return p.parse_args()


def main() -> None:
    args = _args()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    host = report.machine()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        opts = runner.Options(
            greenhouses=args.greenhouses,
            sensors=args.sensors,
            polls=args.polls,
            encoding=UplinkEncoding(args.encoding),
            deflate_level=args.deflate_level,
            seconds=args.seconds,
            rate=args.rate,
            publishers=args.publishers,
            gateways=args.gateways,
            baseline_seconds=args.baseline_seconds,
            warmup_s=min(args.warmup, args.seconds / 3),
            drain_s=args.drain,
            window=args.window,
            influx_writers=args.influx_writers,
            profile=args.profile,
            workdir=Path(tmp),
            results=RESULTS,
            stamp=stamp,
            ingest_processes=args.ingest_processes,
            live=args.live,
        )
        skipped: dict[str, float] = {"msgs_per_s": float("nan"), "readings_per_s": float("nan")}
        a = skipped if args.skip_baselines else runner.baseline_mqtt(opts)
        b = {"points_per_s": float("nan")} if args.skip_baselines else runner.baseline_influx(opts)
        s = runner.system(opts)
    results = report.assemble(opts, a, b, s, host)
    path = RESULTS / f"ingest-{stamp}.json"
    report.save(results, path)
    print()
    print(report.table(results))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
