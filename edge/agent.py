"""The edge agent: one process per greenhouse, safe with or without its uplink.

One thread owns all state. Each pass: take commands and broker acknowledgements,
poll the nodes when a poll is due (calibrate, flag, store, run the rules), let
the controller arbitrate, drive the actuators, and queue the audit trail.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from contract import topics
from contract.clock import Clock
from contract.compact import encode
from contract.messages import (
    AckOutcome,
    Availability,
    CommandAck,
    Event,
    EventKind,
    Reading,
    RulesReport,
    Severity,
    StateSnapshot,
    Status,
    TelemetryBatch,
)
from contract.mqtt import BrokerUrl
from contract.reasons import Reason
from contract.site import Greenhouse, SiteConfig
from edge.commands import CarriedOut, Refusal, check_command
from edge.control import CommandResult, Controller
from edge.cycle import ControlCycle
from edge.field_link import FieldLink, FieldNews
from edge.fieldbus.field import FieldIO
from edge.fieldbus.models import NodeRead
from edge.memory import EdgeMemory, MemoryFile
from edge.mqtt_link import Inbound, MqttLink
from edge.outbox import Outbox, TelemetryHold
from edge.quality import QualityChecker
from edge.rule_updates import RuleUpdates
from edge.sms_roster import SmsRoster
from edge.uplink_sms import UPLINK_SMS_AFTER_S, UplinkSms
from rules.engine import EngineState, Place
from rules.model import RuleSet

log = logging.getLogger(__name__)

AGENT_VERSION = "0.1.0"
# Wall-clock pause between passes: short enough that commands and acks feel instant.
_PASS_S = 0.02
# Republish retained state and status at least this often (simulated seconds).
_HEARTBEAT_S = 300
# The outbox's counters, and the channel of the rows each numbers.
_NUMBERED = {"telemetry": topics.Channel.TELEMETRY, "events": topics.Channel.EVENTS}
# After a pass that raised: long enough not to flood the log, short enough that control goes on.
_FAILED_PASS_PAUSE_S = 1.0


class EdgeAgent:
    def __init__(
        self,
        site: SiteConfig,
        greenhouse: Greenhouse,
        broker: BrokerUrl,
        data_dir: Path,
        clock: Clock,
        fieldio: FieldIO,
        ruleset: RuleSet | None,
        smsd_dir: Path | None = None,
        uplink_sms_after_s: float = UPLINK_SMS_AFTER_S,
    ) -> None:
        self.site = site
        self.gh = greenhouse
        self.clock = clock
        # A rule set published centrally and accepted earlier wins over the one given at start-up.
        self.rule_updates = RuleUpdates(site.cooperative.id, greenhouse, data_dir, ruleset)
        self.outbox = Outbox(data_dir / f"{site.cooperative.id}-{greenhouse.id}-outbox.sqlite3")
        self.link = MqttLink(
            broker, site.cooperative.id, greenhouse.id, self.outbox, backlog_apart=greenhouse.uplink.backlog_apart
        )
        self.quality = QualityChecker(greenhouse.sensors.values())
        self.latest: dict[str, Reading] = {}
        # Timers survive a restart: rule state, running irrigations and safety histories (edge.memory).
        self.memory = MemoryFile(data_dir / f"{site.cooperative.id}-{greenhouse.id}-memory.sqlite3", greenhouse.id)
        saved = self.memory.load()
        now = clock.now()
        self.controller = Controller(site.cooperative.id, greenhouse, now, saved.control if saved else None)
        rules_state = saved.rules if saved is not None else EngineState()
        place = Place.of(site.cooperative)
        self.cycle = ControlCycle(self.controller, self.rule_updates.active.ruleset, place, rules_state)
        self.field = FieldLink(
            greenhouse, fieldio, now, site.cooperative.tz, saved.curtains if saved is not None else None
        )
        self._carried_out = CarriedOut(saved.carried_out if saved is not None else None)
        self.errors = 0  # passes and inbound messages that raised, each logged and skipped
        self._last_contact: dict[str, datetime] = {n.id: now for n in greenhouse.nodes}
        self._lost_nodes: set[str] = set()  # silent past contact_timeout_s: driven to fail-safe
        self._silent_nodes: set[str] = set()  # not answering at the moment: logged once
        self._next_poll = now
        self._sensed = False  # the first poll since start is in
        self._next_heartbeat = now
        self._was_connected = False
        self._topic = {
            c: topics.topic(site.cooperative.id, greenhouse.id, c)
            for c in (
                topics.Channel.TELEMETRY,
                topics.Channel.STATE,
                topics.Channel.ACK,
                topics.Channel.EVENTS,
                topics.Channel.RULES_STATUS,
            )
        }
        # Polls held for the next telemetry batch, on the period the site file sets (greenhouse.uplink).
        self.telemetry = TelemetryHold(
            self.outbox,
            self._topic[topics.Channel.TELEMETRY],
            greenhouse.uplink,
            greenhouse.poll_interval_s,
            partial(_batch, site.cooperative.id, greenhouse),
        )
        # Whom to text, and with a modem (Gammu SMSD's folders) what to text, when the uplink is gone (edge.uplink_sms).
        self.sms_roster = SmsRoster(site.cooperative.id, greenhouse.id, data_dir)
        self.uplink_sms = (
            UplinkSms(site.cooperative.id, greenhouse, data_dir, smsd_dir, self.sms_roster, now, uplink_sms_after_s)
            if smsd_dir is not None
            else None
        )
        self._take_up_stores(now)

    # --- local stores ---------------------------------------------------------------------------
    def _take_up_stores(self, now: datetime) -> None:
        """Numbering goes on above what the memory remembers and what the outbox still holds, so that a lost,
        replaced or damaged outbox never gives a number twice; what was lost is told as an alert."""
        remembered = self.memory.counters()
        behind = False
        for counter, channel in _NUMBERED.items():
            floor = max(remembered.get(counter, 0), self.outbox.highest_seq(self._topic[channel]))
            behind |= self.outbox.number_above(counter, floor) < remembered.get(counter, 0)
        # Raised for people (the alerts list), and on disk at once: a restart before the first pass keeps them.
        if self.outbox.recovery is not None:
            saved = self.outbox.recovery.salvaged.get("outbox", 0)
            self._alert(now, Severity.WARNING, Reason.OUTBOX_DAMAGED, {"saved": str(saved)})
        elif behind:
            log.warning("outbox lost or replaced: numbering goes on above what was remembered", extra=remembered)
            self._alert(now, Severity.WARNING, Reason.OUTBOX_LOST, {})
        if self.memory.recovery is not None:
            saved = self.memory.recovery.salvaged_rows
            self._alert(now, Severity.WARNING, Reason.MEMORY_DAMAGED, {"saved": str(saved)})
        self._flush_events()

    def _alert(
        self, now: datetime, severity: Severity, reason: Reason, params: dict[str, str], raised: bool = True
    ) -> None:
        self.controller.events.append(
            Event(
                site=self.site.cooperative.id,
                greenhouse=self.gh.id,
                ts=now,
                kind=EventKind.ALERT,
                severity=severity,
                action="raised" if raised else "cleared",
                reason=reason,
                reason_params=params,
            )
        )

    # --- main loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        self.field.drive(self.controller, self.clock.now(), every=True)
        self.link.start()
        try:
            while not stop.is_set():
                try:
                    self.step()
                except Exception:
                    # Exiting would drop every relay and cut a running irrigation; the boards' watchdogs and the
                    # fail-safe on node loss still hold while the next pass tries again.
                    self.errors += 1
                    log.exception("agent pass failed; going on")
                    stop.wait(_FAILED_PASS_PAUSE_S)
                stop.wait(_PASS_S)
        finally:
            self.shutdown()

    def step(self) -> None:
        now = self.clock.now()
        commands = self.link.pump()
        for msg in commands:
            self._take(msg, now)
        if self.link.connected and not self._was_connected:
            self._announce(now)
            self._publish_rules_report(self.rule_updates.report(now))
        self._was_connected = self.link.connected
        polled = now >= self._next_poll and self.field.poll()
        if polled:
            # Never try to catch up on missed polls: one poll reflects the present.
            self._next_poll = max(self._next_poll + timedelta(seconds=self.gh.poll_interval_s), now)
        news = self.field.take(now)
        self._hear(news, now)
        if news.poll is not None:
            self._polled(news.poll, now)
        # Safety judges readings: before the first poll is in it has none, and would stop a resumed run for that.
        if self._sensed:
            self.cycle.tick(self.latest, now)
        # At each poll, what cannot be read back is written again, and the runs the boards time are renewed.
        changed = self.field.drive(self.controller, now, every=polled)
        if news.poll is not None or changed or commands:
            self.memory.save(
                EdgeMemory(
                    saved_at=now,
                    rules=self.cycle.state,
                    control=self.controller.memory(),
                    counters=self.outbox.last_values(),
                    carried_out=self._carried_out.until,
                    curtains=self.field.curtain_memories(),
                )
            )
        self._flush_events()
        self.telemetry.tick(now)
        if self.uplink_sms is not None:
            self.uplink_sms.tick(self.link.connected, now)
        if not self._sensed:
            return  # state and status are told once there are readings: a command before them would be refused
        if changed or now >= self._next_heartbeat:
            self._publish_state(now)
        if now >= self._next_heartbeat:
            self._announce(now)
            self._next_heartbeat = now + timedelta(seconds=_HEARTBEAT_S)

    @property
    def ruleset(self) -> RuleSet | None:
        """The rule set the greenhouse runs now: the start-up file's, or one published centrally since."""
        return self.cycle.ruleset

    def shutdown(self) -> None:
        now = self.clock.now()
        self.controller.fail_safe(now, Reason.FAIL_SAFE_STOP)
        # De-energised only once every output is written and every curtain has reached its fail-safe position.
        self.field.settle(self.controller, self.clock)
        self.telemetry.send(now)
        self._flush_events()
        self._publish_state(now)
        # Give queued telemetry and events a moment to leave; what does not stays on disk.
        deadline = time.monotonic() + 2.0
        while self.link.connected and self.outbox.depth() and time.monotonic() < deadline:
            self.link.pump()
            time.sleep(_PASS_S)
        offline = Status(
            site=self.site.cooperative.id,
            greenhouse=self.gh.id,
            state=Availability.OFFLINE,
            ts=now,
            agent_version=AGENT_VERSION,
            outbox_depth=self.outbox.depth(),
        )
        self.link.stop(offline.to_json())
        self.field.close()
        self.outbox.close()
        self.memory.close()

    # --- sensing and rules ---------------------------------------------------------------------
    def _hear(self, news: FieldNews, now: datetime) -> None:
        for node_id in news.answered:
            self._contact(node_id, now)
        for node_id, detail in news.silent.items():
            if node_id not in news.answered:
                self._no_answer(node_id, detail)
        for alert in news.alerts:
            self._alert(now, alert.severity, alert.reason, alert.params, alert.raised)
            if alert.reason in (Reason.NODE_QUARANTINED, Reason.NODE_ANSWERING):
                # The status carries each node's figures: told now, for the technician, not at the next heartbeat.
                self._next_heartbeat = now

    def _polled(self, reads: list[NodeRead], now: datetime) -> None:
        """A poll is in: assess every reading, hold them for the next batch, and run the rules on them."""
        self._sensed = True
        readings: list[Reading] = []
        by_node = {r.node_id: r for r in reads}
        for node in self.gh.nodes:
            read = by_node.get(node.id)
            values = read.values if read is not None else None
            answered, raw = values is not None, values or {}
            for sensor in node.sensors:
                reading = self.quality.assess(sensor.id, raw.get(sensor.id), now, answered)
                readings.append(reading)
                self.latest[sensor.id] = reading
        if readings:
            self.telemetry.poll(now, readings)
        self.cycle.poll(self.latest, now)
        self._check_contact(now)

    # --- nodes ----------------------------------------------------------------------------------
    def _no_answer(self, node_id: str, detail: str) -> None:
        if node_id not in self._silent_nodes:
            self._silent_nodes.add(node_id)
            log.warning("node not answering", extra={"node": node_id, "detail": detail})

    def _contact(self, node_id: str, now: datetime) -> None:
        self._last_contact[node_id] = now
        if node_id in self._lost_nodes:
            self._lost_nodes.discard(node_id)
            self._node_alert(node_id, now, raised=False)
        if node_id in self._silent_nodes:
            self._silent_nodes.discard(node_id)
            log.warning("node answering again", extra={"node": node_id})

    def _check_contact(self, now: datetime) -> None:
        limit = timedelta(seconds=self.gh.contact_timeout_s)
        for node in self.gh.nodes:
            if node.id in self._lost_nodes or now - self._last_contact[node.id] <= limit:
                continue
            self._lost_nodes.add(node.id)
            # Whatever the node comes back to, it must be the fail-safe state, not a stale command.
            self.controller.fail_safe(now, Reason.FAIL_SAFE_CONTACT, {"node": node.id}, {a.id for a in node.actuators})
            self._node_alert(node.id, now, raised=True)

    def _node_alert(self, node_id: str, now: datetime, raised: bool) -> None:
        """A node lost (critical: its actuators are in their fail-safe state) or answering again."""
        if raised:
            self._alert(now, Severity.CRITICAL, Reason.NODE_UNREACHABLE, {"node": node_id})
        else:
            self._alert(now, Severity.INFO, Reason.NODE_ANSWERING, {"node": node_id}, raised=False)

    # --- commands -----------------------------------------------------------------------------
    def _take(self, msg: Inbound, now: datetime) -> None:
        """One inbound message; whatever it makes fail is logged and skipped, the others go on."""
        try:
            if msg.topic == self.link.rules_topic:
                self._on_rules(msg.payload, now)
            elif msg.topic == self.link.roster_topic:
                self.sms_roster.take(msg.payload)
            else:
                self._on_command(msg, now)
        except Exception:
            self.errors += 1
            log.exception("inbound message could not be handled; skipped", extra={"topic": msg.topic})

    def _on_command(self, msg: Inbound, now: datetime) -> None:
        checked = check_command(msg.topic, msg.payload, self.gh, now, msg.retained)
        if not isinstance(checked, Refusal) and not self._carried_out.first_time(checked, now):
            checked = Refusal(checked.id, checked.actuator, Reason.DUPLICATE_COMMAND, {})
        if isinstance(checked, Refusal):
            command_id, actuator = checked.command_id, checked.actuator
            result = CommandResult(AckOutcome.REFUSED, checked.reason, checked.params, None)
        else:
            command_id, actuator = checked.id, checked.actuator
            result = self.controller.command(checked, self.latest, now)
        ack = CommandAck(
            site=self.site.cooperative.id,
            greenhouse=self.gh.id,
            command_id=command_id,
            actuator=actuator,
            outcome=result.outcome,
            reason=result.reason,
            reason_params=result.params,
            effective_duration_s=result.effective_duration_s,
            ts=now,
        )
        log.info("command", extra={"command": ack.command_id, "outcome": ack.outcome, "reason": ack.reason})
        self.link.publish_now(self._topic[topics.Channel.ACK], ack.to_json())
        # What the command changed is told at once, not at the next heartbeat: the phone shows the valve open.
        if self.field.drive(self.controller, now, every=False):
            self._publish_state(now)

    def _on_rules(self, payload: bytes, now: datetime) -> None:
        report = self.rule_updates.offer(payload, now)
        # Rule state is kept by rule id: timers of rules that stay go on, new rules start fresh.
        self.cycle.ruleset = self.rule_updates.active.ruleset
        self._publish_rules_report(report)

    # --- publishing -----------------------------------------------------------------------------
    def _publish_rules_report(self, report: RulesReport) -> None:
        self.link.publish_now(self._topic[topics.Channel.RULES_STATUS], report.to_json(), retain=True)

    def _flush_events(self) -> None:
        topic = self._topic[topics.Channel.EVENTS]
        for event in self.controller.take_events():
            self.outbox.put_numbered("events", topic, partial(_numbered, event))
            if self.uplink_sms is not None:
                self.uplink_sms.note(event)

    def _publish_state(self, now: datetime) -> None:
        snapshot = StateSnapshot(
            site=self.site.cooperative.id,
            greenhouse=self.gh.id,
            ts=now,
            actuators=self.controller.states(self.field.unreachable, self.field.positions()),
        )
        self.link.publish_now(self._topic[topics.Channel.STATE], snapshot.to_json(), retain=True)

    def _announce(self, now: datetime) -> None:
        status = Status(
            site=self.site.cooperative.id,
            greenhouse=self.gh.id,
            state=Availability.ONLINE,
            ts=now,
            agent_version=AGENT_VERSION,
            outbox_depth=self.outbox.depth(),
            nodes=self.field.links(),
        )
        self.link.publish_now(self.link.status_topic, status.to_json(), retain=True)


def _batch(site: str, gh: Greenhouse, seq: int, sent_at: datetime, readings: list[Reading]) -> bytes:
    """A telemetry batch as it crosses the link, in the encoding the site file sets."""
    batch = TelemetryBatch(site=site, greenhouse=gh.id, seq=seq, sent_at=sent_at, readings=readings)
    return encode(batch, gh.uplink.encoding)


def _numbered(event: Event, seq: int) -> bytes:
    """The event as stored in the outbox, with the number the outbox gave it."""
    return event.model_copy(update={"seq": seq}).to_json()
