"""A crontab line checked field by field, before APScheduler reads it: a technician is told which field is wrong
and why, in Vietnamese or English ("giờ phải từ 0 đến 23: '25'"), never the library's own words."""

from __future__ import annotations

import re
from datetime import UTC
from typing import NamedTuple

from apscheduler.triggers.cron import CronTrigger

from contract.validation_words import Mistake, Words

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# One item of a field's comma-separated list: *, */step, a, a-b, a-b/step or a/step (a and b numbers or names).
_ITEM = re.compile(r"(?:(?P<all>\*)|(?P<first>[a-z0-9]+)(?:-(?P<last>[a-z0-9]+))?)(?:/(?P<step>[0-9]+))?")


class CronField(NamedTuple):
    name: Words
    low: int
    high: int
    names: tuple[str, ...] = ()  # written instead of numbers, the first standing for ``low``
    numbers: bool = True  # False: only names (APScheduler counts weekdays from Monday = 0, crontab from Sunday)


FIELDS = (
    CronField(Words("phút", "minute"), 0, 59),
    CronField(Words("giờ", "hour"), 0, 23),
    CronField(Words("ngày trong tháng", "day of the month"), 1, 31),
    CronField(Words("tháng", "month"), 1, 12, _MONTHS),
    CronField(Words("thứ", "weekday"), 0, 6, _WEEKDAYS, numbers=False),
)


def check_crontab(cron: str) -> str:
    """``cron`` if it is a crontab line APScheduler reads as crontab would; else Mistake naming the field."""
    fields = cron.split()
    if len(fields) != len(FIELDS):
        raise Mistake(
            f"dòng crontab có 5 phần cách nhau bởi dấu cách: phút giờ ngày tháng thứ (ví dụ '0 6 * * *'); "
            f"dòng này có {len(fields)}",
            f"not a crontab line: it has 5 fields separated by spaces, minute hour day month weekday "
            f"(e.g. '0 6 * * *'); this one has {len(fields)}",
        )
    for text, field in zip(fields, FIELDS, strict=True):
        for item in text.lower().split(","):
            _check_item(item, field)
    day, weekday = fields[2], fields[4]
    # crontab fires when either day field matches, APScheduler only when both do.
    if day != "*" and weekday != "*":
        raise Mistake(
            "chỉ giới hạn ngày trong tháng hoặc thứ trong tuần, không giới hạn cả hai",
            "restrict the day of the month or the day of the week, not both",
        )
    try:
        CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError:  # not reached for a line checked above; said plainly all the same
        raise Mistake(
            "không phải một dòng crontab (phút giờ ngày tháng thứ)",
            "not a crontab line (minute hour day month weekday)",
        ) from None
    return cron


def _check_item(item: str, field: CronField) -> None:
    found = _ITEM.fullmatch(item)
    if found is None:
        raise _not_understood(item, field)
    if found["all"] is None:
        first = _value(found["first"], item, field)
        last = _value(found["last"], item, field) if found["last"] else None
        if last is not None and first > last:
            raise Mistake(
                f"khoảng {field.name.vi} '{item}' phải đi từ nhỏ đến lớn",
                f"the {field.name.en} range '{item}' must go from low to high",
            )
        span = (last if last is not None else field.high) - first
    else:
        span = field.high - field.low
    if found["step"] is not None and not 1 <= int(found["step"]) <= max(span, 1):
        raise Mistake(
            f"bước nhảy của {field.name.vi} phải từ 1 đến {max(span, 1)}: '{item}'",
            f"the {field.name.en} step must be from 1 to {max(span, 1)}: '{item}'",
        )


def _value(text: str, item: str, field: CronField) -> int:
    if text in field.names:
        return field.low + field.names.index(text)
    if not text.isdigit():
        raise _not_understood(item, field)
    if not field.numbers:
        raise Mistake(
            f"viết thứ bằng tên (mon, tue, … sun), không bằng số: '{item}'",
            f"name the weekdays (mon, tue, … sun) rather than numbering them: '{item}'",
        )
    value = int(text)
    if not field.low <= value <= field.high:
        raise Mistake(
            f"{field.name.vi} phải từ {field.low} đến {field.high}: '{item}'",
            f"the {field.name.en} must be from {field.low} to {field.high}: '{item}'",
        )
    return value


def _not_understood(item: str, field: CronField) -> Mistake:
    numbers = Words(f"một số từ {field.low} đến {field.high}", f"a number from {field.low} to {field.high}")
    names = f"({field.names[0]} … {field.names[-1]})" if field.names else ""
    if not field.numbers:
        allowed = Words(f"một tên {names}", f"a name {names}")
    elif names:
        allowed = Words(f"{numbers.vi} hoặc một tên {names}", f"{numbers.en} or a name {names}")
    else:
        allowed = numbers
    return Mistake(
        f"không hiểu {field.name.vi} '{item}': viết *, {allowed.vi}, một khoảng a-b, hoặc nhiều giá trị cách nhau "
        "bởi dấu phẩy",
        f"cannot read the {field.name.en} '{item}': write *, {allowed.en}, a range a-b, or several separated by commas",
    )
