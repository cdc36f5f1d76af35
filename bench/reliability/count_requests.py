"""A pytest plugin (``-p bench.reliability.count_requests``): counts the HTTP requests the tests send through
httpx (sign-ins included) and prints ``http fuzz: N requests`` at the end, so that the reliability run can report
the HTTP fuzzing's figure without the fuzzing suite having to print it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

_sent = [0]
_send = httpx.Client.send


def _counted(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
    _sent[0] += 1
    return _send(self, request, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    httpx.Client.send = _counted  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"http fuzz: {_sent[0]} requests")
