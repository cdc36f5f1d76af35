"""One greenhouse's broken state cannot fail the picture of the others (the phone's list and live stream)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio

from contract.clock import Clock
from contract.messages import StateSnapshot
from contract.mqtt import BrokerUrl
from contract.site_file import load_site
from gateway.live.service import Live
from gateway.live.stream import changes
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
ALL = [g.id for g in SITE.greenhouses]


def _live_with_one_broken(tmp_path: Path) -> Live:
    live = Live(SITE, SqliteStore(tmp_path / "history.sqlite3"), BrokerUrl.parse("mqtt://127.0.0.1:1"), Clock(), "1")
    now = datetime.now(UTC)
    # A state that never went through validation (the way a bug would leave one): its picture cannot be built.
    broken = StateSnapshot.model_construct(site=SITE.cooperative.id, greenhouse=ALL[0], ts=now, actuators=[None])
    live.registry.apply(broken, now)
    return live


def test_the_other_greenhouses_are_still_pictured(tmp_path: Path) -> None:
    live = _live_with_one_broken(tmp_path)
    assert [p.greenhouse for p in live.pictures(ALL)] == ALL[1:]


def test_the_stream_still_sends_the_other_greenhouses(tmp_path: Path) -> None:
    live = _live_with_one_broken(tmp_path)

    async def first() -> list[str]:
        async for changed in changes(live, ALL, ping_s=1.0):
            return [p.greenhouse for p in changed]
        return []

    assert anyio.run(first) == ALL[1:]
