"""``python -m bench.live_stream``: runs the demo (``greenhouse demo``) for a simulated hour, reads the phone's
live stream of every greenhouse as a farmer who sees them all, and prints the bytes it sent (patches, gzip) next
to whole pictures at every change — the stream before — counted from the same events; then a day of each.

The demo runs at ×20 by default: the stream looks for changes every half second of the wall's time, which at
×20 is 10 simulated seconds, so each 30 s poll still makes its own event, as on a phone in real time.
Writes nothing unless ``--json`` names a file. Progress goes to stderr."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from bench.live_stream.demo import running_demo
from bench.live_stream.measure import read_stream
from bench.live_stream.report import Run, figures, table


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.live_stream", description=__doc__)
    p.add_argument("--minutes", type=float, default=60, help="simulated minutes of the stream (default 60)")
    p.add_argument("--speed", type=float, default=20, help="the demo's speed (default 20; above 60 polls merge)")
    p.add_argument("--json", type=Path, help="also write everything measured to this file")
    p.add_argument("--quick", action="store_true", help="a smoke run: 10 simulated minutes at ×60")
    args = p.parse_args()
    if args.quick:
        args.minutes, args.speed = 10, 60
    if args.minutes <= 0 or not 0 < args.speed <= 60:
        p.error("--minutes takes more than 0, --speed more than 0 and at most 60")
    return args


def main() -> int:
    args = _args()
    logging.basicConfig(level=logging.ERROR)
    wall_s = args.minutes * 60 / args.speed
    # The demo runs a little longer than the stream is read, so that it is still running at the end.
    with (
        tempfile.TemporaryDirectory(prefix="bench-live-stream-") as tmp,
        running_demo(Path(tmp), args.speed, wall_s + 120) as demo,
    ):
        print(f"demo at {demo.url}: reading the stream for {wall_s:.0f} s", file=sys.stderr)
        stream = read_stream(demo.url, demo.user, demo.password, demo.greenhouses, wall_s)
    run = Run(speed=args.speed, greenhouses=demo.greenhouses, wall_s=wall_s, stream=stream)
    print(table(run, figures(run)))
    if args.json is not None:
        args.json.write_text(run.model_dump_json(indent=2))
        print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
