"""Between the controller's wishes and the greenhouse's buses: what to write, what came back, and what a read-back
says about it.

The buses run in threads of their own (``edge.fieldbus``); nothing here waits on them. Each pass the agent asks
for the outputs the controller wants (``drive``) and takes the news (``take``): the reads of a finished poll, which
nodes answered or did not, and the alerts a read-back raised — an output that did not switch, or one switched by
something else, is put back as the controller has it.
"""

from __future__ import annotations

import logging
import time as wall
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from contract.clock import Clock
from contract.messages import NodeLink, Severity
from contract.reasons import Reason
from contract.site import Actuator, Greenhouse, Motor, Node
from edge.control import Controller
from edge.curtain import CurtainDrive, CurtainMemory, Relays
from edge.fieldbus.field import FieldIO
from edge.fieldbus.models import ChannelWrite, NodeRead, PositionWrite, SwitchWrite, WriteResult

log = logging.getLogger(__name__)

# How often a closing curtain's limit switch is read.
_LIMIT_READ_EVERY = timedelta(seconds=1)
# What the status tells of a node's record on its bus.
_LINK_FIGURES = {"address", "requests", "answers", "timeouts", "crc_errors", "late_answers", "quarantined"}
# Settling before a stop: the writes' share of the wait, and the pause between passes.
_SETTLE_S = 3.0
_SETTLE_PASS_S = 0.02


@dataclass(frozen=True)
class FieldAlert:
    severity: Severity
    reason: Reason
    params: dict[str, str]
    raised: bool = True


@dataclass
class FieldNews:
    """What the buses said since the last pass."""

    poll: list[NodeRead] | None = None  # every read of a poll, once all of them are in
    answered: set[str] = field(default_factory=set)  # node ids
    silent: dict[str, str] = field(default_factory=dict)  # node id → what went wrong
    alerts: list[FieldAlert] = field(default_factory=list)


@dataclass(frozen=True)
class _Output:
    node: Node
    actuator: Actuator
    key: str


class FieldLink:
    def __init__(
        self,
        greenhouse: Greenhouse,
        fieldio: FieldIO,
        now: datetime,
        tz: tzinfo,
        curtains: Mapping[str, CurtainMemory] | None = None,
    ) -> None:
        self.gh = greenhouse
        self.io = fieldio
        saved = curtains or {}
        self.curtains = {
            a.id: CurtainDrive(a, now, saved.get(a.id), _local(motor.rehome_at, tz))
            for a, motor in self._motorised()
        }
        self._outputs = {o.key: o for o in _outputs_of(greenhouse)}
        self._written: dict[str, bool | float] = {}
        self._pending: set[str] = set()  # written, no result yet: never two writes of one output in the queue
        self._retry_at_poll: set[str] = set()  # failed or not followed: tried again at the next poll, not each pass
        self._timer_ends: dict[str, datetime] = {}  # outputs the board times itself: when it switches off alone
        self._mismatched: set[str] = set()  # alerted, until a read-back agrees again
        self._quarantined: set[str] = set()
        self._closed_limits: dict[str, bool] = {}  # motorised actuator id → its limit switch, as last read
        self._stalled: set[str] = set()
        self._limit_read_at: dict[str, datetime] = {}
        self._alerts: list[FieldAlert] = []  # raised while driving, told with the next news
        self._polling = False
        self._reads: list[NodeRead] = []
        self.unreachable: set[str] = set()  # actuator ids whose last write got no answer
        self._dead_nodes: set[str] = set()  # the last write to them got no answer
        fieldio.start()

    # --- reads ----------------------------------------------------------------------------------
    def poll(self) -> bool:
        """Start a poll of every node, unless the last one is still under way; True if one was started."""
        if self._polling:
            return False
        self._polling, self._reads = True, []
        self.io.poll()
        return True

    def take(self, now: datetime) -> FieldNews:
        news = FieldNews(alerts=self._alerts)
        self._alerts = []
        for read in self.io.take_reads():
            self._reads.append(read)
            if read.values is None:
                news.silent[read.node_id] = read.detail
            else:
                news.answered.add(read.node_id)
                self._check_read_back(read, now, news)
        for result in self.io.take_writes():
            self._on_write(result, news)
        if self._polling and self.io.poll_done():
            self._polling = False
            news.poll, self._reads = self._reads, []
            self._check_quarantine(news)
        return news

    def links(self) -> list[NodeLink]:
        """How each node answers on its bus, for the status message."""
        return [NodeLink(node=h.node_id, bus=h.bus_id, **h.model_dump(include=_LINK_FIGURES)) for h in self.io.health()]

    # --- writes ---------------------------------------------------------------------------------
    def drive(self, controller: Controller, now: datetime, every: bool) -> bool:
        """Queue the writes the controller's outputs need: changes at once; and at each poll (``every``) the outputs
        that cannot be read back (written again: it is all the edge can do to keep them right), the runs a board
        times itself (renewed), and what failed. Outputs that can be read back are not written again at a poll:
        the poll's read-back tells whether they still are as written, and one switched by something else is then
        told and put back — a blind rewrite would hide it. Any request feeds a board's watchdog.
        Returns whether any output changed."""
        changed = False
        relays = {}
        for actuator_id, drive in self.curtains.items():
            on, position = controller.output(actuator_id)
            drive.target(position if position is not None else (100.0 if on else 0.0))
            relays[actuator_id] = drive.step(now, self._closed_limits.get(actuator_id))
            self._watch_limit(actuator_id, relays[actuator_id], now)
            if drive.fault is not None and actuator_id not in self._stalled:
                self._stalled.add(actuator_id)
                self._alerts.append(FieldAlert(Severity.WARNING, Reason.CURTAIN_STALLED, {"actuator": actuator_id}))
        probed: set[str] = set()
        for key, out in self._outputs.items():
            want = self._wanted(controller, out, relays)
            if key in self._pending:
                continue
            if out.node.id in self._dead_nodes:
                # One write per poll tells whether a silent board is back; each would cost its bus a timeout.
                if not every or out.node.id in probed:
                    continue
                probed.add(out.node.id)
            differs = self._written.get(key) != want
            if not differs and not (every and (key in self._retry_at_poll or _renewed(out, want))):
                continue
            changed |= differs
            self._retry_at_poll.discard(key)
            self._write(controller, out, want, now)
        return changed

    def _watch_limit(self, actuator_id: str, relays: Relays, now: datetime) -> None:
        """While a curtain with a limit switch closes, its switch is read about every second, not only at each
        poll: the motor stops at the end, and a switch read too late is not taken for a stall."""
        actuator = self.gh.actuators[actuator_id]
        if actuator.motor is None or actuator.motor.closed_limit is None or not relays.close_on:
            return
        last = self._limit_read_at.get(actuator_id)
        if last is None or now - last >= _LIMIT_READ_EVERY:
            self._limit_read_at[actuator_id] = now
            self.io.read(self.gh.node_of(actuator_id))

    @staticmethod
    def _wanted(controller: Controller, out: _Output, relays: dict[str, Relays]) -> bool | float:
        if out.actuator.motor is not None:
            motor = relays[out.actuator.id]
            return motor.open_on if out.key.endswith(":open") else motor.close_on
        on, position = controller.output(out.actuator.id)
        if out.actuator.holding_register is not None:
            return position if position is not None else (100.0 if on else 0.0)
        return on

    def _write(self, controller: Controller, out: _Output, want: bool | float, now: datetime) -> None:
        actuator = out.actuator
        target: SwitchWrite | PositionWrite | ChannelWrite
        if actuator.channel is not None:  # a node on an MQTT bus: its firmware's command for that output
            target = ChannelWrite(key=out.key, channel=actuator.channel, on=bool(want))
        elif isinstance(want, float) and actuator.holding_register is not None:
            target = PositionWrite(key=out.key, register=actuator.holding_register, position_pct=want)
        else:
            switch = out.actuator.switches[out.key]
            run_s = controller.remaining_s(actuator.id, now) if want and actuator.timed_on else None
            target = SwitchWrite(key=out.key, switch=switch, on=bool(want), timed_on=actuator.timed_on, run_s=run_s)
            if run_s is not None and actuator.timed_on is not None:
                longest = actuator.timed_on.max_units * actuator.timed_on.unit_s
                self._timer_ends[out.key] = now + timedelta(seconds=min(run_s, longest))
            else:
                self._timer_ends.pop(out.key, None)
        self._written[out.key] = want
        self._pending.add(out.key)
        self.io.write(out.node, target)

    def _on_write(self, result: WriteResult, news: FieldNews) -> None:
        self._pending.discard(result.key)
        out = self._outputs.get(result.key)
        if out is None:
            return
        if not result.ok:
            news.silent[result.node_id] = result.detail
            # The rest of the board is unreachable too; each is tried again at the next poll, not every pass.
            for other in self._outputs.values():
                if other.node.id == out.node.id:
                    self.unreachable.add(other.actuator.id)
            self._dead_nodes.add(out.node.id)
            self._retry_at_poll.add(result.key)
            return
        news.answered.add(result.node_id)
        if out.node.id in self._dead_nodes:  # back: every output of the board is written again as it should be
            self._dead_nodes.discard(out.node.id)
            for other in self._outputs.values():
                if other.node.id == out.node.id and other.key not in self._pending:
                    self._written.pop(other.key, None)
        self.unreachable.discard(out.actuator.id)
        if result.verified is False:
            self._retry_at_poll.add(result.key)
            self._raise_mismatch(out, Reason.OUTPUT_DID_NOT_SWITCH, news)
        elif result.verified:
            self._mismatched.discard(out.key)

    def _check_read_back(self, read: NodeRead, now: datetime, news: FieldNews) -> None:
        for key, value in read.outputs.items():
            motor_id, _, what = key.partition(":")
            if what == "closed_limit":
                self._closed_limits[motor_id] = bool(value)
                continue
            out = self._outputs.get(key)
            if out is None or key in self._pending or key not in self._written:
                continue
            want = self._written[key]
            timer_end = self._timer_ends.get(key)
            if want is True and value is False and timer_end is not None and now >= timer_end:
                continue  # the board ended a run it times itself: the controller ends it too
            agrees = abs(float(value) - float(want)) < 1.0 if isinstance(want, float) else bool(value) == want
            if agrees:
                self._mismatched.discard(key)
                continue
            del self._written[key]  # put back as the controller has it, on this pass
            self._raise_mismatch(out, Reason.OUTPUT_SWITCHED_ELSEWHERE, news)

    def _raise_mismatch(self, out: _Output, reason: Reason, news: FieldNews) -> None:
        if out.key in self._mismatched:
            return
        self._mismatched.add(out.key)
        news.alerts.append(FieldAlert(Severity.WARNING, reason, {"actuator": out.actuator.id}))

    def _check_quarantine(self, news: FieldNews) -> None:
        for health in self.io.health():
            node = health.node_id
            if health.quarantined and node not in self._quarantined:
                self._quarantined.add(node)
                news.alerts.append(FieldAlert(Severity.WARNING, Reason.NODE_QUARANTINED, {"node": node}))
            elif not health.quarantined and node in self._quarantined:
                self._quarantined.discard(node)
                news.alerts.append(
                    FieldAlert(Severity.INFO, Reason.NODE_ANSWERING, {"node": node}, raised=False)
                )

    def settle(self, controller: Controller, clock: Clock) -> None:
        """Write every output as the controller has it and wait until each write is answered and each curtain has
        reached its position — at most a curtain's travel time, and a few seconds for the writes."""
        travel_s = max((m.travel_s + m.dead_time_s for _, m in self._motorised()), default=0.0)
        deadline = wall.monotonic() + clock.wall_seconds(travel_s) + _SETTLE_S
        every = True
        while wall.monotonic() < deadline:
            now = clock.now()
            self.drive(controller, now, every)
            self.take(now)
            every = False
            if not self._pending and all(d.settled for d in self.curtains.values()):
                return
            wall.sleep(_SETTLE_PASS_S)
        log.warning("outputs not all confirmed before stopping", extra={"waiting": sorted(self._pending)})

    def curtain_memories(self) -> dict[str, CurtainMemory]:
        return {actuator_id: drive.memory() for actuator_id, drive in self.curtains.items()}

    def positions(self) -> dict[str, float]:
        """Where each motorised curtain is by its run time (those that have homed since the start)."""
        return {a: d.position_pct for a, d in self.curtains.items() if d.position_pct is not None}

    def _motorised(self) -> list[tuple[Actuator, Motor]]:
        return [(a, a.motor) for n in self.gh.nodes for a in n.actuators if a.motor is not None]

    def close(self) -> None:
        self.io.close()


def _renewed(out: _Output, want: bool | float) -> bool:
    """Whether an output unchanged since it was written is written again at a poll: when it cannot be read back,
    or when it is a run its board times (renewed so that it goes on)."""
    if want is True and out.actuator.timed_on is not None and out.actuator.motor is None:
        return True
    if out.actuator.motor is None and (out.actuator.holding_register is not None or out.actuator.channel is not None):
        return False  # a positioner reports its position, an MQTT node its state
    return out.actuator.switches[out.key].reads_on is None


def _local(at: time | None, tz: tzinfo) -> time | None:
    return None if at is None else at.replace(tzinfo=tz)


def _outputs_of(greenhouse: Greenhouse) -> list[_Output]:
    """Every output written: each switch by its key, and a positioner or an MQTT node's output by its actuator."""
    return [_Output(n, a, key) for n in greenhouse.nodes for a in n.actuators for key in a.switches or [a.id]]
