"""The technician's view of a greenhouse's field devices: each bus as the site file wires it, each device on it
(its profile's name, its address, what it reads and drives) and how it answers, as the edge last counted, with
what is wrong in those counts named so that the page can say what to check."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel

from contract.config_file import ConfigError
from contract.devices.profile import DeviceProfile, ProfileBook, ProfileError, shipped_profiles
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import Availability, NodeLink
from contract.reasons import Lang
from contract.site import Bus, Greenhouse, Node, SiteConfig
from gateway.accounts.roles import Action
from gateway.api.access import Principal, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.live.registry import Registry
from gateway.site_setup import SiteFile

log = logging.getLogger(__name__)

# A count is a problem from this share of the requests on: a sound RS485 line loses far fewer than one in a
# hundred, while a single glitch (a device powering up, a relay switching next to the cable) is no problem.
PROBLEM_SHARE = 0.01
PROBLEM_AT_LEAST = 3


class LinkProblem(StrEnum):
    QUARANTINED = "quarantined"  # not answering: only tried now and then, so that the bus keeps its pace
    TIMEOUTS = "timeouts"  # no power, a wrong address or baud rate
    CRC_ERRORS = "crc_errors"  # wiring: A/B, termination, shielding (or a wrong parity)
    LATE_ANSWERS = "late_answers"  # a slow device or converter: the bus's timeout is too short for it


class FieldSensor(BaseModel):
    id: str
    name: str
    kind: SensorKind


class FieldActuator(BaseModel):
    id: str
    name: str
    kind: ActuatorKind


class FieldDevice(BaseModel):
    node: str
    # A Modbus device's address, or an MQTT node's name on its broker (Tasmota topic, Zigbee2MQTT friendly name).
    address: int | None
    topic: str | None = None
    profile: str | None  # None: its registers are given in the site file itself
    profile_name: str | None  # "XY-MD02 air temperature and humidity (SHT20/SHT40)"
    in_site: bool  # False: the edge polls a node that this gateway's site file does not have
    sensors: list[FieldSensor]
    actuators: list[FieldActuator]
    link: NodeLink | None  # None: the edge has not reported this node (yet)
    answer_pct: float | None  # answers per request; None before the first request
    problems: list[LinkProblem]


class FieldBus(BaseModel):
    bus: Bus  # how it is wired: a serial port and baud rate, a converter's address, a Modbus TCP gateway
    devices: list[FieldDevice]  # by address


class FieldDevices(BaseModel):
    greenhouse: str
    name: str
    availability: Availability | None  # None: never heard from
    last_seen: AwareDatetime | None  # offline, the counts are those of this time or before
    buses: list[FieldBus]
    unknown: list[FieldDevice]  # reported by the edge, in no bus of the site file (the two files differ)


def site_profiles(site_file: SiteFile | None) -> Mapping[str, DeviceProfile]:
    """The profiles the site may name: shipped, and the site's own beside its file. Those were read when the site
    was loaded; should the folder have been spoilt since, the shipped ones still name most devices."""
    if site_file is None:
        return shipped_profiles()
    try:
        return ProfileBook.for_site(site_file.path.resolve().parent).profiles
    except (ConfigError, ProfileError) as exc:
        log.warning("site profiles unreadable, naming devices by shipped profiles", extra={"error": str(exc)})
        return shipped_profiles()


def problems_of(link: NodeLink | None) -> list[LinkProblem]:
    if link is None:
        return []
    counts = {
        LinkProblem.TIMEOUTS: link.timeouts,
        LinkProblem.CRC_ERRORS: link.crc_errors,
        LinkProblem.LATE_ANSWERS: link.late_answers,
    }
    found = [
        p for p, n in counts.items() if n >= PROBLEM_AT_LEAST and n >= PROBLEM_SHARE * max(link.requests, 1)
    ]
    if link.quarantined:
        # Set aside after two silent reads: what to check is what silence means, however few the timeouts yet.
        silent = [LinkProblem.TIMEOUTS] if link.timeouts and LinkProblem.TIMEOUTS not in found else []
        return [LinkProblem.QUARANTINED, *silent, *found]
    return found


def _device(
    node_id: str,
    address: int | None,
    node: Node | None,
    link: NodeLink | None,
    profiles: Mapping[str, DeviceProfile],
    lang: Lang,
) -> FieldDevice:
    profile = profiles.get(node.profile) if node is not None and node.profile else None
    return FieldDevice(
        node=node_id,
        address=address,
        topic=node.topic if node is not None else None,
        profile=node.profile if node is not None else None,
        profile_name=profile.label(lang) if profile is not None else None,
        in_site=node is not None,
        sensors=[FieldSensor(id=s.id, name=s.label_in(lang), kind=s.kind) for s in node.sensors] if node else [],
        actuators=[FieldActuator(id=a.id, name=a.label_in(lang), kind=a.kind) for a in node.actuators] if node else [],
        link=link,
        answer_pct=100 * link.answers / link.requests if link is not None and link.requests else None,
        problems=problems_of(link),
    )


def field_devices(
    gh: Greenhouse, links: list[NodeLink], profiles: Mapping[str, DeviceProfile], lang: Lang = "en"
) -> tuple[list[FieldBus], list[FieldDevice]]:
    """Each bus with its devices, and the devices the edge reported that the site file does not have."""
    by_node = {link.node: link for link in links}
    buses = [
        FieldBus(
            bus=bus,
            devices=[
                _device(n.id, n.address, n, by_node.get(n.id), profiles, lang)
                for n in sorted(gh.nodes, key=lambda n: (n.address or 0, n.topic or ""))
                if gh.bus_of(n).id == bus.id
            ],
        )
        for bus in gh.buses
    ]
    known = {n.id for n in gh.nodes}
    unknown = [
        _device(link.node, link.address, None, link, profiles, lang) for link in links if link.node not in known
    ]
    return buses, unknown


def field_router(
    site: SiteConfig,
    registry: Registry,
    now: Callable[[], datetime],
    auth: Auth,
    profiles: Mapping[str, DeviceProfile],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    # Node ids, addresses and wiring are the technician's: a farmer reads the greenhouse, not its buses.
    Setup = Annotated[Principal, Depends(auth.allowed(Action.SETUP))]

    @router.get(
        "/greenhouses/{greenhouse}/field-devices",
        response_model=FieldDevices,
        summary="Each bus, each device on it and how it answers (timeouts, CRC errors, late answers, quarantine)",
    )
    def get_field_devices(greenhouse: str, who: Setup, request: Request) -> FieldDevices:
        gh = require_greenhouse(site, who, greenhouse)
        health = registry.house_health(gh.id, now())
        buses, unknown = field_devices(gh, health.nodes, profiles, request_lang(request))
        return FieldDevices(
            greenhouse=gh.id,
            name=gh.label_in(request_lang(request)),
            availability=health.availability,
            last_seen=health.last_seen,
            buses=buses,
            unknown=unknown,
        )

    return router
