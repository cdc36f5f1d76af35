"""The site file as the set-up page edits it: read with its sha256, checked, and saved in place of the old one.

The check names every problem at its line and field: what the site model refuses, a cooperative id that
changed (a file belongs to its cooperative), a rules file that is not there, and each rule a greenhouse runs
that would no longer fit it (a sensor or valve taken away). A saved file replaces the old one atomically; the
old one is kept beside it as ``<name>.prev``. The gateway and the edge agents read the site file when they
start, so a saved file runs from their next start; until then the page says it is saved, not running.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from contract.config_file import ConfigError, ConfigIssue, dotted, line_in, parse_model
from contract.durable import write_atomically
from contract.messages import text_sha256
from contract.reasons import Lang, pick
from contract.site import Greenhouse, SiteConfig
from contract.site_file import parse_site
from rules.model import RuleSet, rule_misfits

log = logging.getLogger(__name__)

# The text of the rule set a greenhouse runs now, as the gateway knows it; None when it does not.
RulesOf = Callable[[Greenhouse], str | None]


class SiteProblem(BaseModel):
    line: int | None
    field: str  # dotted: ``greenhouses[0].nodes[1].actuators[0].safety.max_on_s``
    message: str  # what is wrong, in the language asked for
    hint_vi: str | None = None  # what to do, in the technician's words
    hint_en: str | None = None
    greenhouse: str | None = None  # for a rule that would no longer fit
    rule: str | None = None


# Hints by the model's error type, for the mistakes a hand-edited file makes most.
_HINTS: dict[str, tuple[str, str]] = {
    "missing": ("Thiếu mục bắt buộc này", "This field is required"),
    "extra_forbidden": ("Không có mục này: viết sai tên, hoặc đặt nhầm chỗ?", "No such field: misspelt, or misplaced?"),
    "greater_than": ("Cần lớn hơn {limit}", "Must be more than {limit}"),
    "greater_than_equal": ("Cần từ {limit} trở lên", "Must be {limit} or more"),
    "less_than": ("Cần nhỏ hơn {limit}", "Must be less than {limit}"),
    "less_than_equal": ("Cần không quá {limit}", "Must be {limit} or less"),
    "float_parsing": ("Cần một số, ví dụ 1800", "A number is needed, e.g. 1800"),
    "int_parsing": ("Cần một số nguyên, ví dụ 3", "A whole number is needed, e.g. 3"),
    "string_pattern_mismatch": (
        "Chữ thường không dấu, số và '-', ví dụ van-khu-a",
        "Lower-case letters without accents, digits and '-', e.g. valve-khu-a",
    ),
    "path_outside_folder": (
        "Tệp luật phải nằm trong thư mục của tệp cài đặt, ví dụ rules/ca-chua.yaml",
        "The rules file must be in the set-up file's folder, e.g. rules/tomato.yaml",
    ),
}


class SiteCheck(BaseModel):
    ok: bool
    problems: list[SiteProblem]


class SiteFileNow(BaseModel):
    yaml: str
    sha256: str
    running: bool  # the gateway runs this very text; False: saved since it started
    writable: bool


class SiteFileChanged(Exception):
    """The file is no longer the one the page started from: someone saved it meanwhile."""


class SiteFile:
    def __init__(self, path: Path, running: SiteConfig, rules_of: RulesOf) -> None:
        self.path = path
        self._running = running
        self._rules_of = rules_of
        self._running_sha256 = text_sha256(path.read_text(encoding="utf-8"))
        self._saving = threading.Lock()  # two saves at once: the second must see the first's file

    def now(self) -> SiteFileNow:
        text = self.path.read_text(encoding="utf-8")
        sha256 = text_sha256(text)
        writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        return SiteFileNow(yaml=text, sha256=sha256, running=sha256 == self._running_sha256, writable=writable)

    def check(self, text: str, lang: Lang) -> SiteCheck:
        """Every problem of ``text`` at once, sorted by line, worded in ``lang``."""
        try:
            site = parse_site(text, self.path)
        except ConfigError as exc:
            return SiteCheck(ok=False, problems=_problems_of(exc, lang))
        problems = self._cooperative_kept(site, text, lang) + [
            p for i, gh in enumerate(site.greenhouses) for p in self._greenhouse_problems(i, gh, text, lang)
        ]
        problems.sort(key=lambda p: p.line or 0)
        return SiteCheck(ok=not problems, problems=problems)

    def save(self, text: str, base_sha256: str, by: str, lang: Lang) -> SiteCheck:
        """Checks ``text`` and, if good, writes it in place of the file the page started from (``base_sha256``).
        Raises SiteFileChanged if that is no longer the file, OSError if it cannot be written."""
        with self._saving:
            old = self.path.read_text(encoding="utf-8")
            if text_sha256(old) != base_sha256:
                raise SiteFileChanged
            checked = self.check(text, lang)
            if checked.ok:
                write_atomically(self.path.with_name(self.path.name + ".prev"), old.encode())
                write_atomically(self.path, text.encode())
                log.info("site file saved", extra={"by": by, "sha256": text_sha256(text), "path": str(self.path)})
            return checked

    def _cooperative_kept(self, site: SiteConfig, text: str, lang: Lang) -> list[SiteProblem]:
        kept = self._running.cooperative.id
        if site.cooperative.id == kept:
            return []
        loc = ("cooperative", "id")
        return [
            SiteProblem(
                line=line_in(text, loc),
                field=dotted(loc),
                message=pick(
                    (
                        f"phải giữ là {kept!r}: tệp thuộc về hợp tác xã của nó, cùng tài khoản và lịch sử",
                        f"must stay {kept!r}: the file belongs to its cooperative, and the users and history with it",
                    ),
                    lang,
                ),
                hint_vi=f"Giữ mã hợp tác xã là {kept}: tài khoản và lịch sử số liệu đi theo mã này",
                hint_en=f"Keep the cooperative id {kept}: the accounts and the history go with it",
            )
        ]

    def _greenhouse_problems(self, index: int, gh: Greenhouse, text: str, lang: Lang) -> list[SiteProblem]:
        if gh.rules_file is not None and not gh.rules_file.is_file():
            loc = ("greenhouses", index, "rules_file")
            return [
                SiteProblem(
                    line=line_in(text, loc),
                    field=dotted(loc),
                    message=pick((f"không có tệp này: {gh.rules_file}", f"no such file: {gh.rules_file}"), lang),
                    hint_vi="Không có tệp luật này trên gateway: sửa đường dẫn, hoặc bỏ mục này",
                    hint_en="The gateway has no such rules file: correct the path, or remove the field",
                )
            ]
        rules_text = self._rules_of(gh)
        if rules_text is None:
            return []
        try:
            ruleset = parse_model(rules_text, Path(f"{gh.id}-rules.yaml"), RuleSet)
        except ConfigError:
            return []  # not this file's to judge: the rules page shows what is wrong with them
        loc = ("greenhouses", index)
        return [
            SiteProblem(
                line=line_in(text, loc),
                field=dotted(loc),
                greenhouse=gh.id,
                rule=rule.id,
                message=pick(
                    (
                        f"luật {rule.id!r} nhà này đang chạy sẽ không còn khớp: {problem.vi}",
                        f"the rule {rule.id!r} it runs would no longer fit: {problem.en}",
                    ),
                    lang,
                ),
                hint_vi=f"Nhà {gh.id} đang chạy luật {rule.id}: sửa luật đó trước, rồi mới bỏ thiết bị nó dùng",
                hint_en=f"{gh.id} runs the rule {rule.id}: change that rule first, then take away what it uses",
            )
            for rule in ruleset.rules
            for problem in rule_misfits(rule, gh)
        ]


def _problems_of(error: ConfigError, lang: Lang) -> list[SiteProblem]:
    if not error.issues:
        return [SiteProblem(line=None, field="(file)", message=p) for p in error.lines(lang)]
    return [_problem(issue, lang) for issue in error.issues]


def _problem(issue: ConfigIssue, lang: Lang) -> SiteProblem:
    vi, en = (words.format(limit=issue.limit) or None for words in _HINTS.get(issue.error_type, ("", "")))
    return SiteProblem(line=issue.line, field=dotted(issue.loc), message=issue.text(lang), hint_vi=vi, hint_en=en)
