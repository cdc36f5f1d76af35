"""Helpers for the simulator tests: the example site on free ports, and waiting on a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from contract.site import Calibration, FailSafe, Greenhouse, SiteConfig
from contract.site_file import load_site
from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE

T = TypeVar("T")


def example_site() -> SiteConfig:
    """The example cooperative, each greenhouse's gateway on a free loopback port, short timeouts."""
    site = load_site(EXAMPLE_SITE)
    greenhouses = [
        g.model_copy(update={"buses": [g.buses[0].model_copy(update={"port": free_port(), "timeout_s": 0.5})]})
        for g in site.greenhouses
    ]
    return site.model_copy(update={"greenhouses": greenhouses})


def replace_greenhouse(site: SiteConfig, greenhouse: Greenhouse) -> SiteConfig:
    return site.model_copy(
        update={"greenhouses": [greenhouse if g.id == greenhouse.id else g for g in site.greenhouses]}
    )


def recalibrated(greenhouse: Greenhouse, sensor_id: str, calibration: Calibration) -> Greenhouse:
    nodes = [
        n.model_copy(
            update={
                "sensors": [
                    s.model_copy(update={"calibration": calibration}) if s.id == sensor_id else s for s in n.sensors
                ]
            }
        )
        for n in greenhouse.nodes
    ]
    return greenhouse.model_copy(update={"nodes": nodes})


def with_fail_safe(greenhouse: Greenhouse, actuator_id: str, fail_safe: FailSafe) -> Greenhouse:
    nodes = []
    for n in greenhouse.nodes:
        actuators = [
            a.model_copy(update={"safety": a.safety.model_copy(update={"fail_safe": fail_safe})})
            if a.id == actuator_id
            else a
            for a in n.actuators
        ]
        nodes.append(n.model_copy(update={"actuators": actuators}))
    return greenhouse.model_copy(update={"nodes": nodes})


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 5.0, what: str = "condition") -> T:
    """The first value of ``probe`` that is ``done``, polled for up to ``timeout_s`` of wall time."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s (last: {value!r})")
        time.sleep(0.02)
