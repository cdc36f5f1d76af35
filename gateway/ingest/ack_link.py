"""The connection the gateway's DeliveryAcks leave on, driven by the commit thread: no network thread of its own.

The commit thread publishes a group's acknowledgements (paho writes each at once) and gives the connection a
turn on every pass of its loop, at least every half second: the broker's PUBACKs are read, what is left to
write goes out, pings are sent when due, and a lost connection is made again (no more often than the retry
interval). A network thread of its own woke for every packet and took the interpreter from the receiver and the
writer each time: half a microsecond of the gateway's CPU per stored reading at the knee (docs/benchmarks.md).
While the broker cannot be reached, an attempt to connect may hold the commit thread for paho's connect timeout
(5 s), once per retry interval at most: the lanes, on the same broker, receive nothing meanwhile either.
"""

from __future__ import annotations

import logging
import time

import paho.mqtt.client as paho

from contract.mqtt import RECONNECT_FIRST_S, RECONNECT_MAX_S, BrokerUrl, make_client

log = logging.getLogger(__name__)

_ALIVE = (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_AGAIN)
# Their PUBACKs are read once a turn, so a group's acknowledgements are all in flight at once: paho's default of
# 20 would hold most of a 100-message group back until later turns. One per message of a full live lane.
_IN_FLIGHT = 1000


class AckLink:
    """Not thread-safe: one thread publishes and gives the turns."""

    def __init__(self, url: BrokerUrl, client_id: str, mqtt5: bool, keepalive_s: int) -> None:
        self._url = url
        self._keepalive_s = keepalive_s
        self._client = make_client(url, client_id, mqtt5=mqtt5)
        self._client.max_inflight_messages_set(_IN_FLIGHT)
        self._connected = False
        self._retry_s = float(RECONNECT_FIRST_S)
        self._next_try = 0.0

    def start(self) -> None:
        """Only names the broker: the first turn connects."""
        self._client.connect_async(self._url.host, self._url.port, keepalive=self._keepalive_s)

    def publish(self, topic: str, payload: bytes) -> None:
        # QoS 1: while the connection is down paho keeps it, and sends it once connected again.
        self._client.publish(topic, payload, qos=1)

    def turn(self) -> None:
        now = time.monotonic()
        if not self._connected:
            if now < self._next_try:
                return
            try:
                self._client.reconnect()
            except (OSError, ValueError) as exc:  # refused, unreachable, a TLS failure; ValueError: a bad host
                log.warning("mqtt connect failed", extra={"lane": "acks", "detail": str(exc)})
                self._retry_later(now)
                return
            self._connected, self._retry_s = True, float(RECONNECT_FIRST_S)
        rc = self._client.loop_read()
        if rc in _ALIVE:
            rc = self._client.loop_write()
        if rc in _ALIVE:
            rc = self._client.loop_misc()
        if rc not in _ALIVE:
            log.warning("mqtt connection lost; connecting again", extra={"lane": "acks", "detail": str(rc)})
            self._connected = False
            self._retry_later(now)

    def _retry_later(self, now: float) -> None:
        self._next_try = now + self._retry_s
        self._retry_s = min(2 * self._retry_s, float(RECONNECT_MAX_S))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_write()  # the DISCONNECT, and what was left to write
