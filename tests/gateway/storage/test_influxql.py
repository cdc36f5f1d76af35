from __future__ import annotations

from gateway.storage.influxql import ident, literal, tag_filters, time_range


def test_identifiers_are_double_quoted_and_escaped() -> None:
    assert ident("air temp") == '"air temp"'
    assert ident('a"b\\c') == r'"a\"b\\c"'


def test_literals_are_single_quoted_and_escaped() -> None:
    assert literal("Hà Nội") == "'Hà Nội'"
    assert literal("x' OR '1'='1") == r"'x\' OR \'1\'=\'1'"
    assert literal("back\\") == r"'back\\'"


def test_filters_and_times() -> None:
    assert tag_filters({"b": "2", "a": "1"}) == "\"a\"::tag = '1' AND \"b\"::tag = '2'"
    assert tag_filters({"a": "1"}, cast=False) == "\"a\" = '1'"
    assert time_range(-5, 10) == "time >= -5ms AND time < 10ms"
