"""Hostile MQTT input, family by family, for every topic the gateway or an edge agent consumes.

Each family starts from a valid contract message for its topic and breaks it in one way the contract refuses,
so that every item is one that each consumer it reaches must refuse: refusals can then be counted exactly.
What the contract accepts is not hostile here. A duplicated key whose last value is valid, for instance, is
read as that value by every consumer alike (pydantic's parser keeps the last), so that family puts the bad
value last.

Messages on the gateway's ingest channels are aimed at a greenhouse the gateway knows but whose edge agent is
not running (``Place.other``): a rejected message whose number can be read is acknowledged to its greenhouse's
edge (``gateway/ingest/acks.py``), and only the broker's ACL keeps anyone but that edge from publishing on its
topics. Its own topics get the live channels, commands, rule sets and delivery acknowledgements.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, StringConstraints

from contract import topics
from contract.kinds import ControlSource, Quality
from contract.messages import (
    AckOutcome,
    ActuatorState,
    Availability,
    Command,
    CommandAck,
    CommandAction,
    DeliveryAck,
    Event,
    EventKind,
    Reading,
    RuleSetOffer,
    RulesOutcome,
    RulesReport,
    Severity,
    StateSnapshot,
    Status,
    TelemetryBatch,
    text_sha256,
)
from contract.reasons import Reason
from contract.site import Greenhouse, SiteConfig
from contract.wire import WireError, decode

C = topics.Channel
Path = tuple[str | int, ...]
T = TypeVar("T")

# Far above any number an edge gives in a test run: a hostile message that carries one can never name a real row.
FAR_SEQ = 1_000_000
_INGEST = frozenset({C.TELEMETRY, C.STATUS, C.EVENTS})
_LIVE = _INGEST | {C.STATE, C.ACK, C.RULES_STATUS, C.RULES}
ALL_CHANNELS = (C.TELEMETRY, C.STATUS, C.EVENTS, C.STATE, C.ACK, C.RULES_STATUS, C.RULES, C.CMD, C.STORED)
# Channels whose consumer bounds a timestamp (a rule-set offer and a delivery acknowledgement are not bounded).
_TIMED = (C.TELEMETRY, C.STATUS, C.EVENTS, C.STATE, C.ACK, C.RULES_STATUS, C.CMD)


class Consumer(StrEnum):
    """Who takes a message, and where its refusal shows."""

    INGEST = "gateway ingest"  # the spool's rejects log, with a reason
    LIVE = "gateway live feed"  # skipped, counted by reason
    EDGE_CMD = "edge commands"  # answered on `ack`, refused with a reason
    EDGE_RULES = "edge rule sets"  # answered on `rules_status`, refused with the problems
    EDGE_STORED = "edge delivery acks"  # ignored, logged with what is wrong


@dataclass(frozen=True)
class Place:
    site: str
    edge: Greenhouse  # runs an edge agent
    other: Greenhouse  # known to the gateway; good telemetry comes in under its name
    rules_yaml: str
    now: Callable[[], datetime]

    @classmethod
    def of(cls, site: SiteConfig, now: Callable[[], datetime]) -> Place:
        edge, other = site.greenhouses[0], site.greenhouses[1]
        assert edge.rules_file is not None
        return cls(site.cooperative.id, edge, other, edge.rules_file.read_text(encoding="utf-8"), now)


def consumers(topic: str, place: Place) -> frozenset[Consumer]:
    """Whom the broker hands ``topic`` to, by their subscriptions (``+`` matches any one level, even empty)."""
    levels = topic.split("/")
    if levels[:3] != [topics.PREFIX, topics.VERSION, place.site] or len(levels) not in (5, 6):
        return frozenset()
    greenhouse, channel = levels[3], levels[4]
    if len(levels) == 6:
        return frozenset({Consumer.EDGE_CMD}) if channel == C.CMD and greenhouse == place.edge.id else frozenset()
    found = set()
    if channel in _INGEST:
        found.add(Consumer.INGEST)
    if channel in _LIVE:
        found.add(Consumer.LIVE)
    if greenhouse == place.edge.id and channel == C.RULES:
        found.add(Consumer.EDGE_RULES)
    if greenhouse == place.edge.id and channel == C.STORED:
        found.add(Consumer.EDGE_STORED)
    return frozenset(found)


@dataclass(frozen=True)
class Hostile:
    family: str
    how: str
    topic: str
    payload: bytes

    def __repr__(self) -> str:
        # Falsifying batches are printed whole: a megabyte payload is shown by its length and its first bytes.
        return f"Hostile({self.family}: {self.how}, {self.topic[:90]!r}, {len(self.payload)} B {self.payload[:48]!r})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis prints examples with this, and would otherwise show every byte


# --- valid templates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    channel: topics.Channel
    model: type[BaseModel]
    topic: str
    tree: dict[str, Any]
    times: tuple[Path, ...]  # the timestamps the consumer bounds


def _template(place: Place, channel: topics.Channel, serial: int) -> Template:
    now, site = place.now(), place.site
    edge, other = place.edge, place.other
    sha = text_sha256(place.rules_yaml)
    fan = edge.actuators["fan"]
    vent = next(a for a in edge.actuators.values() if a.kind.positional)
    message: BaseModel
    times: tuple[Path, ...] = (("ts",),)
    gh = edge.id
    match channel:
        case C.TELEMETRY:
            gh = other.id
            sensors = list(other.sensors.values())[:2]
            readings = [
                Reading(sensor=s.id, kind=s.kind, value=20.5 + i, ts=now, quality=Quality.GOOD)
                for i, s in enumerate(sensors)
            ]
            message = TelemetryBatch(site=site, greenhouse=gh, seq=FAR_SEQ + serial, sent_at=now, readings=readings)
            times = (("sent_at",), ("readings", 0, "ts"))
        case C.STATUS:
            gh = other.id
            message = Status(
                site=site, greenhouse=gh, state=Availability.ONLINE, ts=now, agent_version="0.1.0", outbox_depth=3
            )
        case C.EVENTS:
            gh = other.id
            message = Event(
                site=site,
                greenhouse=gh,
                ts=now,
                kind=EventKind.ALERT,
                severity=Severity.WARNING,
                rule="hostile",
                actuator=fan.id,
                action="raised",
                reason=Reason.RULE_ALERT,
                reason_params={"metric": "air-temp"},
                inputs={"air-temp": 31.5},
                seq=FAR_SEQ + serial,
            )
        case C.STATE:
            state = ActuatorState(
                actuator=vent.id,
                kind=vent.kind,
                on=True,
                position_pct=40.0,
                since=now,
                until=now + timedelta(minutes=5),
                source=ControlSource.RULE,
                reason=Reason.RULE_CLIMATE_VENTING,
                reason_params={"rule": "hostile"},
            )
            message = StateSnapshot(site=site, greenhouse=gh, ts=now, actuators=[state])
        case C.ACK:
            message = CommandAck(
                site=site,
                greenhouse=gh,
                command_id=f"hostile-{serial}",
                actuator=fan.id,
                outcome=AckOutcome.ACCEPTED,
                reason=Reason.ACCEPTED,
                effective_duration_s=60.0,
                ts=now,
            )
        case C.RULES_STATUS:
            message = RulesReport(
                site=site,
                greenhouse=gh,
                ts=now,
                outcome=RulesOutcome.REFUSED,
                offered_version=2,
                offered_sha256=sha,
                active_version=1,
                active_sha256=sha,
                active_source="published",
                problems_vi=["luật"],
                problems_en=["rule"],
            )
        case C.RULES:
            message = RuleSetOffer(
                site=site,
                greenhouse=gh,
                version=1,
                sha256=sha,
                rules_yaml=place.rules_yaml,
                published_at=now,
                published_by="hostile",
            )
            times = ()
        case C.CMD:
            message = Command(
                id=f"hostile-{serial}",
                actuator=fan.id,
                action=CommandAction.ON,
                duration_s=60.0,
                issued_at=now,
                expires_at=now + timedelta(minutes=10),
                issued_by="hostile",
                reason="hostile test",
            )
            times = (("expires_at",),)
        case C.STORED:
            message = DeliveryAck(
                site=site, greenhouse=gh, ts=now, telemetry=[FAR_SEQ + serial], events=[FAR_SEQ + serial]
            )
            times = ()
        case _:
            raise ValueError(f"no consumer takes {channel}")
    actuator = fan.id if channel is C.CMD else None
    tree = json.loads(message.model_dump_json(exclude_none=True))
    # Every family breaks a valid message: if the template itself were refused, no count would mean anything.
    assert not isinstance(decode(type(message), _render(tree), 1 << 30), WireError), channel
    return Template(channel, type(message), topics.topic(site, gh, channel, actuator), tree, times)


# --- what each field takes ------------------------------------------------------------------------------------


def _json_kind(value: object) -> str:
    match value:
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case None:
            return "null"
        case list():
            return "array"
        case _:
            return "object"


def _unwrap(t: Any) -> Any:
    return _unwrap(get_args(t)[0]) if get_origin(t) is Annotated else t


def _kinds(t: Any) -> frozenset[str]:
    """The JSON kinds a field of type ``t`` may take (strict mode: no coercion between them)."""
    t = _unwrap(t)
    origin = get_origin(t)
    if origin in (Union, UnionType):
        return frozenset().union(*(_kinds(a) for a in get_args(t)))
    if origin is Literal:
        # pydantic's strict mode still takes true for 1 and false for 0 here (and 1.0 for 1): a gap in the
        # contract, shown by test_found_gaps.py; left out of these families so that the rest stays checked.
        values = get_args(t)
        coerced = {"boolean", "number"} if any(v in (0, 1) and not isinstance(v, str) for v in values) else set()
        return frozenset(_json_kind(v) for v in values) | coerced
    if origin is list:
        return frozenset({"array"})
    if origin is dict:
        return frozenset({"object"})
    if t is NoneType:
        return frozenset({"null"})
    if t is bool:
        return frozenset({"boolean"})
    if t is int:
        return frozenset({"integer"})
    if t is float:
        return frozenset({"integer", "number"})
    if t is str or t is AwareDatetime or (isinstance(t, type) and issubclass(t, Enum)):
        return frozenset({"string"})
    if isinstance(t, type) and issubclass(t, BaseModel):
        return frozenset({"object"})
    raise TypeError(f"no JSON kind known for {t!r}")


def _string_limits(t: Any, metadata: Sequence[Any]) -> list[StringConstraints]:
    found = [m for m in metadata if isinstance(m, StringConstraints)]
    if get_origin(t) is Annotated:
        found += [m for m in get_args(t)[1:] if isinstance(m, StringConstraints)]
        found += _string_limits(get_args(t)[0], ())
    elif get_origin(t) in (Union, UnionType):
        for arg in get_args(t):
            found += _string_limits(arg, ())
    return found


def _refused_strings(t: Any, metadata: Sequence[Any]) -> tuple[str, ...]:
    """Strings a field of type ``t`` refuses; none for a free string."""
    base = {_unwrap(a) for a in get_args(t)} - {NoneType} if get_origin(t) in (Union, UnionType) else {_unwrap(t)}
    if AwareDatetime in base:
        return ("hôm qua", "2026-01-15T05:00:00", "2026-13-45T99:00:00Z")  # not a time; without a zone; no such day
    if any(isinstance(b, type) and issubclass(b, Enum) for b in base):
        return ("khong-co-gia-tri-nay", "ON", "")
    if any(get_origin(b) is Literal for b in base):
        return ("khong-co",)
    limits = _string_limits(t, metadata)
    if any(c.pattern for c in limits):
        return ("Cà Chua 1", "", "-start", "has/slash")
    longest = min((c.max_length for c in limits if c.max_length is not None), default=None)
    return ("x" * (longest + 1),) if longest is not None else ()


@dataclass(frozen=True)
class Slot:
    path: Path
    annotation: Any
    metadata: tuple[Any, ...]
    required: bool

    @property
    def kinds(self) -> frozenset[str]:
        return _kinds(self.annotation)

    @property
    def numeric(self) -> bool:
        return bool(self.kinds & {"integer", "number"})

    @property
    def refused_strings(self) -> tuple[str, ...]:
        return _refused_strings(self.annotation, self.metadata) if "string" in self.kinds else ()

    @property
    def longest(self) -> int | None:
        """The most characters a string here may have, where there is a bound (a pattern bounds ids at 64)."""
        limits = _string_limits(self.annotation, self.metadata)
        bounds = [c.max_length for c in limits if c.max_length is not None] + [64 for c in limits if c.pattern]
        return min(bounds) if bounds else None


def _model_of(t: Any) -> type[BaseModel] | None:
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _slots(model: type[BaseModel], tree: dict[str, Any], at: Path = ()) -> Iterator[Slot]:
    """Every field present in ``tree``, nested ones too (the first item of a list, one entry of a mapping)."""
    for name, info in model.model_fields.items():
        if name not in tree:
            continue
        path, value = (*at, name), tree[name]
        yield Slot(path, info.annotation, tuple(info.metadata), info.is_required())
        inner = _unwrap(info.annotation)
        if get_origin(inner) is list and value:
            (item,) = get_args(inner)
            nested = _model_of(item)
            if nested is not None:
                yield from _slots(nested, value[0], (*path, 0))
            else:  # an item, not a field: dropping it leaves a valid (shorter) list
                yield Slot((*path, 0), item, (), False)
        elif get_origin(inner) is dict and value:
            yield Slot((*path, next(iter(value))), get_args(inner)[1], (), False)


def _objects(model: type[BaseModel], tree: dict[str, Any], at: Path = ()) -> Iterator[tuple[Path, type[BaseModel]]]:
    """The model objects in ``tree``: where an unknown field is refused (a free mapping takes any key)."""
    yield at, model
    for name, info in model.model_fields.items():
        inner = _unwrap(info.annotation)
        if name in tree and get_origin(inner) is list and tree[name]:
            nested = _model_of(get_args(inner)[0])
            if nested is not None:
                yield from _objects(nested, tree[name][0], (*at, name, 0))


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _put(tree: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(tree)
    _get(out, path[:-1])[path[-1]] = value
    return out


def _drop(tree: dict[str, Any], path: Path) -> dict[str, Any]:
    out = copy.deepcopy(tree)
    del _get(out, path[:-1])[path[-1]]
    return out


# A private-use character never found in a template: where it stands, raw bytes go in after rendering.
_MARK = "\ue000"


def _render(tree: dict[str, Any], raw: bytes | None = None, key: str | None = None) -> bytes:
    """The tree as compact JSON (UTF-8); the marked value becomes ``raw``, the marked key ``key``."""
    text = json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode()
    marked = json.dumps(_MARK, ensure_ascii=False).encode()
    if raw is not None:
        text = text.replace(marked, raw, 1)
    if key is not None:
        text = text.replace(marked, json.dumps(key).encode(), 1)
    return text


# --- the families -------------------------------------------------------------------------------------------


def _pick(draw: st.DrawFn, place: Place, channels: Sequence[topics.Channel]) -> Template:
    return _template(place, draw(st.sampled_from(channels)), draw(st.integers(0, 99_999)))


def _slot(draw: st.DrawFn, t: Template, keep: Callable[[Slot], bool]) -> Slot:
    found = [s for s in _slots(t.model, t.tree) if keep(s)]
    assert found, f"no such field in a {t.channel} message"
    return draw(st.sampled_from(found))


def _hostile(family: str, how: str, t: Template, payload: bytes) -> Hostile:
    return Hostile(family, how, t.topic, payload)


def _where(path: Path) -> str:
    return ".".join(str(p) for p in path)


@st.composite
def _deep_nesting(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    depth = draw(st.integers(200, 100_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'[{"b":', b"}]")]))
    body = opener * depth + (closer * depth if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        return _hostile("deep_nesting", f"{depth} deep", t, body)
    slot = _slot(draw, t, lambda s: True)
    payload = _render(_put(t.tree, slot.path, _MARK), raw=body)
    return _hostile("deep_nesting", f"{depth} deep in {_where(slot.path)}", t, payload)


@st.composite
def _huge_string(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: s.longest is not None)
    assert slot.longest is not None
    n = draw(st.integers(slot.longest + 1, 400_000))
    text = draw(st.sampled_from(["a", "ệ", "😀", "\\"])) * n
    # A backslash doubles when escaped; a character of 4 UTF-8 bytes puts the payload over the limits sooner.
    return _hostile("huge_string", f"{n} chars in {_where(slot.path)}", t, _render(_put(t.tree, slot.path, text)))


_WRONG_VALUES: tuple[Any, ...] = ([], {}, [1, "x"], {"k": [None]}, 12.5, -3, "text", None, True, False)


@st.composite
def _wrong_type(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: True)
    value = draw(st.sampled_from([v for v in _WRONG_VALUES if _json_kind(v) not in slot.kinds]))
    how = f"{_where(slot.path)} = {json.dumps(value)}"
    return _hostile("wrong_type", how, t, _render(_put(t.tree, slot.path, value)))


@st.composite
def _string_for_number(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: s.numeric and "string" not in s.kinds)
    value = draw(st.sampled_from(["21.5", "5", "1e3", "-0", "NaN", " 7 ", "0x1F", "１２", str(FAR_SEQ)]))
    return _hostile("string_for_number", f"{_where(slot.path)} = {value!r}", t, _render(_put(t.tree, slot.path, value)))


@st.composite
def _boolean_for_value(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: s.numeric and "boolean" not in s.kinds)
    value = draw(st.booleans())
    return _hostile("boolean_for_value", f"{_where(slot.path)} = {value}", t, _render(_put(t.tree, slot.path, value)))


@st.composite
def _non_finite(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: s.numeric)
    raw = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"nan", b"inf", b"1E400"]))
    how = f"{_where(slot.path)} = {raw.decode()}"
    return _hostile("non_finite", how, t, _render(_put(t.tree, slot.path, _MARK), raw=raw))


@st.composite
def _utf16(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]))
    payload = json.dumps(t.tree, ensure_ascii=False).encode(codec)
    return _hostile("utf16", codec, t, payload)


def _string_slot(draw: st.DrawFn, t: Template) -> tuple[Slot, str]:
    """A field holding a string, and its text."""
    slot = _slot(draw, t, lambda s: isinstance(_get(t.tree, s.path), str))
    return slot, str(_get(t.tree, slot.path))


@st.composite
def _invalid_utf8(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot, text = _string_slot(draw, t)
    bad = draw(
        st.sampled_from([b"\xff", b"\xc0\x80", b"\xe1\xbb", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xf4\x90\x80\x80"])
    )
    # Some of the field's own text first, escaped as JSON (without its closing quote), then the broken bytes.
    kept = json.dumps(text[: draw(st.integers(0, len(text)))], ensure_ascii=False).encode()[:-1]
    raw = kept + bad + b'"'
    return _hostile("invalid_utf8", f"{bad!r} in {_where(slot.path)}", t, _render(_put(t.tree, slot.path, _MARK), raw))


@st.composite
def _lone_surrogate(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot, _text = _string_slot(draw, t)
    point = draw(st.integers(0xD800, 0xDFFF))
    escape = f"\\u{point:04x}" if draw(st.booleans()) else f"\\u{point:04X}"
    after = draw(st.sampled_from(["", "x", "\\u0041", "\\ud800"]))
    if draw(st.booleans()):
        raw = f'"{escape}{after}"'.encode()
        how = f"{escape}{after} in {_where(slot.path)}"
    else:  # the surrogate encoded as UTF-8 (CESU-8), which UTF-8 forbids
        raw = b'"a' + chr(point).encode("utf-8", "surrogatepass") + b'"'
        how = f"U+{point:04X} as raw bytes in {_where(slot.path)}"
    return _hostile("lone_surrogate", how, t, _render(_put(t.tree, slot.path, _MARK), raw))


@st.composite
def _duplicate_key(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    slot = _slot(draw, t, lambda s: isinstance(s.path[-1], str))
    value = draw(st.sampled_from([v for v in _WRONG_VALUES if _json_kind(v) not in slot.kinds]))
    # The valid value first, the bad one last: the last is the one read.
    tree = _put(t.tree, (*slot.path[:-1], _MARK), value)
    name = str(slot.path[-1])
    return _hostile("duplicate_key", f"{_where(slot.path)} again, = {json.dumps(value)}", t, _render(tree, key=name))


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _unknown_field(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    at, model = draw(st.sampled_from(list(_objects(t.model, t.tree))))
    name = draw(st.text(min_size=1, max_size=24).filter(lambda k: k not in model.model_fields))
    value = draw(_ANY_JSON)
    tree = copy.deepcopy(t.tree)
    _get(tree, at)[name] = value
    return _hostile("unknown_field", f"{_where((*at, name))} added", t, _render(tree))


_UNKNOWN_GH = "nha-khong-co"
_BAD_LEVELS = ("CA-CHUA-1", "cà-chua", "a" * 100, "", "x y", "-start")


@st.composite
def _wrong_place(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    levels = t.topic.split("/")
    topic_gh = levels[3]
    another = place.other.id if topic_gh == place.edge.id else place.edge.id
    if t.channel is C.CMD:
        options = {
            "payload names another actuator": (t.topic, _put(t.tree, ("actuator",), "pump")),
            "unknown actuator": (
                "/".join([*levels[:5], "quat-khong-co"]),
                _put(t.tree, ("actuator",), "quat-khong-co"),
            ),
            "actuator level not an id": ("/".join([*levels[:5], draw(st.sampled_from(_BAD_LEVELS[:2]))]), t.tree),
            "another greenhouse's topic": ("/".join([*levels[:3], another, *levels[4:]]), t.tree),
        }
    else:
        options = {
            "payload names another site": (t.topic, _put(t.tree, ("site",), "htx-khac")),
            "payload names another greenhouse": (t.topic, _put(t.tree, ("greenhouse",), another)),
            "unknown greenhouse": (
                "/".join([*levels[:3], _UNKNOWN_GH, *levels[4:]]),
                _put(t.tree, ("greenhouse",), _UNKNOWN_GH),
            ),
            "greenhouse level not an id": (
                "/".join([*levels[:3], draw(st.sampled_from(_BAD_LEVELS)), *levels[4:]]),
                t.tree,
            ),
            "another site's topic": ("/".join([levels[0], levels[1], "htx-khac", *levels[3:]]), t.tree),
            "a level too many": (t.topic + "/x", t.tree),
        }
    how = draw(st.sampled_from(sorted(options)))
    topic, tree = options[how]
    return Hostile("wrong_place", how, topic, _render(tree))


@st.composite
def _time_far(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, _TIMED)
    path = draw(st.sampled_from(t.times))
    now = place.now()
    # A day at least: simulated time runs fast in tests, and a message must still be too far when it is checked.
    future = now + timedelta(days=draw(st.integers(1, 36_500)))
    past = now - timedelta(days=draw(st.integers(401, 36_500)))
    when = draw(st.sampled_from([future.isoformat(), past.isoformat(), "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"]))
    return _hostile("time_far", f"{_where(path)} = {when}", t, _render(_put(t.tree, path, when)))


@st.composite
def _mutation(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    op = draw(st.sampled_from(["drop", "version", "refused string"]))
    if op == "drop":
        slot = _slot(draw, t, lambda s: s.required)
        return _hostile("mutation", f"{_where(slot.path)} dropped", t, _render(_drop(t.tree, slot.path)))
    if op == "version":
        v = draw(st.sampled_from([2, 0, -1]))
        return _hostile("mutation", f"v = {v}", t, _render({**t.tree, "v": v}))
    slot = _slot(draw, t, lambda s: bool(s.refused_strings))
    value = draw(st.sampled_from(slot.refused_strings))
    how = f"{_where(slot.path)} = {value[:20]!r}"
    return _hostile("mutation", how, t, _render(_put(t.tree, slot.path, value)))


@st.composite
def _empty(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    payload = draw(st.sampled_from([b"", b" ", b"\n\t", b"null", b"{}", b"[]", b'""', b"0", b"true"]))
    return _hostile("empty", f"{payload!r}", t, payload)


@st.composite
def _binary(draw: st.DrawFn, place: Place) -> Hostile:
    t = _pick(draw, place, ALL_CHANNELS)
    payload = draw(st.binary(min_size=1, max_size=4096))
    return _hostile("binary", f"{len(payload)} random bytes", t, payload)


FAMILIES: dict[str, Callable[[Place], st.SearchStrategy[Hostile]]] = {
    "deep_nesting": _deep_nesting,
    "huge_string": _huge_string,
    "wrong_type": _wrong_type,
    "string_for_number": _string_for_number,
    "boolean_for_value": _boolean_for_value,
    "non_finite": _non_finite,
    "utf16": _utf16,
    "invalid_utf8": _invalid_utf8,
    "lone_surrogate": _lone_surrogate,
    "duplicate_key": _duplicate_key,
    "unknown_field": _unknown_field,
    "wrong_place": _wrong_place,
    "time_far": _time_far,
    "mutation": _mutation,
    "empty": _empty,
    "binary": _binary,
}


def oversized(place: Place, n: int, size: int) -> list[Hostile]:
    """``n`` messages of ``size`` bytes, over every consumer's limit when ``size`` is over 1.1 MB, spread over
    the topics of every consumer: for memory, not for Hypothesis (the same bytes at every run)."""
    where = [
        topics.topic(place.site, place.other.id, C.TELEMETRY),
        topics.topic(place.site, place.other.id, C.EVENTS),
        topics.topic(place.site, place.edge.id, C.STATE),
        topics.topic(place.site, place.edge.id, C.RULES),
        topics.topic(place.site, place.edge.id, C.CMD, "fan"),
        topics.topic(place.site, place.edge.id, C.STORED),
    ]
    makers: list[Callable[[int], bytes]] = [
        lambda i: b"[" * size,
        lambda i: random.Random(i).randbytes(size),
        lambda i: b'{"site":"' + b"a" * size,
    ]
    return [Hostile("oversize", f"{size} B", where[i % len(where)], makers[i % len(makers)](i)) for i in range(n)]


def batches(place: Place, each: int) -> st.SearchStrategy[list[Hostile]]:
    """Between one and ``each`` items of every family, shuffled together."""
    parts = [st.lists(family(place), min_size=1, max_size=each) for family in FAMILIES.values()]
    return st.tuples(*parts).map(lambda lists: [h for items in lists for h in items]).flatmap(st.permutations)


# Reproducible in CI; no shrinking: a batch runs against a live system whose state has moved on by the next try,
# so a failing batch is reported whole instead (each item printed by its family, topic, size and first bytes).
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example),
    print_blob=False,
)


def examples(strategy: st.SearchStrategy[T], n: int) -> list[T]:
    """Up to ``n`` examples of ``strategy``, the same ones at every run (for the reliability bench)."""
    found: list[T] = []

    @settings(SETTINGS, max_examples=n)
    @given(strategy)
    def collect(item: T) -> None:
        found.append(item)

    collect()
    return found
