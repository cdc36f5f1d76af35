"""What is wrong with a field of a site or rule file, in the technician's language (Vietnamese or English).

pydantic words its errors in English only; each error type it raises in our files has a template here, filled in
from the error's context (the bound a number broke, the values a field may take). Our validators raise ``Mistake``
(one problem) or ``Mistakes`` (several found at once, each naming the id it is about) with their words in both
languages; pydantic keeps the exception in the error's context, where the reporter finds it again.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pydantic_core import ErrorDetails

from contract.reasons import Lang


class Words(NamedTuple):
    """One text in both languages, in the order ``contract.reasons.pick`` takes."""

    vi: str
    en: str

    def pick(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


class Mistake(ValueError):
    """A validator's own problem, in both languages; ``about`` is the id it names, if any, so that a reporter can
    point at the line where that id is written."""

    def __init__(self, vi: str, en: str, about: str | None = None) -> None:
        super().__init__(en)
        self.words = Words(vi, en)
        self.about = about


class Mistakes(ValueError):
    """Several problems a validator found at once (cross-references): each is reported on its own line."""

    def __init__(self, mistakes: list[Mistake]) -> None:
        super().__init__("; ".join(m.words.en for m in mistakes))
        self.mistakes = mistakes


# pydantic's error types as they occur in site and rule files: (vi, en) templates over the error's context.
_PYDANTIC: dict[str, Words] = {
    "missing": Words("thiếu mục bắt buộc này", "required field is missing"),
    "extra_forbidden": Words("không có mục này (viết sai tên, hoặc đặt nhầm chỗ?)", "unknown field (misspelt?)"),
    "greater_than": Words("phải lớn hơn {gt}", "must be greater than {gt}"),
    "greater_than_equal": Words("phải từ {ge} trở lên", "must be greater than or equal to {ge}"),
    "less_than": Words("phải nhỏ hơn {lt}", "must be less than {lt}"),
    "less_than_equal": Words("không được lớn hơn {le}", "must be less than or equal to {le}"),
    "string_pattern_mismatch": Words("viết sai dạng (mẫu '{pattern}')", "should match pattern '{pattern}'"),
    "string_too_short": Words("cần ít nhất {min_length} ký tự", "must have at least {min_length} characters"),
    "string_too_long": Words("chỉ được tối đa {max_length} ký tự", "must have at most {max_length} characters"),
    "too_short": Words("phải có ít nhất {min_length} mục", "must list at least {min_length}"),
    "too_long": Words("chỉ được có tối đa {max_length} mục", "must list at most {max_length}"),
    "literal_error": Words("phải là {expected}", "must be {expected}"),
    "enum": Words("phải là {expected}", "must be {expected}"),
    "union_tag_invalid": Words(
        "'{tag}' không phải một trong các loại: {expected_tags}",
        "'{tag}' does not match any of the expected tags: {expected_tags}",
    ),
    "union_tag_not_found": Words("thiếu mục {discriminator}", "{discriminator} is missing"),
    "int_parsing": Words("phải là một số nguyên, ví dụ 3", "must be a whole number, e.g. 3"),
    "int_type": Words("phải là một số nguyên, ví dụ 3", "must be a whole number, e.g. 3"),
    "int_from_float": Words("phải là số nguyên, không có phần lẻ", "must be a whole number, without a fraction"),
    "int_parsing_size": Words("số quá lớn", "the number is too large"),
    "float_parsing": Words("phải là một con số, ví dụ 1800", "must be a number, e.g. 1800"),
    "float_type": Words("phải là một con số, ví dụ 1800", "must be a number, e.g. 1800"),
    "finite_number": Words("phải là một con số hữu hạn", "must be a finite number"),
    "bool_parsing": Words("phải là true hoặc false", "must be true or false"),
    "bool_type": Words("phải là true hoặc false", "must be true or false"),
    "string_type": Words("phải là chữ (một chuỗi ký tự)", "must be text"),
    "list_type": Words("phải là một danh sách, ví dụ [a, b]", "must be a list, e.g. [a, b]"),
    "dict_type": Words("phải là một nhóm mục (tên: giá trị)", "must be a mapping (name: value)"),
    "model_type": Words("phải là một nhóm mục (tên: giá trị)", "must be a mapping (name: value)"),
    "model_attributes_type": Words("phải là một nhóm mục (tên: giá trị)", "must be a mapping (name: value)"),
    "time_parsing": Words('phải là giờ trong ngày, ví dụ "03:00"', 'must be a time of day, e.g. "03:00"'),
    "time_type": Words('phải là giờ trong ngày, ví dụ "03:00"', 'must be a time of day, e.g. "03:00"'),
    "path_type": Words("phải là đường dẫn tới một tệp", "must be the path of a file"),
    # Our own types, raised as PydanticCustomError with their place in the file.
    "duplicate_id": Words("trùng id với rules[{i}]", "rules[{i}] already has this id"),
}

# Where what was written is worth quoting after the message: a scalar the reader can find in the file.
_QUOTED = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "string_pattern_mismatch",
           "literal_error", "enum", "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
           "bool_parsing", "bool_type", "string_type", "finite_number", "time_parsing", "string_too_long"}
_GOT = Words("(đang là {got})", "(got {got})")


def number(value: float, lang: Lang) -> str:
    """A number as the reader writes it: 0.5 in English, 0,5 in Vietnamese; whole numbers without a point."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "vi" else text


def _fill(value: object, lang: Lang) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return number(value, lang)
    # pydantic joins the last choice with " or ": 'mean', 'min' or 'max'.
    text = str(value)
    return re.sub(r"' or '", "' hoặc '", text) if lang == "vi" else text


def describe(err: ErrorDetails) -> list[tuple[Words, str | None]]:
    """What is wrong, in both languages, with the id each part names (for ``Mistakes``, one part per problem)."""
    context = err.get("ctx") or {}
    error = context.get("error")
    if isinstance(error, Mistakes):
        return [(m.words, m.about) for m in error.mistakes]
    if isinstance(error, Mistake):
        return [(error.words, error.about)]
    template = _PYDANTIC.get(err["type"])
    if template is None:  # a type no site or rule file has shown yet: pydantic's own words, in both
        msg = str(err["msg"]).removeprefix("Value error, ")
        return [(Words(msg, msg), None)]
    given = err.get("input")
    quoted = err["type"] in _QUOTED and isinstance(given, str | int | float | bool)

    def text(lang: Lang) -> str:
        said = template.pick(lang).format(**{k: _fill(v, lang) for k, v in context.items()})
        return f"{said} {_GOT.pick(lang).format(got=repr(given))}" if quoted else said

    try:
        return [(Words(text("vi"), text("en")), None)]
    except KeyError:  # raised without the context its words need: pydantic's own, in both
        msg = str(err["msg"])
        return [(Words(msg, msg), None)]
