"""The greenhouses a user is limited to, checked against the site the gateway serves."""

from __future__ import annotations

from collections.abc import Iterable

from contract.site import SiteConfig
from gateway.accounts.errors import AccountError
from gateway.accounts.words import UNKNOWN_GREENHOUSES


def check_greenhouses(site: SiteConfig, greenhouses: Iterable[str] | None) -> None:
    """Refuses ids the site does not have, naming them and the greenhouses it has (id and name)."""
    known = {g.id: g.label for g in site.greenhouses}
    unknown = sorted(set(greenhouses or ()) - known.keys())
    if unknown:
        listed = ", ".join(f"{gid} ({label})" if label != gid else gid for gid, label in known.items())
        raise AccountError(
            UNKNOWN_GREENHOUSES, unknown=", ".join(unknown), cooperative=site.cooperative.id, known=listed
        )
