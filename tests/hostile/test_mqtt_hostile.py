"""Hostile MQTT input on every topic the gateway and the edge agent consume, through a real Mosquitto to the real
gateway (ingest and live side) and the real edge agent, with good traffic in between: nothing dies, every hostile
message is refused with a reason (the gateway's rejects log holds each one it was handed), every good reading is
stored once, and memory stays bounded.

One broker, gateway and edge serve the whole module; Hypothesis generates the batches (tests/hostile/families.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from hypothesis import given, settings

from contract import topics
from contract.messages import Event, EventKind, Severity
from contract.reasons import Reason
from gateway.live.models import GreenhouseNow
from gateway.live.stream import changes
from tests.hostile.families import SETTINGS, Consumer, Hostile, batches, oversized
from tests.hostile.rig import BatchReport, Rig, RssSampler, wait_until

pytestmark = pytest.mark.slow
C = topics.Channel
BATCHES = 16  # of 16 to 48 messages each, one to three of every family


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("hostile"))
    yield r
    r.close()


def _assert_clean(rig: Rig, r: BatchReport) -> None:
    """Every hostile message refused with a reason by every consumer it reached (the gateway's ingest: each one in
    its rejects log); no consumer died or failed on one; good traffic carried out and stored exactly once."""
    assert r.problems() == []
    assert r.dead() == set()
    delivery = rig.delivery()
    assert (delivery.lost, delivery.duplicates, delivery.unexpected) == (0, 0, 0), delivery
    assert delivery.readings_stored == delivery.readings_sent, delivery


@pytest.mark.timeout(400)
def test_hostile_batches_on_every_consumed_topic_are_refused_while_good_traffic_is_stored(rig: Rig) -> None:
    seen: set[tuple[str, frozenset[Consumer]]] = set()

    @settings(SETTINGS, max_examples=BATCHES)
    @given(batches(rig.place, each=3))
    def one_batch(items: list[Hostile]) -> None:
        r = rig.run(items)
        seen.update((h.family, reached) for h, reached in zip(r.items, r.reached, strict=True))
        _assert_clean(rig, r)

    one_batch()
    # Every consumer had hostile input, and every family reached the gateway's ingest and the edge.
    assert {c for _f, reached in seen for c in reached} == set(Consumer)
    for family in {f for f, _r in seen}:
        assert any(f == family and Consumer.INGEST in r for f, r in seen), f"{family} never reached ingest"


def _copies(rig: Rig, topic: str, payload: bytes) -> int:
    """Entries of the rejects log for this message (known by its topic and the head of its payload)."""
    return sum(1 for x in rig.gateway.spool.recent_rejects(10_000) if (x.topic, x.payload) == (topic, payload[:512]))


@pytest.mark.timeout(180)
def test_the_poison_message_is_rejected_once_and_ingest_goes_on_after_a_gateway_restart(rig: Rig) -> None:
    poison = b"[" * 5000
    topic = topics.topic(rig.place.site, rig.place.other.id, C.TELEMETRY)
    # Head-to-head with the hostile batches' deep nesting, which can share this head: count what this test adds.
    before = _copies(rig, topic, poison)
    too_deep = rig.gateway.spool.reject_counts().get("too_deep", 0)
    rig.publish(topic, poison)
    assert wait_until(lambda: _copies(rig, topic, poison) == before + 1, 30), "the poison was not logged"
    rig.restart_gateway()
    # Again, with the restart at once: handed to the old gateway or queued for the new one, it is logged once.
    rig.publish(topic, poison)
    rig.restart_gateway()
    r = rig.run([])
    _assert_clean(rig, r)
    assert _copies(rig, topic, poison) == before + 2
    assert rig.gateway.spool.reject_counts().get("too_deep", 0) == too_deep + 2
    # What the restarted gateway received after its start: good traffic only, nothing redelivered.
    assert rig.gateway.receiver.counters.rejected <= 1
    assert rig.gateway.receiver.counters.accepted >= r.good_sent


def _stream_once(rig: Rig, greenhouse: str) -> list[GreenhouseNow]:
    async def first() -> list[GreenhouseNow]:
        stream = changes(rig.live, [greenhouse], ping_s=1.0)
        try:
            return await stream.__anext__()
        finally:
            await stream.aclose()

    return anyio.run(first)


@pytest.mark.timeout(120)
def test_a_lone_surrogate_in_an_event_leaves_the_alerts_list_and_the_live_picture_whole(rig: Rig) -> None:
    gh = rig.place.other.id
    topic = topics.topic(rig.place.site, gh, C.EVENTS)
    good = Event(
        site=rig.place.site,
        greenhouse=gh,
        ts=rig.clock.now(),
        kind=EventKind.ALERT,
        severity=Severity.WARNING,
        rule="good-alert",
        action="raised",
        reason=Reason.RULE_ALERT,
    ).to_json()
    poisons = [
        good.replace(b'"good-alert"', b'"\\ud800"'),  # the issue's: a JSON escape of a lone surrogate
        good.replace(b'"good-alert"', b'"\\udfff tail"'),
        good.replace(b'"good-alert"', b'"\xed\xa0\x80"'),  # the surrogate itself as (CESU-8) bytes
    ]
    rejects = sum(rig.gateway.spool.reject_counts().values())
    for payload in [poisons[0], good, *poisons[1:]]:
        rig.publish(topic, payload)

    def alert_shown() -> bool:
        return any(a.source == "rule:good-alert" for a in rig.live.alerts(gh, True))

    assert wait_until(alert_shown, 30), "the good alert never reached the alerts list"
    assert wait_until(lambda: sum(rig.gateway.spool.reject_counts().values()) == rejects + 3, 30)
    logged = rig.gateway.spool.recent_rejects(3)
    assert sorted(x.reason for x in logged) == ["not_json"] * 3
    # Everything a phone is sent can be written out as JSON (a lone surrogate cannot).
    for alert in rig.live.alerts(gh, True):
        alert.model_dump_json()
    picture = rig.live.greenhouse(gh)
    picture.model_dump_json()
    assert picture.active_alerts >= 1
    [streamed] = _stream_once(rig, gh)
    streamed.model_dump_json()
    assert rig.health().ok


@pytest.mark.timeout(300)
def test_memory_stays_bounded_under_many_megabytes_of_hostile_input(rig: Rig) -> None:
    mib = 1 << 20
    rig.run(oversized(rig.place, 12, 2 * mib))  # warm-up: buffers that grow once, and stay, are not a leak
    flood = oversized(rig.place, 160, 2 * mib)  # made before measuring: the test's own copy is not the consumers'
    with RssSampler() as rss:
        r = rig.run(flood)
    sent_mib = sum(len(h.payload) for h in r.items) / mib
    _assert_clean(rig, r)
    # Every message passes through the gateway's ingest or live feed, or the edge, and the test's probe: a copy of
    # each kept by any of them would be 320 MiB. Measured here: about 40 MiB at the peak (buffers in flight).
    assert sent_mib >= 320
    assert rss.growth_mib < 96, f"resident memory grew by {rss.growth_mib:.0f} MiB while {sent_mib:.0f} MiB were sent"
