"""Who is told: the people of a cooperative, how each is reached, and for each greenhouse the order they are told
in — the farmer on duty (taking turns week by week where the cooperative wants it), a backup neighbour, the
technician, the cooperative's head."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, model_validator

from contract.bounds import Strict
from contract.messages import Id
from contract.site import SiteConfig
from contract.validation_words import Mistake, Words
from contract.wording import Lang

ROSTER_FILE = "roster.yaml"  # in the gateway's data dir


class Channel(StrEnum):
    PUSH = "push"  # a notification to the installed phone app
    SMS = "sms"
    CALL = "call"  # a ring call from the farm's number, not answered: the phone rings through the night
    ZALO = "zalo"
    EMAIL = "email"


def normal_number(number: str) -> str:
    """A Vietnamese phone number in one form, so that a reply's sender is matched to the roster: +84… for 0…."""
    digits = re.sub(r"[\s.()-]", "", number)
    return "+84" + digits[1:] if digits.startswith("0") else digits if digits.startswith("+") else "+" + digits


def _phone(number: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9\s.()-]{7,18}", number.strip()):
        raise Mistake(
            f"số điện thoại {number!r} không đúng dạng, ví dụ 0912 345 678 hoặc +84 912 345 678",
            f"{number!r} is not a phone number such as 0912 345 678 or +84 912 345 678",
        )
    return normal_number(number.strip())


PhoneNumber = Annotated[str, AfterValidator(_phone)]


class Person(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=100)
    phone: PhoneNumber | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    lang: Lang = "vi"
    channels: list[Channel] = Field(min_length=1)
    # SMS without diacritics (one GSM-7 message of 160 characters) for phones that show Vietnamese letters badly.
    plain_sms: bool = False
    # The person's sign-in name in the web app: phone notifications go to the phones they turned them on with.
    account: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        needs_phone = {Channel.SMS, Channel.CALL, Channel.ZALO} & set(self.channels)
        if needs_phone and self.phone is None:
            raise Mistake(
                f"{self.name}: cần số điện thoại để nhận tin nhắn hoặc cuộc gọi",
                f"{self.name}: a phone number is needed for SMS, calls or Zalo",
            )
        if Channel.EMAIL in self.channels and self.email is None:
            raise Mistake(f"{self.name}: cần địa chỉ email", f"{self.name}: an email address is needed")
        return self


class Duty(Strict):
    """Who is told about one greenhouse, in order. With ``rotation``, those people take turns week by week as the
    first one told (ISO weeks, in the cooperative's time zone); ``people`` follow in their order."""

    greenhouse: Id
    people: list[Id] = Field(min_length=1)
    rotation: list[Id] = Field(default_factory=list)


class Roster(Strict):
    people: list[Person]
    duties: list[Duty]
    # The farm server's modem: what a farmer saves as a contact, calls back to acknowledge, lets ring through Do
    # Not Disturb.
    farm_number: PhoneNumber | None = None

    @model_validator(mode="after")
    def _known(self) -> Roster:
        ids = [p.id for p in self.people]
        if len(set(ids)) != len(ids):
            raise Mistake("một người được ghi hai lần", "a person is listed twice")
        for duty in self.duties:
            unknown = sorted(set(duty.people + duty.rotation) - set(ids))
            if unknown:
                raise Mistake(
                    f"nhà {duty.greenhouse}: không có người {', '.join(unknown)} trong danh sách",
                    f"greenhouse {duty.greenhouse}: no person {', '.join(unknown)} in the list",
                )
        return self

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def chain(self, greenhouse: str, at: datetime, tz: ZoneInfo) -> list[Person]:
        """Who is told about ``greenhouse`` at ``at``, first to last: the one on duty that week, then the others."""
        duty = next((d for d in self.duties if d.greenhouse == greenhouse), None)
        if duty is None:
            return []
        order = list(duty.people)
        if duty.rotation:
            week = at.astimezone(tz).isocalendar().week
            first = duty.rotation[week % len(duty.rotation)]
            order = [first, *(p for p in order if p != first)]
        people = [self.person(p) for p in order]
        return [p for p in people if p is not None]

    def by_account(self, account: str) -> Person | None:
        return next((p for p in self.people if p.account == account), None)

    def by_number(self, number: str) -> Person | None:
        """The person whose phone a reply or a call came from."""
        wanted = normal_number(number)
        return next((p for p in self.people if p.phone == wanted), None)


def roster_problems(roster: Roster, site: SiteConfig) -> list[Words]:
    """What in ``roster`` does not fit the site: a duty for a greenhouse the site has not, and a greenhouse nobody
    is told about (its alerts would reach nobody)."""
    known = {gh.id: gh for gh in site.greenhouses}
    covered = {d.greenhouse for d in roster.duties}
    problems = [
        Words(
            f"nhà {d.greenhouse}: tệp cấu hình không có nhà màng này",
            f"greenhouse {d.greenhouse}: not in the site file",
        )
        for d in roster.duties
        if d.greenhouse not in known
    ]
    problems += [
        Words(
            f"{gh.label_in('vi')}: chưa ai được báo khi có cảnh báo",
            f"{gh.label_in('en')}: nobody is told of its alerts",
        )
        for gh_id, gh in known.items()
        if gh_id not in covered
    ]
    return problems
