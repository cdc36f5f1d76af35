"""The embedded MQTT broker (amqtt) for machines with no broker installed."""

from __future__ import annotations

import asyncio
import logging
import threading

from amqtt.broker import Broker
from amqtt.session import Session

from contract.mqtt import BrokerUrl


class _Broker(Broker):
    """amqtt 0.12.1 with the fault the demo met mended."""

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        # On connect amqtt sends a client the retained messages of every client's subscriptions: an edge got other
        # greenhouses' rule sets and rosters. Worse, it awaits each while walking the subscription table, so a client
        # subscribing meanwhile broke the walk ("dictionary changed size during iteration") and the connecting
        # client was never served. Only the client's own subscriptions get retained messages here.
        if any(held.client_id == session.client_id for held, _ in self._subscriptions.get(subscription[0], ())):
            await super()._publish_retained_messages_for_subscription(subscription, session)


class EmbeddedBroker:
    """amqtt on loopback, in a thread with its own event loop."""

    def __init__(self, port: int) -> None:
        self.url = BrokerUrl(host="127.0.0.1", port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker", daemon=True)
        self._broker: Broker | None = None
        # amqtt logs every connection at INFO; the demo's screen is for the greenhouses.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)

    def start(self) -> None:
        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.url.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

        async def _start() -> None:
            self._broker = _Broker(config)
            await self._broker.start()

        asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout=15)

    def stop(self) -> None:
        if self._broker is not None:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
