"""``greenhouse init DIR``: every secret of a new stack, generated once; nothing is overwritten."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from contract.clock import Clock
from contract.site import SiteConfig
from gateway.accounts.models import UserSpec
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.notify.webpush import VapidKeys
from greenhouse.deploy import acl, certs
from greenhouse.deploy.broker_accounts import add_account
from greenhouse.deploy.env_file import CENTRAL_USER, HEALTH_USER, StackEnv, new_secret, write_private
from greenhouse.deploy.layout import MOSQUITTO_UID, StackLayout
from greenhouse.deploy.listeners import BrokerListener
from greenhouse.deploy.web_tls import WebSettings

# Names the broker is reached by inside the stack, and from the server itself.
STACK_HOSTS = ("mosquitto", "localhost", "127.0.0.1")
ACL_HEADER = (
    "# Written by 'greenhouse init'; 'greenhouse gateways add' appends one section per greenhouse gateway.\n"
    "# No section for anonymous clients: the broker refuses them (allow_anonymous false).\n"
    f"# On the greenhouse gateways' listener ({BrokerListener.EDGES.value}) the broker takes each account's name"
    " as its client id.\n"
)


class SecretsExist(Exception):
    def __init__(self, paths: list[Path]) -> None:
        super().__init__(", ".join(map(str, paths)))
        self.paths = paths


@dataclass(frozen=True)
class InitResult:
    admin: str
    admin_password: str
    written: list[Path]
    edge_passwords: dict[str, str] = field(default_factory=dict)  # greenhouse id -> password, with --sim only


def sim_env_name(greenhouse: str) -> str:
    """The .env variable holding a simulated greenhouse's edge password (docker-compose.sim.yml reads it)."""
    return "EDGE_PASSWORD_" + greenhouse.upper().replace("-", "_")


def init_stack(
    layout: StackLayout,
    site: SiteConfig,
    site_file: Path,
    admin: str,
    broker_hosts: list[str],
    sim: bool,
    grafana_url: str = "",
    web: WebSettings | None = None,
) -> InitResult:
    existing = [p for p in layout.secrets() if p.exists()]
    if existing:
        raise SecretsExist(existing)
    site_id = site.cooperative.id
    web = web or WebSettings()
    env = StackEnv.generate(site_file, grafana_url, web)

    ca = certs.new_ca(f"greenhouse {site_id} CA")
    server = certs.new_server_cert(ca, [*broker_hosts, *STACK_HOSTS])
    write_private(layout.ca_key, ca.key)
    write_private(layout.ca_cert, ca.cert, 0o644)
    write_private(layout.server_cert, server.cert, 0o644)
    write_private(layout.server_key, server.key)
    # Written whatever WEB_TLS says, so that a cooperative whose ACME set-up fails can switch to it in .env.
    page = certs.new_server_cert(ca, web.certificate_hosts(broker_hosts))
    write_private(layout.web_cert, page.cert, 0o644)
    write_private(layout.web_key, page.key)

    write_private(layout.passwd, "")
    write_private(layout.acl, ACL_HEADER)
    add_account(layout, CENTRAL_USER, env.MQTT_CENTRAL_PASSWORD, acl.central_section(CENTRAL_USER, site_id))
    add_account(layout, HEALTH_USER, env.MQTT_HEALTH_PASSWORD, acl.health_section(HEALTH_USER))
    edge_passwords = {}
    if sim:  # trying the stack out: the simulated edges read their passwords from .env
        for gh in site.greenhouses:
            edge_passwords[gh.id] = new_secret()
            add_account(layout, acl.edge_user(site_id, gh.id), edge_passwords[gh.id], acl.edge_section(site_id, gh.id))
    write_private(layout.env, env.text({sim_env_name(g): p for g, p in edge_passwords.items()}))
    _hand_to_broker(layout)

    admin_password = new_secret()
    accounts = Accounts(layout.gateway_data, Clock().now)
    try:
        accounts.users.add(UserSpec(name=admin, role=Role.ADMIN, cooperative=site_id), admin_password)
    finally:
        accounts.close()
    VapidKeys.generate().save(layout.vapid)
    written = [layout.env, layout.passwd, layout.acl, layout.ca_cert, layout.server_cert, layout.server_key]
    written += [layout.web_cert, layout.web_key, layout.ca_key, layout.gateway_data, layout.vapid]
    return InitResult(admin, admin_password, written, edge_passwords)


def _hand_to_broker(layout: StackLayout) -> None:
    """The broker runs as its own user in its container; as root here, give it its files (still 0600)."""
    if os.name != "posix" or os.geteuid() != 0:
        return
    for path in [layout.mosquitto, *layout.mosquitto.rglob("*")]:
        os.chown(path, MOSQUITTO_UID, MOSQUITTO_UID)
