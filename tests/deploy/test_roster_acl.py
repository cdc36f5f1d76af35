"""The edges' SMS rosters under the generated ACL, in a real Mosquitto: the notifier (the central account) publishes
each greenhouse's, and each greenhouse's edge reads its own only and cannot write one — a greenhouse's login must
not redirect another's alerts, or its own, to numbers of its choosing."""

from __future__ import annotations

from contract.topics import Channel, subscription, topic
from greenhouse.deploy.env_file import CENTRAL_USER

# The stack (init, two gateways added, the shipped mosquitto.conf) and its clients, as the broker tests make them.
from tests.deploy.test_broker_security import GH_A, GH_B, SITE_ID, Connect, connect, edge, stack  # noqa: F401


def test_each_edge_reads_its_own_roster_from_the_central_account_and_cannot_write_one(connect: Connect) -> None:  # noqa: F811
    central = connect(CENTRAL_USER)
    central.subscribe(subscription(Channel.ROSTER, SITE_ID))
    gateway_a = connect(edge(GH_A))
    gateway_a.subscribe(subscription(Channel.ROSTER, SITE_ID, GH_A))
    gateway_a.subscribe(subscription(Channel.ROSTER, SITE_ID, GH_B))  # granted, and then nothing is delivered on it
    assert central.messages(wait_s=0.3) == []  # nothing retained from an earlier test
    gateway_a.publish(topic(SITE_ID, GH_A, Channel.ROSTER), b"own roster")
    gateway_a.publish(topic(SITE_ID, GH_B, Channel.ROSTER), b"B's roster, forged")
    central.publish(topic(SITE_ID, GH_B, Channel.ROSTER), b"B's roster")
    central.publish(topic(SITE_ID, GH_A, Channel.ROSTER), b"A's roster")
    assert gateway_a.messages() == [(topic(SITE_ID, GH_A, Channel.ROSTER), b"A's roster")]
    assert sorted(central.messages()) == sorted(
        [(topic(SITE_ID, GH_A, Channel.ROSTER), b"A's roster"), (topic(SITE_ID, GH_B, Channel.ROSTER), b"B's roster")]
    )
