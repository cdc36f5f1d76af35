"""The shipped mosquitto.conf with the accounts and ACL of 'greenhouse init' and 'greenhouse gateways add',
loaded by a real Mosquitto: TLS with the generated CA, no anonymous clients, each greenhouse gateway
confined to its own greenhouse's topics, the central account reading everything."""

from __future__ import annotations

import queue
import ssl
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from contract.config_file import load_site
from contract.mqtt import BrokerUrl, make_client
from contract.topics import Channel, topic
from greenhouse.deploy import acl
from greenhouse.deploy.env_file import CENTRAL_USER, HEALTH_USER
from greenhouse.deploy.gateways import add_gateway
from greenhouse.deploy.init import init_stack
from greenhouse.deploy.layout import StackLayout
from tests.conftest import EXAMPLE_SITE
from tests.support.stack_broker import StackBroker

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
GH_A, GH_B = SITE.greenhouses[0].id, SITE.greenhouses[1].id


@dataclass
class Stack:
    layout: StackLayout
    broker: StackBroker
    passwords: dict[str, str]

    def url(self, user: str | None, password: str | None = None, host: str = "localhost") -> BrokerUrl:
        creds = "" if user is None else f"{user}:{password if password is not None else self.passwords[user]}@"
        url = BrokerUrl.parse(f"mqtts://{creds}{host}:{self.broker.port}")
        return url.model_copy(update={"ca_file": str(self.layout.ca_cert)})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    layout = StackLayout(root)
    init_stack(layout, SITE, EXAMPLE_SITE, "quan-tri", [], sim=False)
    env = dict(line.split("=", 1) for line in layout.env.read_text().splitlines() if line and not line.startswith("#"))
    passwords = {CENTRAL_USER: env["MQTT_CENTRAL_PASSWORD"], HEALTH_USER: env["MQTT_HEALTH_PASSWORD"]}
    for gh in (GH_A, GH_B):
        account = add_gateway(layout, SITE, gh)
        passwords[account.user] = account.password
    broker = StackBroker(layout, root / "run")
    broker.start()
    yield Stack(layout, broker, passwords)
    broker.stop()


class Client:
    """A connected paho client (made the way every component makes one) that collects what it receives."""

    def __init__(self, url: BrokerUrl, mqtt5: bool = False) -> None:
        self.received: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self.connack: queue.SimpleQueue[paho.ReasonCode] = queue.SimpleQueue()
        self.subacks: queue.SimpleQueue[list[paho.ReasonCode]] = queue.SimpleQueue()
        self.c = make_client(url, f"test-{uuid.uuid4().hex[:8]}", mqtt5=mqtt5)
        self.c.on_connect = lambda _c, _u, _f, rc, _p: self.connack.put(rc)
        self.c.on_message = lambda _c, _u, m: self.received.put((m.topic, bytes(m.payload)))
        self.c.on_subscribe = lambda _c, _u, _m, rcs, _p: self.subacks.put(list(rcs))
        self.c.connect(url.host, url.port)
        self.c.loop_start()
        self.rc = self.connack.get(timeout=10)

    def subscribe(self, pattern: str) -> paho.ReasonCode:
        self.c.subscribe(pattern, qos=1)
        (rc,) = self.subacks.get(timeout=5)
        return rc

    def publish(self, name: str, payload: bytes) -> None:
        self.c.publish(name, payload, qos=1).wait_for_publish(5)

    def messages(self, wait_s: float = 1.0) -> list[tuple[str, bytes]]:
        out, deadline = [], time.monotonic() + wait_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.received.get(timeout=left))
            except queue.Empty:
                break
        return out

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def connect(stack: Stack) -> Iterator[type[Client]]:
    made: list[Client] = []

    def _connect(user: str | None, password: str | None = None, mqtt5: bool = False) -> Client:
        client = Client(stack.url(user, password), mqtt5)
        made.append(client)
        return client

    yield _connect  # type: ignore[misc]
    for client in made:
        client.close()


def edge(gh: str) -> str:
    return acl.edge_user(SITE_ID, gh)


def test_anonymous_clients_and_wrong_passwords_are_refused(connect) -> None:
    assert connect(None).rc.is_failure
    assert connect(edge(GH_A), "not-the-password").rc.is_failure
    assert connect("nobody", "not-the-password").rc.is_failure


def test_an_edge_publishes_under_its_own_greenhouse_and_the_central_account_reads_it(connect) -> None:
    central = connect(CENTRAL_USER)
    assert not central.rc.is_failure
    assert central.subscribe(f"gh/v1/{SITE_ID}/#").value < 0x80
    gateway_a = connect(edge(GH_A))
    for channel in acl.EDGE_WRITES:
        gateway_a.publish(topic(SITE_ID, GH_A, channel), channel.value.encode())
    assert sorted(t for t, _ in central.messages()) == sorted(topic(SITE_ID, GH_A, c) for c in acl.EDGE_WRITES)


def test_an_edge_cannot_publish_as_another_greenhouse(connect) -> None:
    central = connect(CENTRAL_USER)
    central.subscribe(f"gh/v1/{SITE_ID}/#")
    gateway_a = connect(edge(GH_A))
    gateway_a.publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"forged")
    gateway_a.publish(topic(SITE_ID, GH_B, Channel.STATUS), b"forged")
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.CMD, "valve-a"), b"own command")  # edges never send commands
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.RULES), b"own rules")
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"real")
    assert central.messages() == [(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"real")]


def test_an_edge_receives_nothing_of_another_greenhouse(connect) -> None:
    gateway_a = connect(edge(GH_A))
    # Mosquitto 2.0 grants a 3.1.1 subscription it may not deliver on, and then delivers nothing on it.
    for pattern in (topic(SITE_ID, GH_B, Channel.TELEMETRY), f"gh/v1/{SITE_ID}/{GH_B}/cmd/+", f"gh/v1/{SITE_ID}/#"):
        gateway_a.subscribe(pattern)
    connect(edge(GH_B)).publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"B's telemetry")
    central = connect(CENTRAL_USER)
    central.publish(topic(SITE_ID, GH_B, Channel.CMD, "valve-a"), b"for B")
    central.publish(topic(SITE_ID, GH_A, Channel.CMD, "valve-a"), b"for A")
    central.publish(topic(SITE_ID, GH_A, Channel.RULES), b"rules for A")
    assert sorted(gateway_a.messages()) == sorted(
        [
            (topic(SITE_ID, GH_A, Channel.CMD, "valve-a"), b"for A"),
            (topic(SITE_ID, GH_A, Channel.RULES), b"rules for A"),
        ]
    )


def test_the_central_account_takes_the_gateways_shared_subscription(connect) -> None:
    central = connect(CENTRAL_USER, mqtt5=True)
    assert not central.subscribe(f"$share/gateway/gh/v1/{SITE_ID}/+/telemetry").is_failure
    connect(edge(GH_B)).publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"x")
    assert central.messages() == [(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"x")]


def test_the_healthcheck_account_reads_the_broker_uptime_only(connect) -> None:
    health = connect(HEALTH_USER)
    assert not health.subscribe("$SYS/broker/uptime").is_failure
    assert [t for t, _ in health.messages(12)][:1] == ["$SYS/broker/uptime"]  # $SYS is published every 10 s
    health.subscribe(f"gh/v1/{SITE_ID}/#")
    connect(edge(GH_A)).publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"x")
    assert [t for t, _ in health.messages() if t.startswith("gh/")] == []


def test_tls_checks_the_broker_against_the_generated_ca(stack: Stack) -> None:
    ctx = ssl.create_default_context(cafile=str(stack.layout.ca_cert))
    import socket

    with (
        socket.create_connection(("127.0.0.1", stack.broker.port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # Without the stack's CA the broker's certificate is not trusted.
    with (
        socket.create_connection(("127.0.0.1", stack.broker.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    # Nor is it for a name it was not made for.
    with (
        socket.create_connection(("127.0.0.1", stack.broker.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ctx.wrap_socket(raw, server_hostname="elsewhere.example")


def test_a_gateway_added_later_can_connect_after_the_broker_reloads(stack: Stack, connect) -> None:
    gh = SITE.greenhouses[2].id
    account = add_gateway(stack.layout, SITE, gh)
    stack.passwords[account.user] = account.password
    stack.broker.reload()
    deadline = time.monotonic() + 5
    while connect(account.user).rc.is_failure:
        assert time.monotonic() < deadline, "the new account was not taken after SIGHUP"
        time.sleep(0.2)
    newcomer = connect(account.user)
    newcomer.subscribe(topic(SITE_ID, GH_A, Channel.RULES))
    newcomer.subscribe(topic(SITE_ID, gh, Channel.RULES))
    connect(CENTRAL_USER).publish(topic(SITE_ID, GH_A, Channel.RULES), b"A's")
    connect(CENTRAL_USER).publish(topic(SITE_ID, gh, Channel.RULES), b"its own")
    assert newcomer.messages() == [(topic(SITE_ID, gh, Channel.RULES), b"its own")]


def test_the_init_folder_holds_no_plain_password(stack: Stack) -> None:
    text = stack.layout.passwd.read_text()
    for password in stack.passwords.values():
        assert password not in text
    assert all(line.split(":", 1)[1].startswith("$7$101$") for line in text.splitlines())


def test_passwords_are_in_mosquittos_own_format(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from greenhouse.deploy.mosquitto_passwd import verify

    tool = shutil.which("mosquitto_passwd")
    assert tool, "mosquitto_passwd comes with Debian's mosquitto package"
    path = tmp_path / "passwd"
    subprocess.run([tool, "-b", "-c", str(path), "someone", "a password"], check=True)
    entry = path.read_text().strip()
    assert verify(entry, "a password") and not verify(entry, "another")
