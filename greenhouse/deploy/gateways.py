"""``greenhouse gateways add``: one greenhouse gateway's own MQTT account, limited to its greenhouse's topics."""

from __future__ import annotations

from dataclasses import dataclass

from contract.site import SiteConfig
from greenhouse.deploy import acl
from greenhouse.deploy.broker_accounts import add_account
from greenhouse.deploy.env_file import new_secret
from greenhouse.deploy.layout import StackLayout


@dataclass(frozen=True)
class EdgeAccount:
    greenhouse: str
    user: str
    password: str


def add_gateway(layout: StackLayout, site: SiteConfig, greenhouse: str) -> EdgeAccount:
    """Raises KeyError for a greenhouse not in the site, AccountExists, NotInitialised."""
    site.greenhouse(greenhouse)
    site_id = site.cooperative.id
    user, password = acl.edge_user(site_id, greenhouse), new_secret()
    add_account(layout, user, password, acl.edge_section(site_id, greenhouse))
    return EdgeAccount(greenhouse, user, password)
