"""RFC 3339 timestamps <-> integer milliseconds (``spec/v3.md`` section 3).

LiveChat v3.x sends timestamps as RFC 3339 strings with microseconds
(``"2019-12-17T07:57:41.512000Z"``); the client exposes every timestamp as integer milliseconds
since the epoch, microseconds floored. The reference server goes the other way. Pure functions of
their arguments: no clock is read here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = ["format_ms", "parse_ms"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PATTERN: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,
)


def parse_ms(value: Any) -> int | None:
    """An RFC 3339 string to integer milliseconds since the epoch (sub-millisecond floored).

    Returns ``None`` when ``value`` is not a string in RFC 3339 form (the caller decides whether
    a missing or malformed timestamp is an error).
    """
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _PATTERN.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
    if not zulu:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(hours=24):
            return None
        moment = moment - offset if sign == "+" else moment + offset
    delta = moment - _EPOCH
    millis = (delta.days * 86_400 + delta.seconds) * 1000
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
