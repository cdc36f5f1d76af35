"""The live side of the gateway, as the phone API uses it: the picture now, commands, the alerts list, and the
rule sets the web desk deploys."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site import Greenhouse, SiteConfig
from desk.deploy import Deployment, offer_for
from gateway.live.alerts import AlertBoard
from gateway.live.commands import answer_of, build_command, no_answer
from gateway.live.feed import LiveFeed
from gateway.live.models import AlertNow, CommandAnswer, CommandRequest, GreenhouseNow
from gateway.live.now import greenhouse_now
from gateway.live.registry import Registry
from gateway.storage.model import Store
from rules.model import RuleSet

log = logging.getLogger(__name__)

# How long the phone waits for the greenhouse to acknowledge a command before it is told "no answer".
ACK_WAIT_S = 10.0


class UnknownActuator(LookupError):
    pass


class Live:
    def __init__(self, site: SiteConfig, store: Store, url: BrokerUrl, clock: Clock, instance: str) -> None:
        self.site = site
        self.clock = clock
        self.registry = Registry(site)
        self.board = AlertBoard(site, store)
        client_id = f"gateway-live-{site.cooperative.id}-{instance}"
        self.feed = LiveFeed(url, site, self.registry, self.board, clock, client_id)

    def start(self) -> None:
        self.board.load(self.clock.now())
        self.feed.start()

    def stop(self) -> None:
        self.feed.stop()

    def greenhouse(self, greenhouse_id: str) -> GreenhouseNow:
        gh = self.site.greenhouse(greenhouse_id)
        now = self.clock.now()
        health = self.registry.house_health(greenhouse_id, now)
        state_ts, states = self.registry.actuators(greenhouse_id)
        active = [a for a in self.board.alerts(greenhouse_id, health) if a.active]
        return greenhouse_now(gh, self.site.cooperative, health, state_ts, states, active, now)

    def pictures(self, greenhouse_ids: list[str]) -> list[GreenhouseNow]:
        """Each greenhouse now. One whose picture cannot be built is left out, and logged, not the others with it:
        one greenhouse's broken state must not blank the screen of everyone who sees several."""
        found = []
        for gh in greenhouse_ids:
            try:
                found.append(self.greenhouse(gh))
            except Exception:
                log.exception("the picture of a greenhouse could not be built; left out", extra={"greenhouse": gh})
        return found

    def command(
        self, greenhouse_id: str, request: CommandRequest, by: str, wait_s: float = ACK_WAIT_S
    ) -> CommandAnswer:
        """Publishes the command and waits for the greenhouse's answer; the edge has the last word on safety."""
        if request.actuator not in self.site.greenhouse(greenhouse_id).actuators:
            raise UnknownActuator(request.actuator)
        command = build_command(request, by, self.clock.now())
        wait = self.feed.acks.expect(command.id)
        self.feed.publish(greenhouse_id, command)
        ack = wait(wait_s)
        return answer_of(ack, self.site.greenhouse(greenhouse_id)) if ack is not None else no_answer(command)

    def deploy(self, gh: Greenhouse, text: str, ruleset: RuleSet, by: str, wait_s: float) -> Deployment:
        """Publishes the rule file ``text`` (``ruleset``, checked) through the feed and waits for the edge's answer
        on the rules board. ConnectionError when the feed is not connected to the broker."""
        # Stamped on the wall clock, as the CLI's: offers come from the central side, not from an edge's clock.
        offer = offer_for(self.site.cooperative.id, gh.id, text, ruleset, by, datetime.now(UTC))
        with self.feed.rules.answer_to(offer) as answer:
            self.feed.publish_offer(offer)
            return Deployment(gh.id, answer.wait(wait_s))

    def alerts(self, greenhouse_id: str, include_cleared: bool) -> list[AlertNow]:
        now = self.clock.now()
        self.board.refresh_acks(greenhouse_id, now)
        health = self.registry.house_health(greenhouse_id, now)
        listed = self.board.alerts(greenhouse_id, health)
        return listed if include_cleared else [a for a in listed if a.active]

    def acknowledge(self, greenhouse_id: str, alert: str, by: str) -> AlertNow | None:
        now = self.clock.now()
        health = self.registry.house_health(greenhouse_id, now)
        return self.board.acknowledge(greenhouse_id, alert, by, now, health)
