"""What the notifier says to people, in Vietnamese and English: short, since an SMS holds 70 Vietnamese letters."""

from __future__ import annotations

import re

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
# The channel the notifier would use is not set up on this server: the chain goes on to the next step.
NO_CHANNEL = ("Máy chủ chưa cài kênh {channel}", "The {channel} channel is not set up on this server")

# A reply that takes an incident: "OK", "Ok.", "OK 12", "Đã biết", "da biet", "nhận" — with or without diacritics.
# (The number of "OK 12" does not choose among several incidents yet: a reply takes all of its sender's.)
_ACK = re.compile(r"^\s*(ok|da biet|nhan|biet roi)\s*\d*\s*[.!]*\s*$", re.IGNORECASE)


def is_ack(text: str) -> bool:
    return _ACK.match(plain(text)) is not None  # the SMS's own diacritics stripping: "Đã biết" reads "Da biet"
