"""Sampling the gateway process(es) with py-spy while the system runs, and summing up where the time goes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.ingest.runner import Options

_RATE_HZ = 100
_TOP = 25
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


class PySpy:
    """``py-spy record`` on each pid over the steady window; ``finish`` returns a summary per pid."""

    def __init__(self, pids: list[int], opts: Options, start: float) -> None:
        self._binary = shutil.which("py-spy")
        self._outputs = [opts.results / f"ingest-{opts.stamp}-pyspy-{pid}.txt" for pid in pids]
        self._procs: list[subprocess.Popen[bytes]] = []
        if self._binary is None:
            print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
            return
        duration = max(1, int(opts.seconds - opts.warmup_s))
        delay = max(0.0, start + opts.warmup_s - time.time())
        self._timer = threading.Timer(delay, self._start, args=(pids, duration))
        self._timer.start()

    def _start(self, pids: list[int], duration: int) -> None:
        assert self._binary is not None
        for pid, out in zip(pids, self._outputs, strict=True):
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = [self._binary, "record", "--pid", str(pid), "--rate", str(_RATE_HZ), "--nonblocking"]
            cmd += ["--threads", "--format", "raw", "--duration", str(duration), "--output", str(out)]
            self._procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def finish(self) -> list[dict[str, Any]] | None:
        if self._binary is None:
            return None
        self._timer.join()
        for p in self._procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.terminate()
        return [summarise(out) for out in self._outputs if out.exists()]


def _short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for root in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if root in path:
            path = path.split(root, 1)[1]
    return f"{m['func']} ({path})"


def summarise(path: Path) -> dict[str, Any]:
    """Samples per thread, and the functions with the most samples on top of the stack (self) and anywhere in it."""
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for text in path.read_text().splitlines():
        stack, _, count_text = text.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        own[_short(frames[-1])] += count
        for name in {_short(f) for f in frames[1:]}:
            inclusive[name] += count
    return {
        "file": str(path),
        "samples": total,
        "threads": threads.most_common(),
        "self": own.most_common(_TOP),
        "inclusive": inclusive.most_common(_TOP * 2),
    }
