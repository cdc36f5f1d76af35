"""A site file with several mistakes: every one reported at once, sorted by line, each with its line and field, in
Vietnamese or English with no pydantic English inside the Vietnamese; a mistake in an anchored block once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.site_file import load_site
from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE

# What pydantic says in English; none of it may reach a Vietnamese reader.
PYDANTIC_ENGLISH = ("Input should", "Field required", "Extra inputs", "Value error", "String should", "should be")


def _site(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, f"test fixture text {old!r} not in the example"
        text = text.replace(old, new, 1)
    (tmp_path / "rules").mkdir(exist_ok=True)
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def _refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    return caught.value


FOUR_MISTAKES = (
    ("timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi_City"),  # our own validator
    ("latitude: 20.85", "latitude: 120.85"),  # a bound
    ("poll_interval_s: 30", "poll_interval_s: fast"),  # not a number
    ("max_on_s: 2400", "max_on_sec: 2400"),  # a misspelt field, inside the &tomato block two houses repeat
    ("protocol: rtu_serial, port: /dev/ttyUSB0", "protocol: rs485, port: /dev/ttyUSB0"),  # not one of the choices
)


def test_every_mistake_of_a_site_file_is_reported_at_once_sorted_with_line_and_field(tmp_path: Path) -> None:
    path = _site(tmp_path, *FOUR_MISTAKES)
    error = _refused(path)
    expected = [
        (_line_of(path, "Asia/Hanoi_City"), "cooperative.timezone"),
        (_line_of(path, "120.85"), "cooperative.latitude"),
        (_line_of(path, "rs485"), "greenhouses[0].buses[0]"),
        (_line_of(path, "poll_interval_s: fast"), "greenhouses[0].poll_interval_s"),
        (_line_of(path, "max_on_sec"), "greenhouses[0].nodes[9].actuators[2].safety.max_on_sec"),
    ]
    assert [(i.line, _dotted(i.loc)) for i in error.issues] == expected
    for lang in ("vi", "en"):
        lines = error.lines(lang)
        assert len(lines) == len(expected)
        for line, (number, field) in zip(lines, expected, strict=True):
            assert line.startswith(f"{path}:{number}: {field}: "), line
    vi, en = error.lines("vi"), error.lines("en")
    assert "không có múi giờ 'Asia/Hanoi_City'" in vi[0] and "unknown time zone 'Asia/Hanoi_City'" in en[0]
    assert "không được lớn hơn 90" in vi[1] and "must be less than or equal to 90" in en[1]
    assert "'rs485' không phải một trong các loại: 'modbus_tcp'" in vi[2] and "'rs485' does not match" in en[2]
    assert "phải là một con số" in vi[3] and "(đang là 'fast')" in vi[3] and "must be a number" in en[3]
    assert "không có mục này" in vi[4] and "unknown field" in en[4]
    for line in vi:
        assert not any(phrase in line for phrase in PYDANTIC_ENGLISH), line
        assert not re.search(r"\b(must|should|unknown|field|got)\b", line), line


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def test_a_mistake_inside_an_anchored_block_is_reported_once_at_the_anchor(tmp_path: Path) -> None:
    # greenhouses[1] and [2] take their nodes from the first house (<<: *tomato): one typo, one report.
    path = _site(tmp_path, ("max_on_s: 2400", "max_on_sec: 2400"))
    error = _refused(path)
    [issue] = error.issues
    assert (issue.line, issue.loc[:2]) == (_line_of(path, "max_on_sec"), ("greenhouses", 0))
    assert len(error.lines("vi")) == len(error.lines("en")) == 1


def test_cross_references_are_each_their_own_problem_at_the_line_of_the_id_they_name(tmp_path: Path) -> None:
    path = _site(
        tmp_path,
        ("valve: valve-b, pump: pump", "valve: valve-c, pump: pump"),
        ("sensor_interlocks: [{sensor: tank-level, min: 15}]", "sensor_interlocks: [{sensor: tank-lvl, min: 15}]"),
        ("bus: cam-bien\n        address: 2", "bus: cam-bien\n        address: 1"),
    )
    error = _refused(path)
    zone, shared, interlock = (_line_of(path, "valve-c"), _line_of(path, "id: weather"), _line_of(path, "tank-lvl"))
    # The zone in the anchored block is the second house's too: still one report.
    assert [i.line for i in error.issues] == sorted([zone, shared, interlock])
    vi, en = error.lines("vi"), error.lines("en")
    assert f"{path}:{zone}: greenhouses[0]: khu 'khu-b': van 'valve-c' không phải thiết bị của nhà này" in vi
    assert f"{path}:{zone}: greenhouses[0]: zone 'khu-b': valve 'valve-c' is not an actuator of this greenhouse" in en
    assert any(f":{shared}:" in line and "2 nút (climate, weather) cùng địa chỉ 1" in line for line in vi)
    assert any(f":{interlock}:" in line and "'tank-lvl'" in line and "khóa liên động" in line for line in vi)


def test_site_check_prints_every_problem_in_the_language_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _site(tmp_path, *FOUR_MISTAKES)
    assert main(["site", "check", str(path)]) == 2
    vi = capsys.readouterr().err
    assert f"greenhouse site: lỗi cấu hình trong {path}: 5 lỗi" in vi
    assert vi.count(f"  {path}:") == 5
    assert not any(phrase in vi for phrase in PYDANTIC_ENGLISH)
    assert main(["site", "check", str(path), "--lang", "en"]) == 2
    en = capsys.readouterr().err
    assert f"greenhouse site: configuration error in {path}: 5 problems" in en
    assert "max_on_sec: unknown field (misspelt?)" in en
    assert main(["site", "check", str(EXAMPLE_SITE)]) == 0
    assert "Hợp lệ — htx-moc-chau: 3 nhà kính" in capsys.readouterr().out
