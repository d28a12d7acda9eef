"""RFC 3339 <-> milliseconds (spec/v3.md section 3)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _reference(value: str) -> int | None:
    """The datetime-based conversion parse_ms replaced (kept here as the oracle)."""
    from datetime import UTC, datetime, timedelta

    from customer_protocol.rfc3339 import _PATTERN

    match = _PATTERN.match(value) if len(value) <= 40 else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    millis = (delta.days * 86_400 + delta.seconds) * 1000
    if not zulu:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(hours=24):
            return None
        shift = (offset.days * 86_400 + offset.seconds) * 1000
        millis = millis - shift if sign == "+" else millis + shift
    if fraction:
        millis += int((fraction + "00")[:3])
    return millis


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-29T23:59:59.999999Z",
        "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T23:59:60Z",
        "2024-01-01t23:59:59z",
        "2024-01-01 23:59:59.1-23:59",
        "2024-01-01T23:59:59.123456789+23:99",
        "2024-01-01T00:00:00+00:99",
        "1900-03-01T12:00:00.5-07:30",
        "2023-02-29T00:00:00.1Z",
        "2024-01-01T24:00:00.000Z",
        "2024-01-01 23:59:60.5z",
        "2024-01-01T23:59:59.1234567890Z",
        "2024-01-01T23:59:59.Z",
        "2024-13-01T00:00:00.000000Z",
        "\uff11\uff19\uff17\uff10-01-01T00:00:00.0Z",  # non-ASCII digits
        "1970-01-01T00:00:00.000001Z",
        "1969-12-31T23:59:59.999999Z",
        # LiveChat's 27-character form, each field at and past its limits
        "2024-01-01T23:59:60.000000Z",
        "2024-01-01T23:60:00.000000Z",
        "2024-01-01T24:00:00.000000Z",
        "2024-02-29T00:00:00.000000Z",
        "2023-02-29T00:00:00.000000Z",
        "1900-02-29T00:00:00.000000Z",
        "2000-02-29T00:00:00.000000Z",
        "2024-04-31T00:00:00.000000Z",
        "2024-00-01T00:00:00.000000Z",
        "2024-01-00T00:00:00.000000Z",
        "2024-01-32T00:00:00.000000Z",
        "0000-01-01T00:00:00.000000Z",
        "0001-01-01T00:00:00.000000Z",
        "9999-12-31T23:59:59.999999Z",
        "2024-01-01t23:59:59.999999z",
        "2024-01-01 23:59:59.999999Z",
        "2024-01-01T23:59:59.99999Z0",
        "2024-01-01T23:59:59,999999Z",
        "2024-01-01T23:59:59.99999\u0661Z",
        "2024-01-01T23:59:59.999999\ud800",
    ],
)
def test_parse_agrees_with_datetime(text: str) -> None:
    assert parse_ms(text) == _reference(text)


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("0001-01-01T00:00:00+01:00", -62135596800000 - 3_600_000),
        ("9999-12-31T23:59:59-01:00", 253402300799000 + 3_600_000),
    ],
)
def test_offsets_past_the_datetime_range_are_numbers_not_crashes(text: str, millis: int) -> None:
    # The datetime arithmetic raised OverflowError here (an untyped crash on server data).
    assert parse_ms(text) == millis


# The fixed-layout path for LiveChat's form (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) against the
# datetime oracle, over generated timestamps: every field in and just out of range, every
# fraction length 0-10, both cases of T and Z, offsets, and single-character corruptions.

_FIELDS = st.tuples(
    st.integers(0, 9999),  # year 0 is out of range
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)
_ZONES = st.one_of(
    st.sampled_from(["Z", "z"]),
    st.builds(
        lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
        st.sampled_from("+-"),
        st.integers(0, 25),
        st.integers(0, 99),
    ),
)


@st.composite
def _timestamps(draw: st.DrawFn) -> str:
    year, month, day, hour, minute, second = draw(_FIELDS)
    digits = draw(st.integers(0, 10))
    fraction = "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits))
    )
    if fraction or draw(st.booleans()):  # "." alone is malformed
        fraction = "." + fraction
    separator = draw(st.sampled_from("Tt "))
    return (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{fraction}{draw(_ZONES)}"
    )


@given(_timestamps())
def test_generated_timestamps_agree_with_datetime(text: str) -> None:
    assert parse_ms(text) == _reference(text)


@settings(max_examples=1000)
@given(
    st.tuples(
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.integers(0, 999_999),
    ),
    st.sampled_from("Tt "),
    st.sampled_from("Zz"),
)
def test_livechat_form_agrees_with_datetime(
    fields: tuple[int, ...], separator: str, zone: str
) -> None:
    year, month, day, hour, minute, second, micros = fields
    text = (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f".{micros:06d}{zone}"
    )
    assert len(text) == 27
    assert parse_ms(text) == _reference(text)


def test_every_single_character_corruption_agrees_with_datetime() -> None:
    # Each position of LiveChat's form replaced by every ASCII character and a few others
    # (non-ASCII digits, a lone surrogate, a two-byte letter): exhaustive, not sampled.
    sample = "2024-02-29T23:59:59.999999Z"
    others = ["\u0660", "\u0661", "\uff11", "\u00b2", "\ud800", "\u00e9", "\U0001f600"]
    for position in range(len(sample)):
        for char in [chr(code) for code in range(128)] + others:
            text = sample[:position] + char + sample[position + 1 :]
            assert parse_ms(text) == _reference(text), text


@given(st.text(min_size=20, max_size=30))
def test_arbitrary_text_agrees_with_datetime(text: str) -> None:
    assert parse_ms(text) == _reference(text)


def test_livechat_form_of_a_str_subclass_takes_the_general_path() -> None:
    class Text(str):
        pass

    assert parse_ms(Text("2019-12-17T07:57:41.512000Z")) == 1576569461512


def test_the_minute_memo_stays_bounded_and_right() -> None:
    # More distinct minutes than the memo holds (it empties when full), invalid ones among
    # them (memoised as None), each asked twice: every answer still the reference's.
    from customer_protocol import rfc3339

    texts = [
        f"2024-01-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:07.250000Z"
        for i in range(2000)
    ]
    texts += ["2023-02-29T10:00:00.000000Z", "2024-01-01T24:00:00.000000Z"]
    for text in texts + texts:
        assert parse_ms(text) == _reference(text), text
        assert len(rfc3339._MINUTE_MS) <= rfc3339._MINUTE_MS_SIZE
