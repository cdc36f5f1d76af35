"""The notifier watching its own modem (a real Gammu SMSD on the dummy phone): a daily "still working" once a day
after its hour, SMSD gone told once — not at every check while it stays gone — and its return told too."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from contract.validation_words import Words
from gateway.notify.channel_settings import WatchSettings
from gateway.notify.modem_health import NOT_RUNNING, read_health
from gateway.notify.modem_watch import RECOVERED, ModemWatch
from tests.support.gammu_smsd import GammuSmsd

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAWN = datetime(2026, 1, 15, 6, 0, tzinfo=TZ)


def _healthy(smsd: GammuSmsd) -> None:
    """Until SMSD has reached the dummy phone and read its signal, 42 % (a few seconds after it starts)."""
    deadline = time.monotonic() + 30
    while (health := read_health(smsd.conf, smsd.folders, DAWN)).imei is None or health.signal_pct != 42:
        assert time.monotonic() < deadline, health
        time.sleep(0.3)


def test_the_watch_tells_once_what_degraded_and_when_it_recovers(watched_smsd: GammuSmsd) -> None:
    told: list[Words] = []
    settings = WatchSettings(tell=["hung"], every_min=10, still_working_at=clock(7, 0))
    watch = ModemWatch(settings, watched_smsd.conf, watched_smsd.folders, TZ, told.append)
    _healthy(watched_smsd)

    assert watch.check(DAWN) == []  # well, and before the daily message's hour
    assert watch.check(DAWN + timedelta(minutes=5)) == []  # not read again before its ten minutes
    [daily] = watch.check(DAWN + timedelta(minutes=61))
    assert daily.vi.startswith("Báo động vẫn chạy: sóng 42 %")
    assert watch.check(DAWN + timedelta(minutes=75)) == []  # once a day

    watched_smsd.stop()
    assert watch.check(DAWN + timedelta(minutes=90)) == [NOT_RUNNING]
    assert watch.check(DAWN + timedelta(minutes=105)) == []  # still gone: not told again
    watched_smsd.start()
    _healthy(watched_smsd)
    assert watch.check(DAWN + timedelta(minutes=120)) == [RECOVERED]
    assert told == [daily, NOT_RUNNING, RECOVERED]
