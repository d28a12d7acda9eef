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


def parse_ms(value: Any) -> int | None:
    """An RFC 3339 string to integer milliseconds since the epoch (sub-millisecond floored).

    Returns ``None`` when ``value`` is not a string in RFC 3339 form (the caller decides whether
    a missing or malformed timestamp is an error).
    """
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
