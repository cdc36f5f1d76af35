"""When the edge's counts of a field device are a problem worth a technician's trip, and where a device the edge
polls but the gateway's site file does not have is shown."""

from __future__ import annotations

from contract.devices.profile import shipped_profiles
from contract.messages import NodeLink
from contract.site_file import load_site
from gateway.api.field_routes import LinkProblem, field_devices, problems_of
from tests.conftest import EXAMPLE_SITE


def _link(node: str = "climate", requests: int = 100, **counts: int | bool) -> NodeLink:
    base = {"node": node, "bus": "cam-bien", "address": 1, "requests": requests, "answers": requests}
    base |= {"timeouts": 0, "crc_errors": 0, "late_answers": 0}
    return NodeLink.model_validate(base | counts)


def test_a_glitch_is_no_problem_and_one_request_in_a_hundred_is() -> None:
    assert problems_of(_link(crc_errors=2)) == []  # a relay switching by the cable, a device powering up
    assert problems_of(_link(requests=10_000, crc_errors=50, late_answers=99)) == []  # under one in a hundred
    assert problems_of(_link(crc_errors=3, timeouts=4)) == [LinkProblem.TIMEOUTS, LinkProblem.CRC_ERRORS]
    assert problems_of(_link(requests=10_000, late_answers=100)) == [LinkProblem.LATE_ANSWERS]
    # Set aside after two silent reads: what silence means is the hint, however few the timeouts yet.
    set_aside = _link(requests=2, answers=0, timeouts=2, quarantined=True)
    assert problems_of(set_aside) == [LinkProblem.QUARANTINED, LinkProblem.TIMEOUTS]
    assert problems_of(None) == []


def test_a_device_the_site_file_does_not_have_is_listed_apart_and_not_on_a_bus() -> None:
    gh = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
    stray = _link("old-probe", address=9, timeouts=7)
    buses, unknown = field_devices(gh, [_link(), stray], shipped_profiles())
    assert [d.node for d in unknown] == ["old-probe"]
    assert (unknown[0].in_site, unknown[0].address, unknown[0].link) == (False, 9, stray)
    assert unknown[0].problems == [LinkProblem.TIMEOUTS]
    assert "old-probe" not in {d.node for b in buses for d in b.devices}
    climate = next(d for b in buses for d in b.devices if d.node == "climate")
    assert (climate.answer_pct, climate.problems) == (100, [])
