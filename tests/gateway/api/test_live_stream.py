"""The live stream over real HTTP, against a real uvicorn, Mosquitto, simulated greenhouse and edge agent: each
greenhouse whole at the start, then a changed sensor as a small patch by its id; a gzip client's body decoded
event by event as it comes; and the picture a client patches up is the one the gateway serves."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.accounts.roles import Role
from gateway.live.patch import KEY, Json, JsonObject
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone
from tests.support.sse import Event, Pictures, events

GH = "ca-chua-1"
PATCHES = 6  # at 30× and 30 s polls, a few seconds of the stream


@pytest.fixture
def phone(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Phone]:
    with serve_phone(tmp_path, mosquitto, [], {"nong-dan": (Role.FARMER, "htx-moc-chau", [GH])}) as phone:
        yield phone


def _gzip_events(stream: httpx.Response, decoded: list[int]) -> Iterator[Event]:
    """The events of a gzip body, each as soon as the bytes that carry it arrive; ``decoded`` gets the number of
    events each network read completed."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = b""
    for chunk in stream.iter_raw():
        pending += decoder.decompress(chunk)
        *complete, pending = pending.split(b"\n\n")
        found = list(events(line for block in complete for line in [*block.decode().split("\n"), ""]))
        decoded.append(len(found))
        assert not decoder.eof  # a stream that never ends: nothing waits for gzip's trailer
        yield from found


def _sensor_values(picture: JsonObject) -> dict[str, Json]:
    sensors = picture["sensors"]
    assert isinstance(sensors, list)
    return {str(s["sensor"]): s["value"] for s in sensors if isinstance(s, dict)}


def test_a_changed_sensor_reaches_a_gzip_client_as_a_small_patch_at_once(phone: Phone) -> None:
    farmer = phone.login("nong-dan")
    with farmer.stream("GET", "/api/v1/live/stream", headers={"Accept-Encoding": "gzip"}) as stream:
        assert stream.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in stream.headers["vary"]
        decoded: list[int] = []
        received = _gzip_events(stream, decoded)
        first = next(received)
        assert (first.number, first.name, first.data["greenhouse"]) == (1, "greenhouse", GH)
        pictures = Pictures()
        pictures.take(first)
        patches = []
        for event in received:
            before = _sensor_values(pictures.by_id[GH])
            pictures.take(event)
            assert event.name == "patch"
            patches.append((event, before, _sensor_values(pictures.by_id[GH])))
            if len(patches) == PATCHES:
                break
    # Every read of the network gave whole events: each was flushed when it was sent, not held back.
    assert decoded and all(n >= 1 for n in decoded), decoded
    changed = [(e, b, a) for e, b, a in patches if a != b]
    assert changed, "no sensor changed in the patches"
    for event, before, after in changed:
        sensors = event.data["patch"]["sensors"]  # type: ignore[index]
        assert isinstance(sensors, dict) and sensors[KEY] == "sensor"  # by id, not the whole list again
        moved = {s for s in after if after[s] != before[s]}
        assert moved <= set(sensors) and moved
        assert {k for k, v in sensors.items() if k != KEY and "value" in v} == moved  # type: ignore[operator]
        assert event.size < first.size / 3, (event.size, first.size)


def _without_ages(picture: JsonObject) -> JsonObject:
    # age_s is the picture's time less the reading's: it differs between any two pictures, even of one state.
    sensors = picture["sensors"]
    assert isinstance(sensors, list)
    kept = [{k: v for k, v in s.items() if k != "age_s"} for s in sensors if isinstance(s, dict)]
    return {**picture, "sensors": kept}


def test_the_picture_patched_up_from_the_stream_is_the_one_the_gateway_serves(phone: Phone) -> None:
    farmer, reader = phone.login("nong-dan"), phone.login("nong-dan")
    matched = 0
    with farmer.stream("GET", "/api/v1/live/stream", headers={"Accept-Encoding": "identity"}) as stream:
        assert "content-encoding" not in stream.headers
        pictures = Pictures()
        for i, event in enumerate(events(stream.iter_lines())):
            pictures.take(event)
            # Asked right after an event, the gateway most often still has the state the event brought; a poll
            # may come in between now and then, so not every time: read on until PATCHES pictures agree, within
            # 3 × PATCHES events.
            [served] = reader.get("/api/v1/live/greenhouses").json()
            matched += _without_ages(served) == _without_ages(pictures.by_id[GH])
            if matched >= PATCHES or i == 3 * PATCHES:
                break
    assert pictures.last > 1 and matched >= PATCHES, matched
