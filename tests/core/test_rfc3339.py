"""RFC 3339 <-> milliseconds (spec/v3.md section 3)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_protocol.rfc3339 import format_ms, parse_ms


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("2019-12-17T07:57:41.512000Z", 1576569461512),
        ("2019-12-17T07:57:41.512999Z", 1576569461512),  # microseconds floored
        ("2019-12-17T07:57:41Z", 1576569461000),
        ("2019-12-17T08:57:41.5+01:00", 1576569461500),
        ("2019-12-17T06:57:41.512-01:00", 1576569461512),
        ("1969-12-31T23:59:59.999Z", -1),
    ],
)
def test_parse(text: str, millis: int) -> None:
    assert parse_ms(text) == millis


@pytest.mark.parametrize(
    "value",
    [
        None,
        1576569461,
        1.5,
        True,
        "",
        "yesterday",
        "2019-13-01T00:00:00Z",
        "2019-12-17",
        "2019-12-17T07:57:41",
        "2019-12-17T07:57:41.512Z ",
        "2019-02-30T00:00:00Z",
        {"a": 1},
        "2019-12-17T07:57:41+24:00",
        "x" * 100,
    ],
)
def test_parse_rejects(value: Any) -> None:
    assert parse_ms(value) is None


@pytest.mark.parametrize(
    "millis", [0, 1, 999, 1576569461512, -1, 4102444800000, -62135596800000, 253402300799999]
)
def test_round_trip(millis: int) -> None:
    text = format_ms(millis)
    assert text.endswith("Z") and len(text.split(".")[1]) == 7
    assert parse_ms(text) == millis


def test_format_sample() -> None:
    assert format_ms(1576569461512) == "2019-12-17T07:57:41.512000Z"


def test_format_pads_early_years() -> None:
    assert format_ms(-62135596800000) == "0001-01-01T00:00:00.000000Z"
