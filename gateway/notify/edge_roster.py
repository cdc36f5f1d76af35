"""The roster each greenhouse's edge keeps for when the farm server cannot help: the first people of the
greenhouse's chain who take SMS, published retained on its ``roster`` topic, so that an edge with its own modem
texts them its critical alerts itself when its uplink is gone (edge/uplink_sms.py).

Only what an SMS needs leaves the server: a number, a language, the plain form or not — no names. The chain
depends on the week (turns of duty), so the roster is drawn again at every pass and published when it changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from contract.messages import EdgeRoster, SmsContact
from contract.site import SiteConfig
from contract.topics import Channel, topic
from gateway.notify.roster import Channel as Reach
from gateway.notify.roster import Roster

log = logging.getLogger(__name__)

# The farmer on duty, the backup, the technician: texted at once by an edge on its own, which cannot escalate.
EDGE_SMS_PEOPLE = 3
# Publishes one retained message at QoS 1; raises ConnectionError when it cannot (tried again at the next pass).
Publish = Callable[[str, bytes], None]


def edge_roster(site: SiteConfig, greenhouse: str, roster: Roster, at: datetime, people: int) -> EdgeRoster:
    """Whom ``greenhouse``'s edge texts itself at ``at``: the first ``people`` of its chain who take SMS."""
    chain = roster.chain(greenhouse, at, site.cooperative.tz)
    texted = [
        SmsContact(phone=p.phone, lang=p.lang, plain_sms=p.plain_sms)
        for p in chain
        if Reach.SMS in p.channels and p.phone is not None
    ]
    return EdgeRoster(site=site.cooperative.id, greenhouse=greenhouse, issued_at=at, contacts=texted[:people])


class EdgeRosters:
    """Publishes each greenhouse's edge roster when its contacts differ from what was last published here (a
    restarted gateway publishes them all once: the broker keeps only the latest)."""

    def __init__(self, site: SiteConfig, publish: Publish, people: int = EDGE_SMS_PEOPLE) -> None:
        self._site = site
        self._publish = publish
        self._people = people
        self._published: dict[str, list[SmsContact]] = {}

    def update(self, roster: Roster, at: datetime) -> list[EdgeRoster]:
        """Draws every greenhouse's roster at ``at`` and publishes those that changed; returns what it published."""
        sent: list[EdgeRoster] = []
        for gh in self._site.greenhouses:
            message = edge_roster(self._site, gh.id, roster, at, self._people)
            if self._published.get(gh.id) == message.contacts:
                continue
            try:
                self._publish(topic(self._site.cooperative.id, gh.id, Channel.ROSTER), message.to_json())
            except ConnectionError as exc:  # the broker away: published at a later pass
                log.debug("edge roster not published yet", extra={"greenhouse": gh.id, "why": str(exc)})
                continue
            self._published[gh.id] = message.contacts
            sent.append(message)
        if sent:
            log.info("edge rosters published", extra={"greenhouses": [m.greenhouse for m in sent]})
        return sent
