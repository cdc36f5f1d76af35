"""Escaping as in the line protocol reference ("Special characters"), at millisecond precision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.storage.line_protocol import bodies, escape_key, escape_measurement, field_value, line
from gateway.storage.model import Point

TS = datetime.fromtimestamp(1465839830.1004, tz=UTC)  # 1465839830100 ms


def weather(measurement: str = "weather", tags: dict[str, str] | None = None, **fields: object) -> str:
    tags = {"location": "us-midwest"} if tags is None else tags
    return line(Point(measurement=measurement, tags=tags, fields=fields, ts=TS))


def test_reference_examples() -> None:
    assert weather(tags={"location": "us,midwest"}, temperature=82.0) == (
        r"weather,location=us\,midwest temperature=82.0 1465839830100"
    )
    assert (
        weather(temperature_str='too"hot"') == r'weather,location=us-midwest temperature_str="too\"hot\"" 1465839830100'
    )
    assert weather(tags={"location place": "us-midwest"}, temperature=82.0) == (
        r"weather,location\ place=us-midwest temperature=82.0 1465839830100"
    )
    assert weather("wea,ther", temperature=82.0) == r"wea\,ther,location=us-midwest temperature=82.0 1465839830100"
    assert weather("wea ther", temperature=82.0) == r"wea\ ther,location=us-midwest temperature=82.0 1465839830100"
    assert weather(**{"temp=rature": 82.0}) == r"weather,location=us-midwest temp\=rature=82.0 1465839830100"
    assert weather(temperature_str="too hot\\cold") == (
        r'weather,location=us-midwest temperature_str="too hot\\cold" 1465839830100'
    )


def test_measurement_escapes_only_commas_and_spaces() -> None:
    assert escape_measurement('a,b c=d"e') == r'a\,b\ c=d"e'


def test_keys_and_tag_values_escape_commas_equals_and_spaces() -> None:
    assert escape_key('Nhà kính 1,khu=A "B"') == r'Nhà\ kính\ 1\,khu\=A\ "B"'


def test_field_types() -> None:
    assert field_value(3) == "3i"
    assert field_value(-(2**63)) == "-9223372036854775808i"
    assert field_value(True) == "true"
    assert field_value(False) == "false"
    assert field_value(20.0) == "20.0"
    assert field_value(0.1) == "0.1"
    assert field_value(1e-5) == "1e-05"
    assert field_value("") == '""'
    assert field_value('say "hi" \\o/') == r'"say \"hi\" \\o/"'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="cannot store"):
        field_value(bad)


def test_tags_are_sorted_by_key() -> None:
    p = Point(measurement="m", tags={"b": "2", "a": "1"}, fields={"x": 1, "y": "s"}, ts=TS)
    assert line(p) == 'm,a=1,b=2 x=1i,y="s" 1465839830100'


def test_bodies_are_cut_by_lines_and_by_bytes() -> None:
    points = [Point(measurement="m", fields={"x": i}, ts=TS) for i in range(5)]
    assert list(bodies(points, 2, 1000)) == [
        b"m x=0i 1465839830100\nm x=1i 1465839830100",
        b"m x=2i 1465839830100\nm x=3i 1465839830100",
        b"m x=4i 1465839830100",
    ]
    assert [b.count(b"\n") + 1 for b in bodies(points, 100, 50)] == [2, 2, 1]
    assert list(bodies([], 2, 1000)) == []


def test_timestamps_before_1970() -> None:
    p = Point(measurement="m", fields={"x": 1.5}, ts=datetime(1969, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC))
    assert line(p) == "m x=1.5 -1"
