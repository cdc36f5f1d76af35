"""The notifier watching its own modem, every few minutes: what degraded is told once to the technician (on the
channels that do not need the modem first: a dead modem cannot send its own obituary), again only if it clears
and comes back; its recovery is told too; and, where the cooperative wants it, a daily "still working"."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.validation_words import Words
from edge.modem.gammu_sms import SmsdFolders
from gateway.notify.channel_settings import WatchSettings
from gateway.notify.modem_health import ModemHealth, Registration, judge, read_health, still_working

log = logging.getLogger(__name__)

MODEM_TITLE = ("Modem báo động", "Alarm modem")  # what the technician's message is about
RECOVERED = Words("Modem báo động đã hoạt động lại bình thường", "The alarm modem works normally again")


def _same(problem: Words) -> str:
    """A problem told once whatever its numbers do meanwhile (the minutes a message waits, the signal's percent)."""
    return re.sub(r"\d+", "#", problem.en)


class ModemWatch:
    def __init__(
        self,
        settings: WatchSettings,
        smsd_config: Path,
        folders: SmsdFolders,
        tz: ZoneInfo,
        tell: Callable[[Words], None],
        network: Callable[[], Registration | None] | None = None,
    ) -> None:
        self.settings = settings
        self.smsd_config = smsd_config
        self.folders = folders
        self.tz = tz
        self.tell = tell
        self.network = network
        self._next: datetime | None = None
        self._previous: ModemHealth | None = None
        self._told: set[str] = set()
        self._daily: date | None = None

    def check(self, now: datetime) -> list[Words]:
        """Read and judge the modem when it is time; what was told."""
        if self._next is not None and now < self._next:
            return []
        self._next = now + timedelta(minutes=self.settings.every_min)
        health = read_health(self.smsd_config, self.folders, now, network=self.network)
        problems = judge(health, self._previous, now, self.settings.limits)
        self._previous = health
        said = [p for p in problems if _same(p) not in self._told]
        if self._told and not problems:
            said.append(RECOVERED)
        self._told = {_same(p) for p in problems}
        if not problems and self._daily_due(now):
            said.append(Words(still_working(health, "vi"), still_working(health, "en")))
        for words in said:
            log.info("modem watch tells", extra={"said": words.en})
            self.tell(words)
        return said

    def _daily_due(self, now: datetime) -> bool:
        at = self.settings.still_working_at
        local = now.astimezone(self.tz)
        if at is None or local.time() < at or self._daily == local.date():
            return False
        self._daily = local.date()
        return True
