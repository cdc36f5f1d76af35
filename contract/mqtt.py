"""Broker addresses and paho-mqtt clients, set up the same way by every component."""

from __future__ import annotations

import ssl
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ConfigDict, Field


class BrokerUrl(BaseModel):
    """``mqtt://[user[:password]@]host[:port]`` or ``mqtts://…`` for TLS."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    username: str | None = None
    password: str | None = None
    # Not part of the URL: the CA that signed the broker's certificate, for a private CA (``--mqtt-ca``).
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"broker URL {url!r} must look like mqtt://host:1883 or mqtts://host:8883")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise ValueError(f"broker URL {url!r} has an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


# Reconnect quickly after an outage, but do not hammer a broker that is down: seconds before the first attempt,
# doubling up to the last (paho's own loop, and the gateway receiver's loop of its own).
RECONNECT_FIRST_S, RECONNECT_MAX_S = 1, 10


def make_client(
    url: BrokerUrl,
    client_id: str,
    clean_session: bool = True,
    mqtt5: bool = False,
    manual_ack: bool = False,
) -> paho.Client:
    """A paho client (callback API v2); MQTT 3.1.1 unless ``mqtt5``, so that the embedded broker speaks it too.

    ``clean_session=False`` keeps the subscription and queued QoS 1 messages at the broker while
    the client is away: for consumers that must not miss what arrives during their own outage.
    ``manual_ack`` leaves PUBACKs to the caller, who sends them once a message is safe on disk.
    """
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5 if mqtt5 else paho.MQTTv311,
        # MQTT 5 sets clean start per connection instead (see connect_properties).
        clean_session=None if mqtt5 else clean_session,
        manual_ack=manual_ack,
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set(ca_certs=url.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.reconnect_delay_set(min_delay=RECONNECT_FIRST_S, max_delay=RECONNECT_MAX_S)
    return client
