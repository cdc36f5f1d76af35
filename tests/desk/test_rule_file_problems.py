"""A rule file with several mistakes: all reported at once, sorted by line, each at its rule, line and field, in
Vietnamese or English, with no pydantic or APScheduler English inside the Vietnamese; a bad crontab line names the
field that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.check import check_text
from greenhouse.cli import main

PYDANTIC_ENGLISH = ("Input should", "Field required", "Extra inputs", "Value error", "String should", "should be")

BAD = """\
version: 1
rules:
  - id: dry-soil-khu-a
    name: "Đất khô khu A"
    kind: threshold
    metric: {sensors: [soil-a1]}
    belw: 28
    for_s: -5
    action: {actuator: valve-a, on_for_s: 480}
  - id: tuoi-sang
    kind: schedule
    cron: "0 25 * * *"
    action: {actuator: valve-a, on_for_s: 300}
  - id: Tuoi Chieu
    kind: schedule
    every_s: 3600
    between: {from: '06:00', to: 17:00}
    action: {actuator: valve-a, on_for_s: 300, position_pct: 140}
"""
# (line, rule, field) of each mistake, in the order of the file.
WHERE = [
    (7, "dry-soil-khu-a", "belw"),
    (8, "dry-soil-khu-a", "for_s"),
    (12, "tuoi-sang", "cron"),
    (14, "Tuoi Chieu", "id"),
    (17, "Tuoi Chieu", "between.to"),
    (18, "Tuoi Chieu", "action.position_pct"),
]


def test_every_mistake_of_a_rule_file_is_given_sorted_with_rule_line_and_field_in_both_languages() -> None:
    _, vi = check_text(BAD, [], "vi")
    _, en = check_text(BAD, [], "en")
    for answer in (vi, en):
        assert not answer.ok
        assert [(p.line, p.rule_id, p.field) for p in answer.problems] == WHERE
    said_vi = [p.message for p in vi.problems]
    said_en = [p.message for p in en.problems]
    assert said_vi[0].startswith("không có mục này") and said_en[0] == "unknown field (misspelt?)"
    assert said_vi[1] == "phải lớn hơn 0 (đang là -5)" and said_en[1] == "must be greater than 0 (got -5)"
    assert said_vi[2] == "giờ phải từ 0 đến 23: '25'" and said_en[2] == "the hour must be from 0 to 23: '25'"
    assert said_vi[3].startswith("viết sai dạng") and said_en[3].startswith("should match pattern")
    assert said_vi[4].startswith('viết giờ trong ngày trong dấu nháy, ví dụ "17:00"')
    assert said_en[4].startswith('write the time of day in quotes, e.g. "17:00"')
    assert said_vi[5] == "không được lớn hơn 100 (đang là 140)"
    assert said_en[5] == "must be less than or equal to 100 (got 140)"
    for message in said_vi:
        assert not any(phrase in message for phrase in PYDANTIC_ENGLISH), message


def test_rules_check_prints_them_all_in_order_in_the_language_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD, encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 1
    vi = capsys.readouterr().err
    assert f"{path}: 6 lỗi" in vi
    heads = [line for line in vi.splitlines() if line.startswith("✗ ")]
    assert [int(h.split("dòng ")[1].split(",")[0]) for h in heads] == [line for line, _, _ in WHERE]
    assert "✗ Luật 'tuoi-sang' — dòng 12, mục cron:\n    giờ phải từ 0 đến 23: '25'\n" in vi
    assert not any(phrase in vi for phrase in PYDANTIC_ENGLISH)
    assert main(["rules", "check", str(path), "--lang", "en"]) == 1
    en = capsys.readouterr().err
    assert "✗ Rule 'tuoi-sang' — line 12, field cron:\n    the hour must be from 0 to 23: '25'\n" in en


@pytest.mark.parametrize(
    ("cron", "vi", "en"),
    [
        ("61 6 * * *", "phút phải từ 0 đến 59: '61'", "the minute must be from 0 to 59: '61'"),
        ("0 6 32 * *", "ngày trong tháng phải từ 1 đến 31: '32'", "the day of the month must be from 1 to 31: '32'"),
        ("0 6 * 13 *", "tháng phải từ 1 đến 12: '13'", "the month must be from 1 to 12: '13'"),
        ("0 6 * mars *", "không hiểu tháng 'mars'", "cannot read the month 'mars'"),
        ("0 6 * * 1-5", "viết thứ bằng tên (mon, tue, … sun)", "name the weekdays (mon, tue, … sun)"),
        ("0 18-6 * * *", "khoảng giờ '18-6' phải đi từ nhỏ đến lớn", "the hour range '18-6' must go from low to high"),
        ("*/0 6 * * *", "bước nhảy của phút phải từ 1 đến 59: '*/0'", "the minute step must be from 1 to 59: '*/0'"),
        ("0 6 * *", "dòng crontab có 5 phần", "not a crontab line: it has 5 fields"),
    ],
)
def test_a_bad_crontab_line_names_the_field_in_both_languages(cron: str, vi: str, en: str) -> None:
    text = f"version: 1\nrules:\n  - id: tuoi\n    kind: schedule\n    cron: '{cron}'\n"
    text += "    action: {actuator: valve-a, on_for_s: 300}\n"
    for lang, words in (("vi", vi), ("en", en)):
        [problem] = check_text(text, [], lang)[1].problems
        assert (problem.line, problem.field) == (5, "cron")
        assert words in problem.message
        assert "APScheduler" not in problem.message and "Increment" not in problem.message


def test_a_good_crontab_line_passes() -> None:
    text = "version: 1\nrules:\n  - id: tuoi\n    kind: schedule\n    cron: '*/15 6-18 * jan-mar mon-fri'\n"
    text += "    action: {actuator: valve-a, on_for_s: 300}\n"
    ruleset, answer = check_text(text, [], "vi")
    assert ruleset is not None and answer.ok
