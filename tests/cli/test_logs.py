"""The commands' log lines: JSON on stderr, quiet by default, and safe when stderr is replaced in-process."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from greenhouse import logs


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_lines_go_to_the_stderr_of_the_moment_not_a_closed_one(
    restored_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    logs.setup(0)
    first.close()  # what pytest does to the stream it captured a finished test's output in
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("gateway.ingest.writer").warning("history store unavailable", extra={"spool_depth": 12})
    entry = json.loads(second.getvalue())
    assert (entry["level"], entry["logger"], entry["msg"], entry["spool_depth"]) == (
        "warning",
        "gateway.ingest.writer",
        "history store unavailable",
        12,
    )


def test_quiet_by_default_and_info_with_one_v(restored_root: None, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    logs.setup(0)
    logging.getLogger("edge").info("mqtt connected")
    assert out.getvalue() == ""
    logs.setup(1)
    logging.getLogger("edge").info("mqtt connected")
    assert json.loads(out.getvalue())["msg"] == "mqtt connected"
