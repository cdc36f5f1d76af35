"""The alerts list: events folded into occurrences (raised, escalated, repeated, cleared), acknowledgements kept
in the history store and found again by a restarted gateway, and an offline greenhouse as an alert of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contract.messages import Availability, Event, EventKind, Severity, Status
from contract.reasons import Reason
from contract.site_file import load_site
from gateway.live.alerts import AlertBoard
from gateway.live.registry import GreenhouseHealth, Registry
from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Point, Store
from gateway.storage.points import PointMapper
from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = "ca-chua-1"
T0 = datetime(2026, 1, 15, 19, 0, tzinfo=UTC)  # 02:00 in Mộc Châu


def _alert(
    minutes: float,
    reason: Reason,
    params: dict[str, str],
    rule: str | None = "frost",
    severity: Severity = Severity.WARNING,
) -> Event:
    cleared = reason in (Reason.RULE_FROST_CLEARED, Reason.RULE_INPUT_RESTORED, Reason.NODE_ANSWERING)
    return Event(
        site="htx-moc-chau",
        greenhouse=GH,
        ts=T0 + timedelta(minutes=minutes),
        kind=EventKind.ALERT,
        severity=severity,
        rule=rule,
        action="cleared" if cleared else "raised",
        reason=reason,
        reason_params=params,
    )


FROST_NIGHT = [
    _alert(0, Reason.RULE_FROST_RISK, {"rule": "Chống sương muối", "value": "1.2", "limit": "2"}),
    _alert(
        30,
        Reason.RULE_FROST_PROTECTING,
        {"rule": "Chống sương muối", "value": "0.4", "limit": "0.5"},
        severity=Severity.CRITICAL,
    ),
    _alert(45, Reason.RULE_INPUT_UNUSABLE, {"rule": "Chống sương muối", "metric": "air-rh", "why": "air-rh: spike"}),
    _alert(240, Reason.RULE_FROST_CLEARED, {"rule": "Chống sương muối", "value": "3.1"}, severity=Severity.INFO),
    _alert(250, Reason.NODE_UNREACHABLE, {"node": "relays"}, rule=None, severity=Severity.CRITICAL),
]


def _health(registry: Registry, minutes: float) -> GreenhouseHealth:
    return registry.house_health(GH, T0 + timedelta(minutes=minutes))


def _online(registry: Registry, minutes: float) -> None:
    at = T0 + timedelta(minutes=minutes)
    registry.apply(Status(site="htx-moc-chau", greenhouse=GH, state=Availability.ONLINE, ts=at), at)


def test_a_frost_night_folds_into_one_escalated_and_cleared_alert_beside_the_standing_ones(
    open_store: Callable[[], Store],
) -> None:
    board, registry = AlertBoard(SITE, open_store()), Registry(SITE)
    _online(registry, 250)
    for e in FROST_NIGHT:
        assert board.add(e)
    assert not board.add(FROST_NIGHT[0])  # the same event twice (a QoS 1 resend) is one
    node, inputs, frost = board.alerts(GH, _health(registry, 251))
    assert (frost.source, frost.active, frost.severity) == ("rule:frost", False, Severity.CRITICAL)
    assert (frost.raised_at, frost.last_at, frost.cleared_at) == (
        T0,
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=240),
    )
    assert frost.text_vi == "Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"
    assert (inputs.source, inputs.active) == ("input:frost", True)
    # The node goes by what it drives, not by its id.
    said = "Cannot reach the controller of Zone A valve, Zone B valve, Pump and 4 more"
    assert (node.source, node.active, node.text_en) == ("node:relays", True, said)
    board.add(_alert(260, Reason.NODE_ANSWERING, {"node": "relays"}, rule=None, severity=Severity.INFO))
    _online(registry, 260)
    assert [a.source for a in board.alerts(GH, _health(registry, 261)) if a.active] == ["input:frost"]


def test_an_acknowledgement_is_kept_in_the_store_and_found_again_after_a_restart(
    open_store: Callable[[], Store],
) -> None:
    store, registry = open_store(), Registry(SITE)
    _online(registry, 250)
    board = AlertBoard(SITE, store)
    for e in FROST_NIGHT:
        board.add(e)
        store.write([PointMapper.event(e)])  # as the gateway's writer stores every event
    frost = next(a for a in board.alerts(GH, _health(registry, 251)) if a.source == "rule:frost")
    acked = board.acknowledge(GH, frost.id, "lan", T0 + timedelta(minutes=241), _health(registry, 251))
    assert acked is not None and (acked.acked_by, acked.acked_at) == ("lan", T0 + timedelta(minutes=241))
    assert board.acknowledge(GH, "no-such-alert", "lan", T0, _health(registry, 251)) is None

    restarted = AlertBoard(SITE, open_store())
    restarted.load(T0 + timedelta(hours=6))
    again = restarted.alerts(GH, _health(registry, 251))
    assert [a.model_dump() for a in again] == [a.model_dump() for a in board.alerts(GH, _health(registry, 251))]
    assert next(a for a in again if a.id == frost.id).acked_by == "lan"


def test_an_acknowledgement_made_through_another_instance_shows_here(open_store: Callable[[], Store]) -> None:
    registry = Registry(SITE)
    _online(registry, 250)
    here, there = AlertBoard(SITE, open_store()), AlertBoard(SITE, open_store())  # two gateways, one store
    for e in FROST_NIGHT:
        here.add(e)
        there.add(e)
    frost = next(a for a in there.alerts(GH, _health(registry, 251)) if a.source == "rule:frost")
    there.acknowledge(GH, frost.id, "lan", T0 + timedelta(minutes=241), _health(registry, 251))
    assert next(a for a in here.alerts(GH, _health(registry, 251)) if a.id == frost.id).acked_by is None
    here.refresh_acks(GH, T0 + timedelta(minutes=242))
    shown = next(a for a in here.alerts(GH, _health(registry, 251)) if a.id == frost.id)
    assert (shown.acked_by, shown.acked_at) == ("lan", T0 + timedelta(minutes=241))


def test_a_greenhouse_that_went_offline_or_silent_is_an_alert_until_it_is_heard_again(
    open_store: Callable[[], Store],
) -> None:
    board, registry = AlertBoard(SITE, open_store()), Registry(SITE)
    [never] = board.alerts(GH, _health(registry, 0))
    assert (never.source, never.severity, never.text_en) == (
        "offline",
        Severity.CRITICAL,
        "Nothing heard from the greenhouse yet",
    )
    _online(registry, 0)
    assert board.alerts(GH, _health(registry, 1)) == []
    # Silent after three missed polls (30 s each) and never sooner than 5 minutes.
    [silent] = board.alerts(GH, _health(registry, 6))
    assert silent.text_vi == "Nhà màng im lặng từ 02:00 16/01"
    will = Status(site="htx-moc-chau", greenhouse=GH, state=Availability.OFFLINE)  # the last will has no time
    registry.apply(will, T0 + timedelta(minutes=7))
    [offline] = board.alerts(GH, _health(registry, 8))
    assert offline.text_en == "Greenhouse offline since 02:07 16/01"
    assert offline.id != silent.id


def test_a_history_store_that_is_down_at_start_leaves_an_empty_list_not_a_stopped_gateway() -> None:
    down = InfluxV1Store(f"http://127.0.0.1:{free_port()}", "greenhouse")  # nothing listens there
    board, registry = AlertBoard(SITE, down), Registry(SITE)
    assert board.load(T0) is False
    _online(registry, 0)
    assert board.add(FROST_NIGHT[0])  # the feed still fills it
    assert [a.source for a in board.alerts(GH, _health(registry, 1))] == ["rule:frost"]


class _CountedStore(InfluxV1Store):
    """A real InfluxDB client, counting the reads it is asked for."""

    reads = 0

    def rows(self, *args: object, **kwargs: object) -> list[Point]:  # type: ignore[override]
        self.reads += 1
        return super().rows(*args, **kwargs)  # type: ignore[arg-type]


def test_acknowledgements_are_not_asked_again_of_a_store_that_is_down_at_every_list() -> None:
    down = _CountedStore(f"http://127.0.0.1:{free_port()}", "greenhouse")  # nothing listens there
    board, registry = AlertBoard(SITE, down), Registry(SITE)
    _online(registry, 0)
    board.add(FROST_NIGHT[0])
    board.refresh_acks(GH, T0)  # fails: said in the log, the list stays as it is
    assert [a.source for a in board.alerts(GH, _health(registry, 1))] == ["rule:frost"]
    for _ in range(5):
        board.refresh_acks(GH, T0)  # within the minute after a failure: the store is left alone
    assert down.reads == 1
