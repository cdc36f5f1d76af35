"""Reading the live stream as the phone does: server-sent events in, each greenhouse's picture kept up to date
by the whole pictures and the patches it is sent (gateway/live/patch.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gateway.live.patch import Json, JsonObject, apply


@dataclass(frozen=True)
class Event:
    number: int
    name: str  # "greenhouse" (a whole picture) or "patch"
    data: JsonObject
    size: int  # the bytes of its data line, as sent before any compression


def events(lines: Iterable[str]) -> Iterator[Event]:
    """Each event of the stream; pings (comment lines) are skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                data = fields["data"]
                yield Event(int(fields["id"]), fields["event"], json.loads(data), len(data.encode()))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


@dataclass
class Pictures:
    """Every greenhouse as the events so far say it is."""

    by_id: dict[str, JsonObject] = field(default_factory=dict)
    last: int = 0

    def take(self, event: Event) -> str:
        """Applies the event; its greenhouse's id."""
        assert event.number == self.last + 1, f"event {event.number} after {self.last}"
        self.last = event.number
        if event.name == "greenhouse":
            gh = str(event.data["greenhouse"])
            self.by_id[gh] = event.data
            return gh
        assert event.name == "patch", event.name
        gh = str(event.data["greenhouse"])
        patched: Json = apply(self.by_id[gh], event.data["patch"])
        assert isinstance(patched, dict)
        self.by_id[gh] = patched
        return gh


def same_json(a: Json, b: Json) -> bool:
    """Equal as JSON values, as a phone sees them: 0.0 is 0 (JavaScript has one kind of number), true is not 1."""
    return json.dumps(_numbers(a), sort_keys=True) == json.dumps(_numbers(b), sort_keys=True)


def _numbers(v: Json) -> Json:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_numbers(x) for x in v]
    return v
