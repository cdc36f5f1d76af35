"""The real system under hostile MQTT input: a real Mosquitto, the real gateway (ingest into SQLite, and its
live side), the real edge agent over the simulator, and a client that sends hostile messages interleaved with
good traffic and counts what each consumer did with them.

Used by tests/hostile/ and by ``python -m bench.reliability``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.subscribeoptions import SubscribeOptions

from contract import topics
from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import (
    AckOutcome,
    Command,
    CommandAck,
    CommandAction,
    Reading,
    RulesOutcome,
    RulesReport,
    TelemetryBatch,
)
from contract.mqtt import BrokerUrl, make_client
from contract.site import SiteConfig
from contract.site_file import load_site
from contract.wire import WireError, decode
from gateway.health import HealthReport, report
from gateway.ingest.spool import Rejection
from gateway.ingest.validate import RejectReason
from gateway.live.service import Live
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from greenhouse.runtime_site import on_free_ports
from tests.conftest import EXAMPLE_SITE
from tests.hostile.families import Consumer, Hostile, Place, consumers
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, stack

EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
_PAYLOAD_HEAD, _TOPIC_HEAD = 512, 300  # what the rejects log keeps of each (gateway/ingest/spool.py)
_ANSWER_BYTES = 1 << 20
# At most this much of the sender's own messages waits in paho at once: the memory measured is the consumers'.
_QUEUED_BYTES = 8 << 20
_HEARD = (topics.Channel.ACK, topics.Channel.RULES_STATUS)  # the edge's answer topics
_IGNORED_ACK = "delivery acknowledgement ignored"  # the edge's log line for a refused acknowledgement


def rss_kib() -> int:
    """This process's resident memory (VmRSS), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def first_greenhouses(site: SiteConfig, n: int) -> SiteConfig:
    """``site`` with its first ``n`` greenhouses only."""
    return SiteConfig.model_validate(site.model_copy(update={"greenhouses": site.greenhouses[:n]}).model_dump())


class _IgnoredAcks(logging.Handler):
    """Counts the edge's refusals of a delivery acknowledgement: it logs each one, and keeps no counter."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == _IGNORED_ACK:
            self.count += 1


class _Answers:
    """The edge's answers, heard on its ``ack`` and ``rules_status`` topics."""

    def __init__(self) -> None:
        self.acks: list[CommandAck] = []
        self.reports: list[RulesReport] = []
        self.unreadable = 0
        self._lock = threading.Lock()

    def take(self, channel: str, payload: bytes) -> None:
        model = CommandAck if channel == topics.Channel.ACK else RulesReport
        message = decode(model, payload, _ANSWER_BYTES)
        with self._lock:
            if isinstance(message, WireError):
                self.unreadable += 1
            elif isinstance(message, CommandAck):
                self.acks.append(message)
            elif isinstance(message, RulesReport):
                self.reports.append(message)

    def snapshot(self) -> tuple[list[CommandAck], list[RulesReport]]:
        with self._lock:
            return list(self.acks), list(self.reports)


@dataclass(frozen=True)
class Tally:
    """What every consumer has refused so far."""

    rejects: int  # the gateway's rejects log: the spool's counts, summed over reasons
    skipped: int  # the live feed's skipped messages
    refused_acks: int  # the edge's answers to commands: refused
    refused_reports: int  # and to rule sets
    ignored_acks: int  # delivery acknowledgements the edge refused

    def minus(self, before: Tally) -> Counter[Consumer]:
        return Counter(
            {
                Consumer.INGEST: self.rejects - before.rejects,
                Consumer.LIVE: self.skipped - before.skipped,
                Consumer.EDGE_CMD: self.refused_acks - before.refused_acks,
                Consumer.EDGE_RULES: self.refused_reports - before.refused_reports,
                Consumer.EDGE_STORED: self.ignored_acks - before.ignored_acks,
            }
        )


@dataclass
class BatchReport:
    """One batch of hostile input and what the system made of it."""

    items: list[Hostile]
    reached: list[frozenset[Consumer]]  # whom the broker handed each item to
    expected: Counter[Consumer]  # refusals each consumer owes: one per hostile message it was handed
    refused: Counter[Consumer]  # refusals seen
    logged: list[Rejection]  # the rejects log's new entries
    not_logged: list[Hostile]  # sent to ingest, not in the rejects log
    logged_unsent: list[Rejection]  # in the rejects log, never sent
    unreadable_answers: int  # answers from the edge that are not contract messages
    good_sent: int
    good_commands: int
    good_commands_refused: list[CommandAck]  # good commands answered with a refusal
    good_commands_unanswered: int
    accepted_reports: int  # rule-set reports that accepted or kept an offer: there were no good offers
    edge_seq: tuple[int, int]  # the edge's highest stored telemetry number, before and after
    health: HealthReport
    edge_alive: bool
    edge_errors: int

    def problems(self) -> list[str]:
        """What went wrong with this batch, in words (nothing, when every hostile message was refused with a
        reason by every consumer it reached, and good traffic went through)."""
        found = []
        if self.not_logged:
            found.append(f"sent to the gateway's ingest, not in its rejects log: {self.not_logged}")
        if self.logged_unsent:
            found.append(f"in the rejects log, never sent (good traffic rejected?): {self.logged_unsent}")
        odd = [(x.topic, x.reason, x.detail) for x in self.logged if not known_reason(x)]
        if odd:
            found.append(f"rejected without a reason, or as the gateway's own failure: {odd}")
        if self.refused != self.expected:
            found.append(f"refusals by consumer {dict(self.refused)}, owed {dict(self.expected)}; batch: {self.items}")
        if self.unreadable_answers:
            found.append(f"{self.unreadable_answers} answers from the edge are not contract messages")
        if self.accepted_reports:
            found.append(f"the edge took {self.accepted_reports} hostile rule sets")
        if self.good_commands_unanswered or self.good_commands_refused:
            unanswered, refused = self.good_commands_unanswered, self.good_commands_refused
            found.append(f"good commands: {unanswered} unanswered, refused: {refused}")
        if self.edge_seq[1] <= self.edge_seq[0]:
            found.append(f"the edge's telemetry stopped at {self.edge_seq[0]}")
        return found

    def dead(self) -> set[str]:
        """Consumers that stopped, stalled or failed on a message (each failure is logged where it was caught)."""
        found = set(self.health.problems)
        found |= {f"{loop}: {n} messages or passes failed" for loop, n in self.health.errors_caught.items() if n}
        if not self.edge_alive:
            found.add("the edge agent's thread")
        if self.edge_errors:
            found.add(f"edge agent: {self.edge_errors} messages or passes failed")
        return found

    def accounted(self) -> Counter[str]:
        """Per family, hostile messages every consumer they reached refused (ingest: each found in the log)."""
        missing = {id(h) for h in self.not_logged}
        whole = {c for c in Consumer if c is not Consumer.INGEST and self.refused[c] == self.expected[c]}
        return Counter(
            h.family
            for h, reached in zip(self.items, self.reached, strict=True)
            if reached and id(h) not in missing and reached - {Consumer.INGEST} <= whole
        )


@dataclass(frozen=True)
class Delivery:
    """Good telemetry batches over a whole run: the rig's (under the other greenhouse) and the edge's."""

    produced: int
    stored: int  # distinct batches stored
    lost: int  # produced, not stored
    duplicates: int  # stored more than once
    unexpected: int  # stored, never produced: something let in
    readings_sent: int  # the rig's readings
    readings_stored: int


def _count(produced: set[int], stored: list[int]) -> tuple[int, int, int, int]:
    distinct = set(stored)
    return len(distinct & produced), len(produced - distinct), len(stored) - len(distinct), len(distinct - produced)


class Rig:
    """One broker, one gateway with its live side, one edge agent; hostile batches sent through them."""

    def __init__(self, workdir: Path, speed: float = 30.0, good_every: int = 4) -> None:
        self._exit = ExitStack()
        self.workdir = workdir
        full = on_free_ports(load_site(EXAMPLE_SITE), workdir / "tty")
        self.site = first_greenhouses(full, 2)  # the gateway's: the edge's greenhouse, and another one
        self.broker = Mosquitto(workdir / "mosquitto")
        self.broker.start()
        self._exit.callback(self.broker.stop)
        start = datetime.now(UTC).replace(microsecond=0)
        self.stack = self._exit.enter_context(stack(workdir, self.broker, first_greenhouses(full, 1), start, speed))
        self.clock: Clock = self.stack.clock
        self.url = BrokerUrl.parse(self.broker.url)
        self.place = Place.of(self.site, self.clock.now)
        self.good_every = good_every
        self._history = workdir / "history.sqlite3"
        self.gateway, self.live = self._start_gateway()
        self._exit.callback(self._stop_gateway)
        self.ignored = _IgnoredAcks()
        link_log = logging.getLogger("edge.mqtt_link")
        link_log.addHandler(self.ignored)
        self._exit.callback(link_log.removeHandler, self.ignored)
        if not link_log.isEnabledFor(logging.WARNING):  # the count rests on those warnings being made
            self._exit.callback(link_log.setLevel, link_log.level)
            link_log.setLevel(logging.WARNING)
        self.edge = EdgeThread(self.stack)
        self._exit.callback(self.edge.stop)
        self.answers = _Answers()
        self._client = self._connect()
        self._exit.callback(self._client.loop_stop)
        self._exit.callback(self._client.disconnect)
        self.good_seqs: list[int] = []
        self.good_readings = 0
        self._serial = 0
        if not wait_until(lambda: self.edge_seq() >= 1, 60):
            raise RuntimeError("the edge's telemetry was not stored")

    # --- the parts ------------------------------------------------------------------------------------------
    def _start_gateway(self) -> tuple[Gateway, Live]:
        store = SqliteStore(self._history)
        settings = GatewaySettings(broker=self.url, data_dir=self.workdir / "gateway")
        gateway = Gateway(self.site, store, settings, self.clock)
        live = Live(self.site, store, self.url, self.clock, "1")
        live.start()
        gateway.start()
        if not gateway.receiver.subscribed.wait(20) or not live.feed.connected.wait(20):
            raise RuntimeError("the gateway did not subscribe")
        return gateway, live

    def _stop_gateway(self) -> None:
        self.live.stop()
        self.gateway.stop()

    def restart_gateway(self) -> None:
        """A new gateway on the same data dir and broker, as after a crash and a supervisor's restart."""
        self._stop_gateway()
        self.gateway, self.live = self._start_gateway()

    def _connect(self) -> paho.Client:
        # MQTT 5, to subscribe with "no local": the sender hears the edge's answers, not its own hostile messages
        # on the same topics.
        client = make_client(self.url, "hostile-sender", mqtt5=True)
        answers = [topics.topic(self.place.site, self.place.edge.id, c) for c in _HEARD]

        def on_connect(c: paho.Client, *_: object) -> None:
            c.subscribe([(t, SubscribeOptions(qos=1, noLocal=True)) for t in answers])

        def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
            self.answers.take(msg.topic.rsplit("/", 1)[-1], bytes(msg.payload))

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect(self.url.host, self.url.port)
        client.loop_start()
        if not wait_until(client.is_connected, 10):
            raise RuntimeError("the sender could not connect")
        time.sleep(0.2)  # its subscription settles before anything is answered
        return client

    # --- what the system holds --------------------------------------------------------------------------------
    def stored_seqs(self, greenhouse: str) -> list[int]:
        rows = self.gateway.store.rows("batch", {"greenhouse": greenhouse}, *EVERYTHING, 10_000_000)
        return [int(p.fields["seq"]) for p in rows]

    def stored_readings(self, greenhouse: str) -> int:
        return len(self.gateway.store.rows("reading", {"greenhouse": greenhouse}, *EVERYTHING, 10_000_000))

    def edge_seq(self) -> int:
        return max(self.stored_seqs(self.place.edge.id), default=0)

    def delivery(self, edge_produced: int | None = None) -> Delivery:
        """``edge_produced``: the edge's last telemetry number, once it has stopped; while it runs, its highest
        stored number stands for it (so only a gap counts as lost)."""
        edge = self.stored_seqs(self.place.edge.id)
        edge_made = set(range(1, (edge_produced if edge_produced is not None else max(edge, default=0)) + 1))
        mine = self.stored_seqs(self.place.other.id)
        counts = [_count(edge_made, edge), _count(set(self.good_seqs), mine)]
        stored, lost, duplicates, unexpected = (sum(c[i] for c in counts) for i in range(4))
        return Delivery(
            produced=len(edge_made) + len(self.good_seqs),
            stored=stored,
            lost=lost,
            duplicates=duplicates,
            unexpected=unexpected,
            readings_sent=self.good_readings,
            readings_stored=self.stored_readings(self.place.other.id),
        )

    def health(self) -> HealthReport:
        return report([*self.gateway.pulses(), self.live.feed.pulse])

    def edge_alive(self) -> bool:
        return self.edge._thread.is_alive()  # the agent's own thread: the test support keeps no other handle

    def tally(self) -> Tally:
        acks, reports = self.answers.snapshot()
        return Tally(
            rejects=sum(self.gateway.spool.reject_counts().values()),
            skipped=sum(self.live.feed.skipped.values()),
            refused_acks=sum(1 for a in acks if a.outcome is AckOutcome.REFUSED and a.command_id[:5] != "good-"),
            refused_reports=sum(1 for r in reports if r.outcome is RulesOutcome.REFUSED),
            ignored_acks=self.ignored.count,
        )

    # --- good traffic -----------------------------------------------------------------------------------------
    def _good_telemetry(self) -> tuple[str, bytes]:
        gh, now = self.place.other, self.clock.now()
        seq = len(self.good_seqs) + 1
        readings = [
            Reading(sensor=s.id, kind=s.kind, value=seq + i / 100, ts=now, quality=Quality.GOOD)
            for i, s in enumerate(gh.sensors.values())
        ]
        batch = TelemetryBatch(site=self.place.site, greenhouse=gh.id, seq=seq, sent_at=now, readings=readings)
        self.good_seqs.append(seq)
        self.good_readings += len(readings)
        return topics.topic(self.place.site, gh.id, topics.Channel.TELEMETRY), batch.to_json()

    def _good_command(self, n: int) -> tuple[str, bytes, str]:
        now = self.clock.now()
        # The fan held off for a simulated minute: harmless, and answered at once.
        what = {"actuator": "fan", "action": CommandAction.OFF, "duration_s": 60.0, "issued_by": "reliability"}
        command = Command(id=f"good-{n}", issued_at=now, expires_at=now + timedelta(minutes=10), **what)
        topic = topics.topic(self.place.site, self.place.edge.id, topics.Channel.CMD, command.actuator)
        return topic, command.to_json(), command.id

    # --- a batch --------------------------------------------------------------------------------------------
    def run(self, items: Sequence[Hostile], timeout_s: float = 90) -> BatchReport:
        """Send ``items`` with good telemetry and good commands between them; wait until every consumer has
        dealt with them (or ``timeout_s``); report."""
        reached = [consumers(h.topic, self.place) for h in items]
        expected: Counter[Consumer] = Counter(c for r in reached for c in r)
        before, seq_before, good_before = self.tally(), self.edge_seq(), len(self.good_seqs)
        reports_before = len(self.answers.snapshot()[1])
        rejects_before = self.gateway.spool.reject_counts()
        commands: list[str] = []
        sent: list[paho.MQTTMessageInfo] = []
        queued = 0
        for i, h in enumerate(items):
            if queued > _QUEUED_BYTES:  # paho keeps a copy of each message until the broker has it
                for info in sent:
                    info.wait_for_publish(60)
                queued = 0
            sent.append(self._client.publish(h.topic, h.payload, qos=1))
            queued += len(h.payload)
            if i % self.good_every == 0:
                sent.append(self._client.publish(*self._good_telemetry(), qos=1))
            if i % (self.good_every * 4) == 0:
                self._serial += 1
                topic, payload, command_id = self._good_command(self._serial)
                commands.append(command_id)
                sent.append(self._client.publish(topic, payload, qos=1))
        # Good telemetry last too: what arrives after the hostile input is stored as well.
        sent.append(self._client.publish(*self._good_telemetry(), qos=1))
        for info in sent:
            info.wait_for_publish(60)

        def good_answers() -> list[CommandAck]:
            acks, _reports = self.answers.snapshot()
            return [a for a in acks if a.command_id in commands]

        def settled() -> bool:
            refused = self.tally().minus(before)
            return (
                all(refused[c] >= n for c, n in expected.items())
                and set(self.good_seqs) <= set(self.stored_seqs(self.place.other.id))
                and len(good_answers()) >= len(commands)
                and self.edge_seq() > seq_before
            )

        wait_until(settled, timeout_s)  # what has not happened by then is reported, not waited for
        after = self.tally()
        new_rejects = sum(self.gateway.spool.reject_counts().values()) - sum(rejects_before.values())
        logged = self.gateway.spool.recent_rejects(new_rejects) if new_rejects > 0 else []
        ingested = [h for h, r in zip(items, reached, strict=True) if Consumer.INGEST in r]
        not_logged, logged_unsent = _match(ingested, logged)
        answered = good_answers()
        _acks, reports = self.answers.snapshot()
        return BatchReport(
            items=list(items),
            reached=reached,
            expected=expected,
            refused=after.minus(before),
            logged=logged,
            not_logged=not_logged,
            logged_unsent=logged_unsent,
            unreadable_answers=self.answers.unreadable,
            good_sent=len(self.good_seqs) - good_before,
            good_commands=len(commands),
            good_commands_refused=[a for a in answered if a.outcome is AckOutcome.REFUSED],
            good_commands_unanswered=len(commands) - len({a.command_id for a in answered}),
            accepted_reports=sum(1 for r in reports[reports_before:] if r.outcome is not RulesOutcome.REFUSED),
            edge_seq=(seq_before, self.edge_seq()),
            health=self.health(),
            edge_alive=self.edge_alive(),
            edge_errors=self.edge.agent.errors,
        )

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(60)

    def close(self) -> None:
        self._exit.close()


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Whether ``predicate`` came true within ``timeout_s`` (a bound on waiting, not a measure of speed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _match(sent: Sequence[Hostile], logged: Sequence[Rejection]) -> tuple[list[Hostile], list[Rejection]]:
    """Hostile messages sent to ingest but not in the rejects log, and log entries for nothing sent: each entry
    is known by its topic and the head of its payload, as the log keeps them."""
    waiting: dict[tuple[str, bytes], list[Hostile]] = {}
    for h in sent:
        waiting.setdefault((h.topic[:_TOPIC_HEAD], h.payload[:_PAYLOAD_HEAD]), []).append(h)
    unsent = []
    for r in logged:
        found = waiting.get((r.topic, r.payload))
        if found:
            found.pop()
        else:
            unsent.append(r)
    return [h for hs in waiting.values() for h in hs], unsent


def reasons(logged: Sequence[Rejection]) -> Counter[str]:
    return Counter(r.reason for r in logged)


def known_reason(r: Rejection) -> bool:
    """A reason the gateway names, other than its own failure, with a detail saying what was wrong."""
    return r.reason in {x.value for x in RejectReason} - {RejectReason.INTERNAL_ERROR.value} and bool(r.detail)


@dataclass
class RssSampler:
    """The process's peak resident memory while it runs, sampled every ``every_s``."""

    every_s: float = 0.05
    start_kib: int = 0
    peak_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.start_kib = self.peak_kib = rss_kib()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak_kib = max(self.peak_kib, rss_kib())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_kib = max(self.peak_kib, rss_kib())

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.start_kib) / 1024
