"""What the event stream sends a phone: each greenhouse whose picture changed.

Most changes come with a message (the registry counts them). Some come with none: a greenhouse going silent,
a sensor going stale by age alone, an offline alert. So at every wake, and at least every ``ping_s``, the
stream also compares what a farmer sees at a glance — availability, silence, each value's level, the alert
count — with what it last sent.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.live.models import GreenhouseNow
from gateway.live.service import Live

Glance = tuple[object, ...]


def _glance(now: GreenhouseNow) -> Glance:
    return (
        now.availability,
        now.silent,
        now.climate.vpd_level,
        now.active_alerts,
        tuple(s.level for s in now.sensors),
    )


def changes(live: Live, greenhouses: list[str], ping_s: float) -> Iterator[list[GreenhouseNow]]:
    """Every greenhouse at first, then those changed since, after each wait of at most ``ping_s`` (an empty
    list when nothing changed: time for a ping)."""
    version, sent = 0, {g: _glance(now) for g, now in ((g, live.greenhouse(g)) for g in greenhouses)}
    yield [live.greenhouse(g) for g in greenhouses]
    while True:
        version, messaged = live.registry.changed_since(version, ping_s)
        pictures = {g: live.greenhouse(g) for g in greenhouses}
        changed = [now for g, now in pictures.items() if g in messaged or _glance(now) != sent[g]]
        sent |= {now.greenhouse: _glance(now) for now in changed}
        yield changed
