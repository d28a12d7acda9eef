"""RFC 3339 timestamps <-> integer milliseconds (``spec/v3.md`` section 3).

LiveChat v3.x sends timestamps as RFC 3339 strings with microseconds
(``"2019-12-17T07:57:41.512000Z"``); the client exposes every timestamp as integer milliseconds
since the epoch, microseconds floored. The reference server goes the other way. Pure functions of
their arguments: no clock is read here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

__all__ = ["format_ms", "parse_ms"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_PATTERN: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,
)


# The form LiveChat sends (UTC, with a fraction), matched first: the slices below read it.
_UTC_PATTERN: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}\.(\d{1,9})[Zz]\Z", re.ASCII
)


@lru_cache(maxsize=1024)
def _epoch_day(ymd: str) -> int | None:
    """Days from the epoch to the date ``YYYY-MM-DD``, or ``None`` for no such date (cached:
    the timestamps of one conversation share a handful of dates)."""
    try:
        return date(int(ymd[:4]), int(ymd[5:7]), int(ymd[8:10])).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


# LiveChat's own form, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (27 characters), is checked without a
# regular expression: digits map to "0" (and "t"/" " to "T", "z" to "Z") in one C pass and
# the result must be this template; the minute then comes from a cache, the seconds and
# milliseconds from two tables.
_SHAPE: Final = bytes.maketrans(b"123456789t z", b"000000000TTZ")
_TEMPLATE: Final = b"0000-00-00T00:00:00.000000Z"
_SECONDS: Final = {f"{second:02d}": second * 1000 for second in range(60)}  # no "60" and up
_MILLIS: Final = {f"{millis:03d}": millis for millis in range(1000)}


# Milliseconds from the epoch to ``YYYY-MM-DDTHH:MM`` (or ``None`` for no such date, hour or
# minute), memoised in a plain dict (a dict lookup is a third of a cached function's call): a
# conversation's pushes share a few minutes. Bounded: emptied when full. A pure memo of a pure
# function, like ``lru_cache``.
_MINUTE_MS: Final[dict[str, int | None]] = {}
_MINUTE_MS_SIZE: Final = 1024


def _minute_ms(prefix: str) -> int | None:
    """The milliseconds of ``prefix`` (digits already checked), computed and memoised."""
    days = _epoch_day(prefix[:10])
    hours, minutes = int(prefix[11:13]), int(prefix[14:16])
    millis = None
    if days is not None and hours <= 23 and minutes <= 59:
        millis = ((days * 24 + hours) * 60 + minutes) * 60_000
    if len(_MINUTE_MS) >= _MINUTE_MS_SIZE:
        _MINUTE_MS.clear()
    _MINUTE_MS[prefix] = millis
    return millis


def parse_ms(value: Any) -> int | None:
    """An RFC 3339 string to integer milliseconds since the epoch (sub-millisecond floored).

    Returns ``None`` when ``value`` is not a string in RFC 3339 form (the caller decides whether
    a missing or malformed timestamp is an error).
    """
    if (
        type(value) is str
        and len(value) == 27
        and value.isascii()
        and value.encode().translate(_SHAPE) == _TEMPLATE
    ):  # LiveChat's form: the same result as the general path below, sooner
        prefix = value[:16]
        minute = _MINUTE_MS.get(prefix, -1)  # -1: not memoised (never a multiple of 60,000)
        if minute == -1:
            minute = _minute_ms(prefix)
        seconds = _SECONDS.get(value[17:19])
        if minute is None or seconds is None:
            return None
        return minute + seconds + _MILLIS[value[20:23]]
    if not isinstance(value, str) or len(value) > 40:
        return None
    offset = 0
    utc = _UTC_PATTERN.match(value)
    if utc is not None:
        fraction = utc.group(1)
    else:
        match = _PATTERN.match(value)
        if match is None:
            return None
        fraction, zulu, sign, off_h, off_m = match.groups()[6:]
        if not zulu:
            offset = (int(off_h) * 60 + int(off_m)) * 60_000
            if offset >= 86_400_000:
                return None
            if sign == "+":
                offset = -offset
    days = _epoch_day(value[:10])
    hours, minutes, seconds = int(value[11:13]), int(value[14:16]), int(value[17:19])
    if days is None or hours > 23 or minutes > 59 or seconds > 59:  # as datetime() rejects
        return None
    millis = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + offset
    if fraction:
        millis += int((fraction + "00")[:3])
    return millis


def format_ms(millis: int) -> str:
    """Integer milliseconds since the epoch to RFC 3339 with microseconds, in UTC (``Z``)."""
    moment = _EPOCH + timedelta(milliseconds=millis)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )
