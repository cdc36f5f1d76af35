"""The live feed: one MQTT client per gateway instance, outside the shared subscription, so that every instance
that serves phones sees every greenhouse of its site — telemetry, status, actuator states, alert events, the
answers to commands and the rule sets — and can publish the phones' commands and the web desk's rule sets.

Ingest and storage stay with the receiver's shared subscription; this client only keeps the live picture (its
own registry), the alerts board, the command waiters and the rules board. A bad message is skipped, counted and
logged once per reason: the receiver already records it in the rejects log.
"""

from __future__ import annotations

import logging
import threading

import paho.mqtt.client as paho

from contract import topics
from contract.clock import Clock
from contract.messages import Command, CommandAck, Event, RuleSetOffer, RulesReport
from contract.mqtt import BrokerUrl, make_client
from contract.site import SiteConfig
from gateway.health import Pulse
from gateway.ingest.validate import LIVE, Accepted, RejectReason, Validator
from gateway.live.alerts import AlertBoard
from gateway.live.commands import Acks
from gateway.live.registry import Registry
from gateway.live.rules import RulesBoard

log = logging.getLogger(__name__)

_CHANNELS = tuple(LIVE)


class LiveFeed:
    def __init__(
        self, url: BrokerUrl, site: SiteConfig, registry: Registry, board: AlertBoard, clock: Clock, client_id: str
    ) -> None:
        self.site = site
        self.registry = registry
        self.board = board
        self.acks = Acks()
        self.rules = RulesBoard(site)
        self.skipped: dict[str, int] = {}
        self._url = url
        self._clock = clock
        self._validator = Validator(site, LIVE)
        self._filters = [topics.subscription(c, site.cooperative.id) for c in _CHANNELS]
        self._client = make_client(url, client_id)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()  # connected and subscribed
        # Counts the messages that made the feed fail; a quiet site is no stall, so there is no limit.
        self.pulse = Pulse("live feed", stall_after_s=float("inf"))

    def start(self) -> None:
        self._client.connect_async(self._url.host, self._url.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, greenhouse: str, command: Command) -> None:
        topic = topics.topic(self.site.cooperative.id, greenhouse, topics.Channel.CMD, command.actuator)
        self._client.publish(topic, command.to_json(), qos=1)

    def publish_offer(self, offer: RuleSetOffer) -> None:
        """Retained, so that an edge offline takes the set when it reconnects. ConnectionError while the feed is
        not connected: the technician is told so, rather than paho sending the set later behind their back."""
        if not self.connected.is_set():
            raise ConnectionError(f"the live feed is not connected to {self._url}")
        topic = topics.topic(self.site.cooperative.id, offer.greenhouse, topics.Channel.RULES)
        self._client.publish(topic, offer.to_json(), qos=1, retain=True)

    def publish_retained(self, topic: str, payload: bytes) -> None:
        """A retained message at QoS 1 (an edge's SMS roster); ConnectionError while not connected, so that the
        caller tries again rather than believing it sent."""
        if not self.connected.is_set():
            raise ConnectionError(f"the live feed is not connected to {self._url}")
        self._client.publish(topic, payload, qos=1, retain=True)

    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: paho.ReasonCode, _p: object) -> None:
        if rc.is_failure:
            log.warning("live feed: mqtt connect refused", extra={"detail": str(rc)})
            return
        # Retained status and states arrive at once: the picture is whole from the first second.
        client.subscribe([(f, 1) for f in self._filters])
        self.connected.set()

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, _rc: paho.ReasonCode, _p: object) -> None:
        self.connected.clear()  # paho reconnects by itself; on_connect sets it again

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        # paho's network thread dies with whatever a callback raises, and the picture with it: one message that
        # makes the feed fail is skipped and counted, and the feed goes on.
        try:
            self._take(msg)
        except Exception:
            self.pulse.errors += 1
            self._skip(RejectReason.INTERNAL_ERROR, msg._topic.decode("utf-8", "replace"))
            log.exception("live feed: message could not be taken; skipped")

    def _skip(self, reason: RejectReason, topic: str) -> None:
        count = self.skipped.get(reason.value, 0)
        self.skipped[reason.value] = count + 1
        if count == 0:
            log.info("live feed: message skipped", extra={"topic": topic, "reason": reason.value})

    def _take(self, msg: paho.MQTTMessage) -> None:
        now = self._clock.now()
        result = self._validator.check(msg.topic, bytes(msg.payload), now)
        if not isinstance(result, Accepted):
            self._skip(result.reason, msg.topic)
            return
        message = result.message
        if isinstance(message, CommandAck):
            self.acks.resolve(message)
            return
        if isinstance(message, RulesReport | RuleSetOffer):
            self.rules.apply(message)
            return
        if isinstance(message, Event):
            self.board.add(message)
        self.registry.apply(message, now)
