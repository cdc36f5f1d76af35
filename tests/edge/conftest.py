from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gammu_smsd import GammuSmsd


@pytest.fixture
def smsd(tmp_path: Path) -> Iterator[GammuSmsd]:
    """A real gammu-smsd on Gammu's dummy phone, its folders under ``tmp_path``: the greenhouse computer's modem."""
    server = GammuSmsd(tmp_path / "gammu")
    server.start()
    yield server
    server.stop()
