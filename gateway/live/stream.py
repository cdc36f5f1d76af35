"""What the event stream sends a phone: each greenhouse's whole picture at the start, then what changed in it.

Most changes come with a message (the registry counts them). Some come with none: a greenhouse going silent,
a sensor going stale by age alone, an offline alert. So at every change, and at least every ``ping_s``, the
stream also compares what a farmer sees at a glance — availability, silence, each value's level, the alert
count — with what it last sent.

The stream is asynchronous and only looks at the registry between short sleeps: an open phone holds no
worker thread, so a cooperative's phones cannot starve the API's other requests.

On 3G a whole picture at every poll (about 7 KB per greenhouse) was most of a phone's data. So after the first
picture of each greenhouse, an event carries only a patch against the picture last sent on this stream
(live/patch.py). Events are numbered (the SSE ``id``) from 1 on each connection: a phone that sees a gap, or a
patch for a picture it does not hold, opens the stream again and starts over from whole pictures.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio

from gateway.live.models import GreenhouseNow
from gateway.live.patch import Json, JsonObject, patch_of
from gateway.live.service import Live

Glance = tuple[object, ...]
# How often an open stream looks for a change: the delay a farmer may see, at no cost while nothing changes.
LOOK_S = 0.5


def _glance(now: GreenhouseNow) -> Glance:
    return (
        now.availability,
        now.silent,
        now.climate.vpd_level,
        now.active_alerts,
        tuple(s.level for s in now.sensors),
    )


async def changes(live: Live, greenhouses: list[str], ping_s: float) -> AsyncIterator[list[GreenhouseNow]]:
    """Every greenhouse at first, then those changed since; an empty list after ``ping_s`` with no change."""
    version, _ = live.registry.changed_since(0, 0)
    first = live.pictures(greenhouses)
    sent = {now.greenhouse: _glance(now) for now in first}
    yield first
    quiet_s = 0.0
    while True:
        await anyio.sleep(LOOK_S)
        quiet_s += LOOK_S
        latest, messaged = live.registry.changed_since(version, 0)
        if latest == version and quiet_s < ping_s:
            continue
        version = latest
        pictures = live.pictures(greenhouses)
        changed = [now for now in pictures if now.greenhouse in messaged or _glance(now) != sent.get(now.greenhouse)]
        sent |= {now.greenhouse: _glance(now) for now in changed}
        if changed or quiet_s >= ping_s:
            quiet_s = 0.0
            yield changed


def _event(seq: int, name: str, data: Json) -> str:
    # Vietnamese as UTF-8 (2–3 bytes a letter), not as JSON escapes (6 bytes each).
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: {name}\ndata: {text}\n\n"


async def events(live: Live, greenhouses: list[str], ping_s: float) -> AsyncIterator[str]:
    """The stream's text, one piece per moment: ``greenhouse`` events with a whole GreenhouseNow the first time,
    ``patch`` events ``{"greenhouse": id, "patch": …}`` after, or a ping comment after ``ping_s`` of quiet."""
    sent: dict[str, JsonObject] = {}
    seq = 0
    async for changed in changes(live, greenhouses, ping_s):
        piece = []
        for now in changed:
            picture: JsonObject = now.model_dump(mode="json")
            before = sent.get(now.greenhouse)
            sent[now.greenhouse] = picture
            if before is None:
                seq += 1
                piece.append(_event(seq, "greenhouse", picture))
            elif (patch := patch_of(before, picture)) is not None:
                seq += 1
                piece.append(_event(seq, "patch", {"greenhouse": now.greenhouse, "patch": patch}))
        if piece:
            yield "".join(piece)
        elif not changed:
            yield ": ping\n\n"
