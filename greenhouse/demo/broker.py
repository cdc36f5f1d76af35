"""The embedded MQTT broker (amqtt) for machines with no broker installed."""

from __future__ import annotations

import asyncio
import logging
import threading

from amqtt.broker import Broker

from contract.mqtt import BrokerUrl


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
            self._broker = Broker(config)
            await self._broker.start()

        asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout=15)

    def stop(self) -> None:
        if self._broker is not None:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
