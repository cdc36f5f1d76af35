"""What the notifier says to people, in Vietnamese and English: short, since an SMS holds 70 Vietnamese letters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.modem.sms_text import plain

# How a person is told, as people say it.
CHANNEL: dict[str, tuple[str, str]] = {
    "push": ("thông báo", "notification"),
    "sms": ("tin nhắn", "SMS"),
    "call": ("gọi điện", "call"),
    "zalo": ("Zalo", "Zalo"),
    "email": ("email", "email"),
}
# What happened, said under the greenhouse's name ("{house}: …" in an SMS, the notification's title on a phone).
# {text}: the alert in the reader's words; {who}: who took it.
ALERT = ("{text}", "{text}")
# Said once to the others who were told, so that nobody else gets up.
TAKEN = ("{who} đã nhận — {text}", "{who} took it — {text}")
CLEARED = ("Đã hết — {text}", "Cleared — {text}")
# "Send me a test alert", on each of the asker's channels.
TEST_TITLE = ("Thử cảnh báo", "Test alert")
TEST_BODY = ("Nếu đọc được tin này, cảnh báo sẽ đến được bạn.", "If you can read this, alerts will reach you.")
# Several alerts to one person on one channel within a short while, as one message under the cooperative's name.
# {items}: "<greenhouse>: <what happened>; …", the most pressing first.
GROUP = ("{count} cảnh báo: {items}", "{count} alerts: {items}")
# The whole farm gone silent at once: one incident instead of one per greenhouse, and when it ends.
FARM_OFFLINE = (
    "Mất liên lạc với cả trang trại ({count} nhà màng)",
    "Lost contact with the whole farm ({count} greenhouses)",
)
FARM_BACK = ("Đã liên lạc lại với cả trang trại", "The whole farm is back in contact")
FARM_PARTLY_BACK = ("Đã liên lạc lại {back}/{count} nhà màng", "{back} of {count} greenhouses back in contact")
# At the end of an alert SMS when its reader has several open: the reply that takes this one only.
REPLY_OK = ("Trả lời OK {number}", "Reply OK {number}")
# The channel the notifier would use is not set up on this server: the chain goes on to the next step.
NO_CHANNEL = ("Máy chủ chưa cài kênh {channel}", "The {channel} channel is not set up on this server")

# A reply that takes an incident: "OK", "Ok.", "OK 12", "Đã biết", "da biet", "nhận" — with or without diacritics;
# with a number, the incident that number was sent with, else all of its sender's.
_ACK = re.compile(r"^\s*(?:ok|da biet|nhan|biet roi)\s*(?P<number>\d+)?\s*[.!]*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Ack:
    number: int | None  # "OK 2": that incident only; None: every incident the sender was told about


def ack(text: str) -> Ack | None:
    """The acknowledgement ``text`` says; None when it says none."""
    found = _ACK.match(plain(text))  # the SMS's own diacritics stripping: "Đã biết" reads "Da biet"
    if found is None:
        return None
    number = found.group("number")
    return Ack(int(number) if number is not None else None)
