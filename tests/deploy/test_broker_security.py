"""The shipped mosquitto.conf with the accounts and ACL of 'greenhouse init' and 'greenhouse gateways add',
loaded by a real Mosquitto: TLS with the generated CA, no anonymous clients, each greenhouse gateway
confined to its own greenhouse's topics and to its own client id, the central account reading everything
through as many connections as it needs."""

from __future__ import annotations

import queue
import shlex
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.site_file import load_site
from contract.topics import Channel, subscription, topic
from gateway.ingest.receiver import Receiver
from gateway.ingest.spool import Spool
from gateway.ingest.validate import Validator
from greenhouse.deploy import acl
from greenhouse.deploy.env_file import CENTRAL_USER, HEALTH_USER
from greenhouse.deploy.gateways import add_gateway
from greenhouse.deploy.init import init_stack
from greenhouse.deploy.layout import StackLayout
from greenhouse.deploy.listeners import BrokerListener
from tests.conftest import EXAMPLE_SITE
from tests.deploy.compose import interpolate, load
from tests.firmware_sim.support import wait_for
from tests.support.stack_broker import StackBroker

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
GH_A, GH_B = SITE.greenhouses[0].id, SITE.greenhouses[1].id
COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
_SESSION_EXPIRY_S = 3600


def home(user: str | None) -> BrokerListener:
    """The listener an account uses in the stack: the central services and the healthcheck inside it."""
    return BrokerListener.CENTRAL if user in (CENTRAL_USER, HEALTH_USER) else BrokerListener.EDGES


@dataclass
class Stack:
    layout: StackLayout
    broker: StackBroker
    passwords: dict[str, str]

    def url(self, user: str | None, password: str | None = None, listener: BrokerListener | None = None) -> BrokerUrl:
        creds = "" if user is None else f"{user}:{password if password is not None else self.passwords[user]}@"
        port = self.broker.ports[listener or home(user)]
        url = BrokerUrl.parse(f"mqtts://{creds}localhost:{port}")
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
    """A connected paho client (made the way every component makes one) that collects what it receives, and
    every connection and disconnection after its first CONNACK."""

    def __init__(self, url: BrokerUrl, client_id: str | None, mqtt5: bool, persistent: bool) -> None:
        self.received: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self.connacks: queue.SimpleQueue[tuple[paho.ReasonCode, bool]] = queue.SimpleQueue()
        self.disconnects: queue.SimpleQueue[paho.ReasonCode] = queue.SimpleQueue()
        self.subacks: queue.SimpleQueue[list[paho.ReasonCode]] = queue.SimpleQueue()
        client_id = client_id or f"test-{uuid.uuid4().hex[:8]}"
        self.c = make_client(url, client_id, clean_session=not persistent, mqtt5=mqtt5)
        self.c.on_connect = lambda _c, _u, flags, rc, _p: self.connacks.put((rc, flags.session_present))
        self.c.on_disconnect = lambda _c, _u, _f, rc, _p: self.disconnects.put(rc)
        self.c.on_message = lambda _c, _u, m: self.received.put((m.topic, bytes(m.payload)))
        self.c.on_subscribe = lambda _c, _u, _m, rcs, _p: self.subacks.put(list(rcs))
        if mqtt5 and persistent:  # as the gateway's receiver connects
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = _SESSION_EXPIRY_S
            self.c.connect(url.host, url.port, clean_start=False, properties=props)
        else:
            self.c.connect(url.host, url.port)
        self.c.loop_start()
        self.rc, self.session_present = self.connacks.get(timeout=10)

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

    def dropped(self) -> bool:
        """Whether the broker closed this client's connection since it first connected (paho then connects again)."""
        return not self.disconnects.empty() or not self.connacks.empty()

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


class Connect:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.made: list[Client] = []

    def __call__(
        self,
        user: str | None,
        password: str | None = None,
        mqtt5: bool = False,
        client_id: str | None = None,
        persistent: bool = False,
        listener: BrokerListener | None = None,
    ) -> Client:
        client = Client(self.stack.url(user, password, listener), client_id, mqtt5, persistent)
        self.made.append(client)
        return client


@pytest.fixture
def connect(stack: Stack) -> Iterator[Connect]:
    made = Connect(stack)
    yield made
    for client in made.made:
        client.close()


def edge(gh: str) -> str:
    return acl.edge_user(SITE_ID, gh)


@pytest.mark.parametrize("listener", list(BrokerListener))
def test_anonymous_clients_and_wrong_passwords_are_refused(connect, listener: BrokerListener) -> None:
    assert connect(None, listener=listener).rc.is_failure
    assert connect(edge(GH_A), "not-the-password", listener=listener).rc.is_failure
    assert connect(CENTRAL_USER, "not-the-password", listener=listener).rc.is_failure
    assert connect("nobody", "not-the-password", listener=listener).rc.is_failure


def test_every_channel_is_one_an_edge_writes_or_one_it_reads() -> None:
    assert sorted(acl.EDGE_WRITES + acl.EDGE_READS) == sorted(Channel)
    assert set(acl.CENTRAL_WRITES) == set(acl.EDGE_READS)  # what an edge is sent comes from the central services


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
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.STORED), b"own receipts")  # only the gateway says what it stored
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"real")
    assert central.messages() == [(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"real")]


def test_a_message_larger_than_any_the_system_sends_is_refused_by_the_broker(connect) -> None:
    # Unbounded, one greenhouse's account could make the gateway hold a 256 MB message in memory.
    central = connect(CENTRAL_USER)
    central.subscribe(f"gh/v1/{SITE_ID}/#")
    gateway_a = connect(edge(GH_A))
    gateway_a.c.publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"x" * (3 * 1024 * 1024), qos=1)
    assert central.messages(wait_s=2.0) == []
    assert gateway_a.dropped()
    rule_set_sized = b"y" * (1024 * 1024 + 4096)  # the largest offer a rule file can make
    central.publish(topic(SITE_ID, GH_A, Channel.RULES), rule_set_sized)
    assert central.messages() == [(topic(SITE_ID, GH_A, Channel.RULES), rule_set_sized)]


def test_an_edge_receives_nothing_of_another_greenhouse(connect) -> None:
    gateway_a = connect(edge(GH_A))
    gateway_a.subscribe(subscription(Channel.STORED, SITE_ID, GH_A))
    # Mosquitto 2.0 grants a 3.1.1 subscription it may not deliver on, and then delivers nothing on it.
    for pattern in (topic(SITE_ID, GH_B, Channel.TELEMETRY), f"gh/v1/{SITE_ID}/{GH_B}/cmd/+", f"gh/v1/{SITE_ID}/#"):
        gateway_a.subscribe(pattern)
    connect(edge(GH_B)).publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"B's telemetry")
    central = connect(CENTRAL_USER)
    central.publish(topic(SITE_ID, GH_B, Channel.CMD, "valve-a"), b"for B")
    central.publish(topic(SITE_ID, GH_A, Channel.CMD, "valve-a"), b"for A")
    central.publish(topic(SITE_ID, GH_A, Channel.RULES), b"rules for A")
    central.publish(topic(SITE_ID, GH_B, Channel.STORED), b"B's receipts")
    central.publish(topic(SITE_ID, GH_A, Channel.STORED), b"A's receipts")
    assert sorted(gateway_a.messages()) == sorted(
        [
            (topic(SITE_ID, GH_A, Channel.CMD, "valve-a"), b"for A"),
            (topic(SITE_ID, GH_A, Channel.RULES), b"rules for A"),
            (topic(SITE_ID, GH_A, Channel.STORED), b"A's receipts"),
        ]
    )


def test_the_central_account_takes_the_gateways_shared_subscription(connect) -> None:
    central = connect(CENTRAL_USER, mqtt5=True)
    assert not central.subscribe(f"$share/gateway/gh/v1/{SITE_ID}/+/telemetry").is_failure
    connect(edge(GH_B)).publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"x")
    assert central.messages() == [(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"x")]


def batch(gh: str, seq: int) -> bytes:
    """A telemetry batch the gateway's checks accept, as an edge sends it."""
    now = datetime.now(UTC)
    sensor = next(iter(SITE.greenhouse(gh).sensors.values()))
    reading = Reading(sensor=sensor.id, kind=sensor.kind, value=20.0, ts=now, quality=Quality.GOOD)
    return TelemetryBatch(site=SITE_ID, greenhouse=gh, seq=seq, sent_at=now, readings=[reading]).to_json()


class GatewayReceiver:
    """The gateway's real receiver (its client id, persistent MQTT 5 session and shared subscription) on the
    central listener, spooling what it takes."""

    def __init__(self, stack: Stack, spool: Spool, instance: str) -> None:
        self.client_id = f"gateway-{SITE_ID}-{instance}"  # as gateway/service.py names it
        url = stack.url(CENTRAL_USER)
        # A share group of its own: an earlier test's session in the same group would take half the messages.
        self.receiver = Receiver(url, SITE_ID, Validator(SITE), spool, Clock(), self.client_id, f"g{instance}")
        self.receiver.start()
        self._running = True
        assert self.receiver.subscribed.wait(10), "the receiver did not subscribe"

    def stop(self) -> None:
        if self._running:
            self._running = False
            self.receiver.stop()


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    spool = Spool(tmp_path / "spool.sqlite3")
    yield spool
    spool.close()


@pytest.fixture
def gateway(stack: Stack, spool: Spool) -> Iterator[Callable[[str], GatewayReceiver]]:
    """Starts a receiver of the given instance on the test's spool; stops it at the end if the test did not."""
    started: list[GatewayReceiver] = []

    def start(instance: str) -> GatewayReceiver:
        started.append(GatewayReceiver(stack, spool, instance))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


def spooled(spool: Spool, expected: int) -> int:
    """How many messages the spool holds once it holds ``expected`` (or more)."""
    return wait_for(spool.depth, lambda n: n >= expected, 10.0, f"{expected} messages spooled")


def test_an_edge_account_cannot_take_over_another_edges_connection(connect) -> None:
    victim = connect(edge(GH_B), client_id=edge(GH_B))
    assert not victim.subscribe(subscription(Channel.CMD, SITE_ID, GH_B)).is_failure
    central = connect(CENTRAL_USER)
    central.subscribe(subscription(Channel.TELEMETRY, SITE_ID))
    # A's login, under B's client id: it connects, as A.
    for persistent in (False, True):
        attacker = connect(edge(GH_A), client_id=edge(GH_B), persistent=persistent)
        assert not attacker.rc.is_failure and not attacker.session_present
        attacker.subscribe(subscription(Channel.CMD, SITE_ID, GH_B))
        attacker.publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"forged")
        # B is still there: its command reaches it, on the connection it had (its subscription was not persistent).
        central.publish(topic(SITE_ID, GH_B, Channel.CMD, "valve-a"), b"for B")
        assert victim.messages() == [(topic(SITE_ID, GH_B, Channel.CMD, "valve-a"), b"for B")]
        victim.publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"B's telemetry")
        assert central.messages() == [(topic(SITE_ID, GH_B, Channel.TELEMETRY), b"B's telemetry")]
        assert attacker.messages(0.2) == []
        attacker.close()
    assert not victim.dropped()


def test_an_edge_account_cannot_take_over_the_gateways_session(connect, gateway, spool: Spool) -> None:
    """The finding: a greenhouse's login under the gateway's client id kicked it off again and again, and took the
    messages queued for its session, which the login may not read: none was stored meanwhile."""
    receiver = gateway("takeover")
    connect(edge(GH_A)).close()  # no session of A's own left from an earlier test
    attacker = connect(edge(GH_A), mqtt5=True, client_id=receiver.client_id, persistent=True)
    assert not attacker.rc.is_failure
    assert not attacker.session_present, "A's login was given the gateway's session"
    sender = connect(edge(GH_B))
    for seq in range(1, 21):
        sender.publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), batch(GH_B, seq))
    assert spooled(spool, 20) == 20
    assert receiver.receiver.counters.rejected == 0
    assert attacker.messages(0.2) == [] and not attacker.dropped()


def test_the_central_services_connect_at_once_each_with_its_own_client_id(connect, gateway, spool: Spool) -> None:
    """The gateway's receiver and live feed, and a 'rules deploy', all as 'central': nobody takes over anybody."""
    receiver = gateway("1")
    live = connect(CENTRAL_USER, client_id=f"gateway-live-{SITE_ID}-1")
    live.subscribe(subscription(Channel.TELEMETRY, SITE_ID))
    deploy = connect(CENTRAL_USER, client_id=f"rules-deploy-{uuid.uuid4().hex[:8]}")
    deploy.publish(topic(SITE_ID, GH_A, Channel.RULES), b"not retained")
    receiver.receiver.subscribed.clear()  # set again only if the receiver had to connect again
    connect(edge(GH_A)).publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), batch(GH_A, 1))
    assert spooled(spool, 1) == 1
    assert [t for t, _ in live.messages()] == [topic(SITE_ID, GH_A, Channel.TELEMETRY)]
    assert not live.dropped() and not deploy.dropped()
    assert not receiver.receiver.subscribed.is_set(), "the receiver connected (and subscribed) again"


def test_the_gateways_session_keeps_what_arrived_while_it_was_down_across_a_broker_restart(
    stack: Stack, connect, gateway, spool: Spool
) -> None:
    # Not shown: what arrives after the restart and before the gateway is back. Mosquitto 2.0 does not persist
    # shared subscriptions, so the broker has no subscriber for it until the receiver subscribes again.
    gateway("restart").stop()
    connect(edge(GH_B)).publish(topic(SITE_ID, GH_B, Channel.TELEMETRY), batch(GH_B, 1))
    connect(edge(GH_A)).publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), batch(GH_A, 1))
    stack.broker.restart()
    gateway("restart")
    assert spooled(spool, 2) == 2


def test_the_compose_healthcheck_reads_the_broker_uptime_only(stack: Stack, connect) -> None:
    test = load(COMPOSE)["services"]["mosquitto"]["healthcheck"]["test"]
    argv = shlex.split(interpolate(" ".join(test[1:]), {}))
    opts = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert argv[0] == "mosquitto_sub" and opts["-h"] == "localhost" and opts["-C"] == "1"
    assert opts["--cafile"] == "/mosquitto/secrets/certs/ca.crt"
    # Its listener (in the container) and account, with the password compose passes it.
    health = connect(opts["-u"], stack.passwords[HEALTH_USER], listener=BrokerListener(int(opts["-p"])))
    assert not health.rc.is_failure
    assert not health.subscribe(opts["-t"]).is_failure
    assert health.received.get(timeout=int(opts["-W"]))[0] == "$SYS/broker/uptime"  # retained: at once
    health.subscribe(f"gh/v1/{SITE_ID}/#")
    connect(edge(GH_A)).publish(topic(SITE_ID, GH_A, Channel.TELEMETRY), b"x")
    assert [t for t, _ in health.messages() if t.startswith("gh/")] == []


@pytest.mark.parametrize("listener", list(BrokerListener))
def test_tls_checks_the_broker_against_the_generated_ca(stack: Stack, listener: BrokerListener) -> None:
    ctx = ssl.create_default_context(cafile=str(stack.layout.ca_cert))
    port = stack.broker.ports[listener]
    import socket

    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # Without the stack's CA the broker's certificate is not trusted.
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    # Nor is it for a name it was not made for.
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
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
