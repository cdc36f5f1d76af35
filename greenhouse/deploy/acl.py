"""Mosquitto ACL sections: what each account may publish (write) and subscribe to (read).

Topics follow ``contract.topics``; the channels an edge writes and reads come from the same enum, so a
new channel cannot be forgotten here without a test failing.
"""

from __future__ import annotations

from contract.topics import PREFIX, VERSION, Channel, subscription, topic

# What an edge agent publishes (edge/agent.py, edge/mqtt_link.py) and what it is sent.
EDGE_WRITES = (
    Channel.TELEMETRY,
    Channel.BACKLOG,
    Channel.STATUS,
    Channel.STATE,
    Channel.ACK,
    Channel.EVENTS,
    Channel.RULES_STATUS,
)
# The gateway's receipts (what it has stored) on ``stored``, and whom to text itself when its uplink is gone on
# ``roster``: each edge reads its own greenhouse's only.
EDGE_READS = (Channel.CMD, Channel.RULES, Channel.STORED, Channel.ROSTER)
# The central services publish commands (live/commands), rule sets (rules deploy), receipts (the gateway) and the
# edges' SMS rosters (the notifier), and read everything.
CENTRAL_WRITES = (Channel.CMD, Channel.RULES, Channel.STORED, Channel.ROSTER)
# The broker's own uptime, the one topic the container healthcheck reads.
HEALTH_TOPIC = "$SYS/broker/uptime"


def edge_user(site: str, greenhouse: str) -> str:
    """The MQTT account of one greenhouse's edge gateway, and so its client id on the edges' listener."""
    return f"edge-{site}-{greenhouse}"


def edge_section(site: str, greenhouse: str) -> str:
    lines = [f"user {edge_user(site, greenhouse)}"]
    lines += [f"topic write {topic(site, greenhouse, c)}" for c in EDGE_WRITES]
    lines += [f"topic read {subscription(c, site, greenhouse)}" for c in EDGE_READS]
    return "\n".join(lines) + "\n"


def central_section(user: str, site: str) -> str:
    lines = [f"user {user}", f"topic read {PREFIX}/{VERSION}/{site}/#"]
    lines += [f"topic write {subscription(c, site)}" for c in CENTRAL_WRITES]
    return "\n".join(lines) + "\n"


def health_section(user: str) -> str:
    return f"user {user}\ntopic read {HEALTH_TOPIC}\n"


def users(acl_text: str) -> set[str]:
    return {line.split(None, 1)[1].strip() for line in acl_text.splitlines() if line.startswith("user ")}
