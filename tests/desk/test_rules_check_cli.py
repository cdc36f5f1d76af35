"""``greenhouse rules check``: problems named by rule, line and field, with a hint, in Vietnamese or English."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE

BAD = """\
version: 1
rules:
  - id: dry-soil-khu-a
    name: "Đất khô khu A"
    kind: threshold
    metric: {sensors: [soil-a1]}
    belw: 28
    for_s: "năm phút"
    action: {actuator: valve-a, on_for_s: 480}
  - id: tuoi-sang
    kind: schedul
    cron: "0 6 * * *"
  - id: Tuoi Chieu
    kind: schedule
    cron: "0 16 * * *"
    action: {actuator: valve-a, on_for_s: 300, position_pct: 140}
"""


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_each_problem_names_rule_line_field_and_gives_a_hint_in_vietnamese(
    bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(bad_file)]) == 1
    err = capsys.readouterr().err
    assert f"{bad_file}: 5 lỗi" in err
    assert "✗ Luật 'dry-soil-khu-a' (Đất khô khu A) — dòng 7, mục belw:\n" in err
    assert "Gợi ý: có phải ý là 'below'?" in err
    assert "✗ Luật 'dry-soil-khu-a' (Đất khô khu A) — dòng 8, mục for_s:\n" in err
    assert "Gợi ý: tính bằng giây: 300 = 5 phút, 3600 = 1 giờ" in err
    assert "✗ Luật 'tuoi-sang' — dòng 11, mục kind:" in err
    assert "Gợi ý: kind là một trong: threshold, schedule" in err
    assert "✗ Luật 'Tuoi Chieu' — dòng 13, mục id:" in err
    assert "Gợi ý: chữ thường không dấu, số và '-'" in err
    assert "mục action.position_pct:" in err and "Gợi ý: phần trăm, từ 0 đến 100" in err


def test_the_same_in_english(bad_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(bad_file), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "✗ Rule 'dry-soil-khu-a' (Đất khô khu A) — line 7, field belw:\n    unknown field (misspelt?)\n" in err
    assert "Hint: did you mean 'below'?" in err


def test_a_good_file_is_summarised_with_the_greenhouses_it_fits(capsys: pytest.CaptureFixture[str]) -> None:
    rules = EXAMPLE_SITE.parent / "rules" / "tomato.yaml"
    assert main(["rules", "check", str(rules), "--site", str(EXAMPLE_SITE), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "OK — version 1" in out and "fits greenhouse ca-chua-1, ca-chua-2" in out


def test_rules_that_do_not_fit_the_greenhouse_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 2\nrules:\n  - id: water\n    kind: schedule\n    cron: '0 6 * * *'\n"
        "    action: {actuator: valve-z, on_for_s: 300}\n",
        encoding="utf-8",
    )
    code = main(["rules", "check", str(path), "--site", str(EXAMPLE_SITE), "--greenhouse", "rau-la-1"])
    assert code == 1
    assert "✗ Luật 'water' — dòng 3, mục (rule):\n    rau-la-1: nhà 'rau-la-1' không có thiết bị 'valve-z'" in (
        capsys.readouterr().err
    )
    args = ["rules", "check", str(path), "--site", str(EXAMPLE_SITE), "--greenhouse", "rau-la-1", "--lang", "en"]
    assert main(args) == 1
    english = "✗ Rule 'water' — line 3, field (rule):\n    rau-la-1: actuator 'valve-z' is not in greenhouse 'rau-la-1'"
    assert english in capsys.readouterr().err


def test_an_unknown_greenhouse_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rules = EXAMPLE_SITE.parent / "rules" / "tomato.yaml"
    assert main(["rules", "check", str(rules), "--site", str(EXAMPLE_SITE), "--greenhouse", "nha-9"]) == 2
    assert "--greenhouse nha-9: not in" in capsys.readouterr().err


def test_a_file_that_is_not_yaml_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules: [\n", encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 1
    assert f"{path}:3: không phải YAML hợp lệ" in capsys.readouterr().err
    assert main(["rules", "check", str(path), "--lang", "en"]) == 1
    assert f"{path}:3: not valid YAML" in capsys.readouterr().err


def test_hints_use_the_names_written_in_files_and_the_rule_kinds_own_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nrules:\n"
        "  - id: moi-gio\n    kind: schedule\n    every_s: 3600\n    between: {form: '06:00', to: '18:00'}\n"
        "    action: {actuator: valve-a, on_for_s: 60}\n"
        "  - id: lan-luot\n    kind: sequence\n    cron: '0 6 * * *'\n    every_s: 3600\n"
        "    steps: [{actuator: valve-a, on_for_s: 60}]\n",
        encoding="utf-8",
    )
    assert main(["rules", "check", str(path), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "field between.form:\n    unknown field (misspelt?)\n    Hint: did you mean 'from'?" in err
    # A sequence has no every_s: it must not be told to write the very field it wrote.
    assert "field every_s:\n    unknown field (misspelt?)\n    Hint: did you mean 'every_s'?" not in err
    assert "'lan-luot'" in err and "field every_s:" in err
