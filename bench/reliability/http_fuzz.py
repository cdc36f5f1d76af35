"""The HTTP side's hostile input is another suite's: tests/gateway/api/test_fuzz_endpoints.py. When it is there,
it runs under pytest here, with a plugin that counts the requests it sends (count_requests.py); when it is not,
the table says so."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass

from tests.support.stack import REPO

FUZZ_TESTS = REPO / "tests" / "gateway" / "api" / "test_fuzz_endpoints.py"
_REQUESTS = re.compile(r"http fuzz: (\d+) requests")
_COUNT = "bench.reliability.count_requests"
_OUTCOME = re.compile(r"(\d+) (passed|failed|error)")


@dataclass(frozen=True)
class HttpFuzz:
    present: bool
    ok: bool = True
    requests: int | None = None  # None: the suite printed no count
    outcome: str = ""


def run_http_fuzz() -> HttpFuzz:
    if not FUZZ_TESTS.exists():
        return HttpFuzz(present=False)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(FUZZ_TESTS), "-q", "-p", "no:cacheprovider", "-p", _COUNT],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    counts = [int(m.group(1)) for m in _REQUESTS.finditer(done.stdout)]
    # pytest's summary line: "3 passed, 1 failed in 12.3s".
    last = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and _OUTCOME.search(line)), "")
    outcome = ", ".join(f"{n} {what}" for n, what in _OUTCOME.findall(last))
    return HttpFuzz(True, done.returncode == 0, sum(counts) if counts else None, outcome)
