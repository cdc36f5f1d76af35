"""A rule file's problems as a technician reads them — which rule, which line and field, what is wrong, and a hint
how to write it — in Vietnamese or English: from the loader's ``ConfigError``, for the CLI, the web rule desk and
the edge's refusal of a published rule set alike."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from pydantic import BaseModel

from contract.config_file import ConfigError, ConfigIssue, dotted
from contract.reasons import Lang, pick
from rules.model import Rule, RuleSet

_WORDS: dict[str, tuple[str, str]] = {
    "rule": ("Luật", "Rule"),
    "line": ("dòng", "line"),
    "field": ("mục", "field"),
    "hint": ("Gợi ý", "Hint"),
    "file": ("Tệp", "File"),
}


def rule_kinds() -> dict[str, type[BaseModel]]:
    """Each rule kind's name as written in files, and its model."""
    union = typing.get_args(typing.get_args(Rule)[0])
    return {typing.get_args(m.model_fields["kind"].annotation)[0]: m for m in union}


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every field name the model and the models inside it accept: what a misspelt name is compared with."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    # As written in files: an alias (``from``) rather than the Python name (``from_``).
    names = {field.alias or name for name, field in model.model_fields.items()}
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            names |= _field_names(inner, seen)
    return names


def _fields_at(model: type[BaseModel], path: tuple[int | str, ...]) -> set[str] | None:
    """The field names (as written) of the model that ``path`` leads to inside ``model``; None if lost."""
    models = [model]
    for part in path:
        if isinstance(part, int):
            continue  # a list index: the same models
        fields = [m.model_fields[f] for m in models for f, info in m.model_fields.items() if (info.alias or f) == part]
        models = [inner for field in fields for inner in _models_in(field.annotation)]
        if not models:
            return None
    return {field.alias or name for m in models for name, field in m.model_fields.items()}


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def hint(issue: ConfigIssue, lang: Lang, kind: str | None = None) -> str | None:
    """How to write the field right, when there is something useful to say; ``kind`` is the rule's, if known."""
    vi = lang == "vi"
    field = next((p for p in reversed(issue.loc) if isinstance(p, str)), "")
    kinds = ", ".join(rule_kinds())
    if field == "kind" or issue.error_type in ("union_tag_invalid", "union_tag_not_found"):
        return f"kind là một trong: {kinds}" if vi else f"kind is one of: {kinds}"
    if issue.error_type == "extra_forbidden":
        by_kind = rule_kinds()
        model = by_kind.get(kind) if kind is not None else None
        here = _fields_at(model, issue.loc[2:-1]) if model is not None else None
        models = list(by_kind.values())
        vocabulary = here or set().union(*(_field_names(m) for m in models)) | set(RuleSet.model_fields)
        close = difflib.get_close_matches(field, sorted(vocabulary), n=1)
        if close:
            return f"có phải ý là '{close[0]}'?" if vi else f"did you mean '{close[0]}'?"
        return "bỏ mục này đi" if vi else "remove this field"
    if issue.error_type == "duplicate_id":
        return "mỗi luật cần một id riêng" if vi else "give each rule an id of its own"
    if issue.error_type == "string_pattern_mismatch":
        return (
            "chữ thường không dấu, số và '-', ví dụ dat-kho-khu-a"
            if vi
            else "lower-case letters without accents, digits and '-', e.g. dry-soil-khu-a"
        )
    if field == "cron":
        return (
            "phút giờ ngày tháng thứ, ví dụ '0 6,16 * * *' = 6 giờ và 16 giờ hằng ngày"
            if vi
            else "minute hour day month weekday, e.g. '0 6,16 * * *' = 06:00 and 16:00 every day"
        )
    if field.endswith("_s"):
        return "tính bằng giây: 300 = 5 phút, 3600 = 1 giờ" if vi else "in seconds: 300 = 5 min, 3600 = 1 h"
    if field.endswith("_pct"):
        return "phần trăm, từ 0 đến 100" if vi else "a percentage, 0 to 100"
    if field in ("below", "above"):
        return "một con số, ví dụ 28" if vi else "a number, e.g. 28"
    return None


@dataclass(frozen=True)
class _RuleName:
    id: str
    name: str
    kind: str | None

    def __str__(self) -> str:
        return f"'{self.id}' ({self.name})" if self.name else f"'{self.id}'"


def _rule_names(text: str) -> list[_RuleName | None]:
    """The id and name of each rule as written, even when the rule itself is invalid."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        return []
    return [
        _RuleName(str(r.get("id", "?")), str(r.get("name", "")), _text(r.get("kind"))) if isinstance(r, dict) else None
        for r in rules
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


_FILE = "(file)"  # the field of a problem with the file as a whole


class Problem(BaseModel):
    """One problem of a rule file, as data: for a page that shows it next to the field it is about."""

    rule_index: int | None  # the rule's place in the file (0-based); None for the file as a whole
    rule_id: str | None
    rule_name: str | None
    line: int | None
    field: str  # dotted, inside the rule when there is one: ``action.on_for_s``
    message: str  # in the language asked for
    hint_vi: str | None
    hint_en: str | None


def problems_of(error: ConfigError, text: str, lang: Lang) -> list[Problem]:
    """The field problems of ``error`` in the rule file ``text``, sorted by line, worded in ``lang``; a file that
    could not be read or parsed gives one problem for the file."""
    if not error.issues:
        return [
            Problem(
                rule_index=None,
                rule_id=None,
                rule_name=None,
                line=None,
                field=_FILE,
                message=p,
                hint_vi=None,
                hint_en=None,
            )
            for p in error.lines(lang)
        ]
    names = _rule_names(text)
    problems = []
    for issue in error.issues:
        loc, index, name = issue.loc, None, None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            index = loc[1]
            name = names[index] if index < len(names) else None
            field = dotted(loc[2:]) if len(loc) > 2 else "(rule)"
        else:
            field = dotted(loc)
        kind = name.kind if name is not None else None
        problems.append(
            Problem(
                rule_index=index,
                rule_id=name.id if name else None,
                rule_name=name.name or None if name else None,
                line=issue.line,
                field=field,
                message=issue.text(lang),
                hint_vi=hint(issue, "vi", kind),
                hint_en=hint(issue, "en", kind),
            )
        )
    return problems


def explain(error: ConfigError, text: str, lang: Lang) -> list[str]:
    """The error's problems in the rule file ``text`` as blocks of lines, one block per problem."""
    return blocks(problems_of(error, text, lang), lang)


def blocks(problems: list[Problem], lang: Lang) -> list[str]:
    """Problems as a terminal shows them: where (rule, line, field), what is wrong, and a hint."""
    lines: list[str] = []
    for p in problems:
        if p.field == _FILE:  # the file itself: its line already says where
            lines.append(p.message)
            continue
        where = f"{pick(_WORDS['line'], lang)} {p.line}, " if p.line else ""
        if p.rule_index is None:
            who = pick(_WORDS["file"], lang)
        else:
            named = str(_RuleName(p.rule_id, p.rule_name or "", None)) if p.rule_id else f"#{p.rule_index + 1}"
            who = f"{pick(_WORDS['rule'], lang)} {named}"
        lines.append(f"✗ {who} — {where}{pick(_WORDS['field'], lang)} {p.field}:")
        lines.append(f"    {p.message}")
        tip = p.hint_vi if lang == "vi" else p.hint_en
        if tip:
            lines.append(f"    {pick(_WORDS['hint'], lang)}: {tip}")
    return lines
