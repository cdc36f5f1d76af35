from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gammu_smsd import GammuSmsd
from tests.support.push_service import PushService


@pytest.fixture
def watched_smsd(tmp_path: Path) -> Iterator[GammuSmsd]:
    """A real gammu-smsd on the dummy phone, checking its signal as a farm server's does."""
    server = GammuSmsd(tmp_path / "gammu", check_signal=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    """A Web Push service on loopback that checks and decrypts what it is sent (tests/support/push_service.py)."""
    with PushService() as service:
        yield service
