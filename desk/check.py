"""``greenhouse rules check``: whether a rule file is good and fits its greenhouses, with every problem at once
(``rules.problems`` puts them in words); and the version a changed rule set must carry."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from contract.config_file import ConfigError, line_in, load_text, parse_model
from contract.messages import RulesReport, text_sha256
from contract.reasons import Lang, pick
from contract.site import Greenhouse
from rules.model import RuleSet, rule_misfits
from rules.problems import Problem, blocks, problems_of

_WORDS: dict[str, tuple[str, str]] = {
    "ok": ("Hợp lệ", "OK"),
    "rules": ("luật", "rules"),
    "version": ("phiên bản", "version"),
    "fits": ("khớp với nhà", "fits greenhouse"),
    "problems": ("lỗi", "problems"),
    "problem": ("lỗi", "problem"),
}


def _count(n: int, lang: Lang) -> str:
    return f"{n} {pick(_WORDS['problem' if n == 1 else 'problems'], lang)}"


class CheckAnswer(BaseModel):
    ok: bool
    version: int | None  # of a rule set that parsed
    kinds: dict[str, int]  # rules of each kind
    problems: list[Problem]


def check_text(
    text: str, greenhouses: list[Greenhouse], lang: Lang, path: Path = Path("rules.yaml")
) -> tuple[RuleSet | None, CheckAnswer]:
    """A rule file given as text (from a page; ``path`` names it): the rule set if it is good and fits every
    greenhouse, and every problem as data in ``lang``, a rule that does not fit a greenhouse at that rule's line."""
    try:
        ruleset = parse_model(text, path, RuleSet)
    except ConfigError as exc:
        return None, CheckAnswer(ok=False, version=None, kinds={}, problems=problems_of(exc, text, lang))
    problems = [
        Problem(
            rule_index=i,
            rule_id=rule.id,
            rule_name=rule.name or None,
            line=line_in(text, ("rules", i)),
            field="(rule)",
            message=f"{g.id}: {misfit.pick(lang)}",
            hint_vi=None,
            hint_en=None,
        )
        for i, rule in enumerate(ruleset.rules)
        for g in greenhouses
        for misfit in rule_misfits(rule, g)
    ]
    answer = CheckAnswer(ok=not problems, version=ruleset.version, kinds=_kinds(ruleset), problems=problems)
    return (None if problems else ruleset), answer


def _kinds(ruleset: RuleSet) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rule in ruleset.rules:
        counts[rule.kind] = counts.get(rule.kind, 0) + 1
    return counts


def check(path: Path, greenhouses: list[Greenhouse], lang: Lang) -> tuple[bool, list[str]]:
    """Whether the rule file is good (and fits each of ``greenhouses``), and what to print: every problem at once,
    sorted by line."""
    try:
        text = load_text(path)
    except ConfigError as exc:
        return False, [f"{path}: {_count(1, lang)}", *exc.lines(lang)]
    ruleset, answer = check_text(text, greenhouses, lang, path)
    if ruleset is None:
        return False, [f"{path}: {_count(len(answer.problems), lang)}", *blocks(answer.problems, lang)]
    summary = ", ".join(f"{kind} {n}" for kind, n in _kinds(ruleset).items())
    fits = f"; {pick(_WORDS['fits'], lang)} {', '.join(g.id for g in greenhouses)}" if greenhouses else ""
    return True, [
        f"{path}: {pick(_WORDS['ok'], lang)} — {pick(_WORDS['version'], lang)} {ruleset.version}, "
        f"{len(ruleset.rules)} {pick(_WORDS['rules'], lang)} ({summary}){fits}"
    ]


def _running_sha256(report: RulesReport, file_text: str | None) -> str | None:
    """Which text the greenhouse runs: the report names a published one; one run from its file has no sha256 in
    the report, and the file's text as known here tells."""
    if report.active_sha256 is not None:
        return report.active_sha256
    return text_sha256(file_text) if report.active_source == "file" and file_text is not None else None


def version_problem(
    ruleset: RuleSet, text: str, running: RulesReport, file_text: str | None, lang: Lang = "en"
) -> Problem | None:
    """A changed rule set must carry a higher version than the set the greenhouse runs (``running``, its report;
    ``file_text``: its rules file as known here): otherwise two different sets would show as the same version on
    every page and log. The very same text again needs no new one."""
    running_version = running.active_version
    if running_version is None or ruleset.version > running_version:
        return None
    if text_sha256(text) == _running_sha256(running, file_text):
        return None
    found = re.search(r"^version\s*:", text, flags=re.MULTILINE)
    return Problem(
        rule_index=None,
        rule_id=None,
        rule_name=None,
        line=text.count("\n", 0, found.start()) + 1 if found else None,
        field="version",
        message=pick(
            (
                f"phải lớn hơn {running_version}, phiên bản nhà kính đang chạy, vì nội dung đã thay đổi",
                f"must be above {running_version}, the version the greenhouse runs, since the text has changed",
            ),
            lang,
        ),
        hint_vi=f"Tăng phiên bản lên {running_version + 1}: nhà kính đang chạy phiên bản {running_version}",
        hint_en=f"Raise the version to {running_version + 1}: the greenhouse runs version {running_version}",
    )
