"""The demo's terminal view: an MQTT consumer that shows readings, actuators and decisions.

It reads exactly what a phone or the gateway would read, so what it shows is what
the edge agents really published. Telemetry and events are de-duplicated by sequence number: an edge sends a
numbered message again until the gateway says it holds it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.table import Table
from rich.text import Text

from contract import topics
from contract.config_file import ConfigError
from contract.kinds import SensorKind
from contract.messages import (
    ActuatorState,
    Event,
    EventKind,
    Reading,
    StateSnapshot,
    Status,
    TelemetryBatch,
)
from contract.naming import Named
from contract.reasons import Lang, Reason, render
from contract.site import SiteConfig
from contract.wire import WireError, decode
from gateway.notify import words as notify_words
from gateway.notify.local_outbox import LocalOutbox
from rules.model import load_rules

_LABELS: dict[str, tuple[str, str]] = {
    "greenhouse": ("Nhà màng", "Greenhouse"),
    "status": ("Trạng thái", "Status"),
    "online": ("trực tuyến", "online"),
    "offline": ("mất kết nối", "offline"),
    "unknown": ("chưa rõ", "unknown"),
    "running": ("Đang chạy", "Running"),
    "nothing": ("—", "—"),
    "events": ("Quyết định và sự kiện", "Decisions and events"),
    "on": ("BẬT", "ON"),
    "off": ("TẮT", "OFF"),
    "position": ("MỞ {pct} %", "OPEN {pct} %"),  # a vent or curtain driven to a position
    # What else an event's action says: a refusal, a clip, an alert raised or cleared, a rule that lost.
    "refused": ("bị từ chối", "refused"),
    "clipped": ("bị rút ngắn", "clipped"),
    "stopped": ("bị dừng", "stopped"),
    "raised": ("báo", "raised"),
    "cleared": ("hết", "cleared"),
    "skipped": ("bỏ qua", "skipped"),
    "manual override active": ("đang điều khiển tay", "manual override active"),
    "lost to": ("nhường cho", "lost to"),
    # How the notifier told somebody (gateway/notify).
    **notify_words.CHANNEL,
    "not sent": ("không gửi được", "not sent"),
    "soil": ("Ẩm đất", "Soil water"),
    "air": ("Không khí", "Air"),
    "tank": ("Bể", "Tank"),
    "flow": ("Lưu lượng", "Flow"),
    "time": ("Giờ mô phỏng", "Simulated time"),
    EventKind.DECISION: ("quyết định", "decision"),
    EventKind.SUPPRESSED: ("bỏ qua", "suppressed"),
    EventKind.SAFETY: ("an toàn", "safety"),
    EventKind.ACTUATION: ("thiết bị", "actuation"),
    EventKind.ALERT: ("cảnh báo", "alert"),
}
_SHOWN_KINDS = (SensorKind.AIR_TEMP_C, SensorKind.AIR_RH_PCT, SensorKind.PAR_UMOL_M2_S)


def label(key: str, lang: Lang) -> str:
    vi, en = _LABELS[key]
    return vi if lang == "vi" else en


_MAX_PAYLOAD_BYTES = 256 * 1024  # as the gateway takes


@dataclass
class GreenhouseView:
    name: str
    availability: str = "unknown"
    readings: dict[str, Reading] = field(default_factory=dict)
    actuators: list[ActuatorState] = field(default_factory=list)
    seqs_seen: set[int] = field(default_factory=set)
    event_seqs_seen: set[int] = field(default_factory=set)  # numbered per topic, apart from telemetry's
    duplicates: int = 0

    def first_time(self, seen: set[int], seq: int) -> bool:
        """Whether the message numbered ``seq`` is new to ``seen`` (now noted there); a repeat is counted."""
        if seq in seen:
            self.duplicates += 1
            return False
        seen.add(seq)
        return True


class Board:
    def __init__(self, site: SiteConfig, lang: Lang, outbox: Path | None = None) -> None:
        self.site = site
        self.lang = lang
        # The notifier's local outbox (the gateway writes it): each message it would send is shown as it is sent.
        self._outbox = LocalOutbox(outbox) if outbox is not None else None
        self._outbox_read = 0  # bytes of it already shown
        self.tz: ZoneInfo = site.cooperative.tz
        self.houses = {g.id: GreenhouseView(g.label_in(lang)) for g in site.greenhouses}
        self.rules = _rules(site)
        self.events: deque[str] = deque(maxlen=12)
        self.decisions = 0
        self.rejected = 0
        self.latest_ts = ""

    def subscriptions(self) -> list[str]:
        site = self.site.cooperative.id
        return [
            topics.subscription(c, site)
            for c in (topics.Channel.TELEMETRY, topics.Channel.STATE, topics.Channel.STATUS, topics.Channel.EVENTS)
        ]

    def apply(self, topic: str, payload: bytes) -> list[str]:
        """Take one message; return the lines worth printing in plain mode."""
        try:
            t = topics.parse(topic)
            house = self.houses[t.greenhouse]
            match t.channel:
                case topics.Channel.TELEMETRY:  # an edge with a compact uplink sends it deflated
                    batch = decode(TelemetryBatch, payload, _MAX_PAYLOAD_BYTES)
                    if isinstance(batch, WireError):
                        raise ValueError(batch.detail)
                    self._telemetry(house, batch)
                case topics.Channel.STATE:
                    house.actuators = StateSnapshot.model_validate_json(payload).actuators
                case topics.Channel.STATUS:
                    house.availability = Status.model_validate_json(payload).state.value
                case topics.Channel.EVENTS:
                    return self._event(t.greenhouse, house, Event.model_validate_json(payload))
        except (topics.TopicError, KeyError, ValueError):  # pydantic's ValidationError is a ValueError
            self.rejected += 1
        return []

    def _telemetry(self, house: GreenhouseView, batch: TelemetryBatch) -> None:
        if not house.first_time(house.seqs_seen, batch.seq):
            return
        for reading in batch.readings:
            house.readings[reading.sensor] = reading
        self.latest_ts = batch.sent_at.astimezone(self.tz).strftime("%d/%m %H:%M")

    def _event(self, greenhouse: str, house: GreenhouseView, event: Event) -> list[str]:
        if event.seq is not None and not house.first_time(house.event_seqs_seen, event.seq):
            return []
        if event.kind is EventKind.ACTUATION and event.reason.value.startswith("fail_safe"):
            return []  # start-up and shutdown put every actuator in its safe state; that is not news
        if event.kind is EventKind.DECISION:
            self.decisions += 1
        when = event.ts.astimezone(self.tz).strftime("%H:%M")
        action = self._action(greenhouse, event.action or "")
        what = f"{self._actuator_label(greenhouse, event.actuator)} {action}".strip()
        why = render(event.reason, event.reason_params, self.lang, self.site.greenhouse(greenhouse))
        line = f"[{when}] {self.houses[greenhouse].name} · {label(event.kind, self.lang)} · {what} — {why}"
        self.events.append(line)
        return [line]

    def told(self) -> list[str]:
        """The lines for what the notifier sent since the last call: "[03:12] tin nhắn → Chị Lan: …"."""
        if self._outbox is None:
            return []
        new, self._outbox_read = self._outbox.since(self._outbox_read)
        lines = []
        for w in new:
            when = w.at.astimezone(self.tz).strftime("%H:%M")
            failed = "" if w.ok else f" ({label('not sent', self.lang)})"
            lines.append(f"[{when}] {label(w.channel.value, self.lang)} → {w.name}{failed}: {w.text}")
        self.events.extend(lines)
        return lines

    def _action(self, greenhouse: str, action: str) -> str:
        """The event's action in the board's language; an action this view does not know, as it came."""
        if action.startswith("lost to "):
            winner = action.removeprefix("lost to ")
            named = self.rules.get(greenhouse, {}).get(winner)
            return f"{label('lost to', self.lang)} {named.label_in(self.lang) if named else winner}"
        if action.startswith("position ") and action.endswith("%"):
            pct = action.removeprefix("position ").removesuffix("%")
            return label("position", self.lang).format(pct=pct) if pct != "0" else label("off", self.lang)
        return label(action, self.lang) if action in _LABELS else action

    def _actuator_label(self, greenhouse: str, actuator: str | None) -> str:
        if actuator is None:
            return ""
        found = self.site.greenhouse(greenhouse).actuators.get(actuator)
        return found.label_in(self.lang) if found else actuator

    def _soil_text(self, house_id: str, house: GreenhouseView) -> str:
        gh = self.site.greenhouse(house_id)
        parts = []
        for zone in gh.zones:
            values = [
                house.readings[s].value
                for s in zone.soil_sensors
                if s in house.readings and house.readings[s].value is not None
            ]
            name = zone.label_in(self.lang)
            parts.append(f"{name} {sum(values) / len(values):.1f}%" if values else f"{name} ?")
        return "  ".join(parts)

    def render(self) -> Group:
        table = Table(
            title=f"{self.site.cooperative.label_in(self.lang)} — {label('time', self.lang)} {self.latest_ts}"
        )
        for key in ("greenhouse", "status", "air", "soil", "tank", "running"):
            table.add_column(label(key, self.lang))
        for house_id, house in self.houses.items():
            air = " ".join(
                f"{r.value:.1f}{r.kind.unit}"
                for r in house.readings.values()
                if r.kind in _SHOWN_KINDS and r.value is not None
            )
            tank = next(
                (
                    f"{r.value:.0f}%"
                    for r in house.readings.values()
                    if r.kind is SensorKind.TANK_LEVEL_PCT and r.value is not None
                ),
                "?",
            )
            running = ", ".join(
                self._actuator_label(house_id, a.actuator) + (f" {a.position_pct:.0f}%" if a.position_pct else "")
                for a in house.actuators
                if a.on or a.position_pct
            ) or label("nothing", self.lang)
            style = "green" if house.availability == "online" else "red"
            table.add_row(
                house.name,
                Text(label(house.availability, self.lang), style=style),
                air,
                self._soil_text(house_id, house),
                tank,
                running,
            )
        events = Table(title=label("events", self.lang), show_header=False)
        events.add_column()
        for line in self.events:
            events.add_row(line)
        return Group(table, events)

    def stopped_fail_safe(self) -> bool:
        """True when every greenhouse that reported its actuators last reported each in its shutdown fail-safe
        state. One stopped before it ever reported (a Ctrl-C as the demo starts) never moved one."""
        return all(all(a.reason is Reason.FAIL_SAFE_STOP for a in h.actuators) for h in self.houses.values())


def _rules(site: SiteConfig) -> dict[str, dict[str, Named]]:
    """Each greenhouse's rules by id, to name a rule that won over another; a file that does not load leaves its
    rules named by their ids (its edge agent says what is wrong with it)."""
    found: dict[str, dict[str, Named]] = {}
    for gh in site.greenhouses:
        try:
            found[gh.id] = {r.id: r for r in load_rules(gh.rules_file).rules} if gh.rules_file else {}
        except (ConfigError, OSError):
            found[gh.id] = {}
    return found
