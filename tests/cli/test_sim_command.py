"""`greenhouse sim` on a site file wired to real adapters: it says why it cannot serve them, and touches /dev not."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE


def test_the_simulator_refuses_to_put_its_ports_where_real_adapters_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert not Path("/dev/ttyUSB0").exists(), "a real adapter is plugged in: this test would not show anything"
    assert main(["sim", "--config", str(EXAMPLE_SITE), "--speed", "60"]) == 2
    err = capsys.readouterr().err
    assert "greenhouse sim: cannot serve the site's buses here: /dev/ttyUSB0" in err
    assert "greenhouse demo does" in err
    assert not Path("/dev/ttyUSB0").exists()
