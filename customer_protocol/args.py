"""Argument checks of the SDK methods; each failure is ``INVALID_ARGS`` with its reason text."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidArgumentsError

__all__ = [
    "check_chat",
    "check_customer",
    "check_file_size",
    "check_json",
    "check_limit",
    "check_mapping",
    "check_offset",
    "check_optional_str",
    "check_properties",
    "check_str_list",
]

CHATS_SUMMARY_MAX_LIMIT = 25
THREADS_SUMMARY_MAX_LIMIT = 1000


def check_chat(chat: Any, what: str = "chat") -> str:
    """A chat (or thread) id: a non-empty string."""
    if not isinstance(chat, str) or not chat:
        raise InvalidArgumentsError(f"'{what}' must be a non-empty string.")
    if not chat.isascii():
        check_json(chat, f"'{what}'")
    return chat


def check_offset(offset: Any) -> int:
    """A pagination offset: an integer >= 0."""
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidArgumentsError("'offset' must be a non-negative integer.")
    return offset


def check_limit(limit: Any, maximum: int) -> int:
    """A pagination limit: an integer from 1 to ``maximum``."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidArgumentsError("'limit' must be a positive integer.")
    if limit > maximum:
        raise InvalidArgumentsError(f"Specified limit is too high (max {maximum}).")
    return limit


def check_optional_str(value: Any, what: str) -> str | None:
    """``None`` or a string."""
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentsError(f"'{what}' must be a string.")
    return value


def check_str_list(value: Any, what: str) -> list[str]:
    """A non-empty sequence of non-empty strings (not a string itself)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise InvalidArgumentsError(f"'{what}' must be a non-empty list of strings.")
    for item in value:
        if not isinstance(item, str) or not item:
            raise InvalidArgumentsError(f"'{what}' must be a non-empty list of strings.")
    return list(value)


def check_mapping(value: Any, what: str) -> dict[str, Any]:
    """A mapping with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidArgumentsError(f"'{what}' must be an object with string keys.")
    return dict(value)


def check_properties(value: Any) -> dict[str, dict[str, Any]]:
    """Properties in the flat update form ``{namespace: {name: value}}``."""
    properties = check_mapping(value, "properties")
    for namespace, names in properties.items():
        properties[namespace] = check_mapping(names, f"properties.{namespace}")
    return properties


def check_str_fields(value: Any) -> dict[str, str]:
    """Customer fields: string keys to string values."""
    fields = check_mapping(value, "fields")
    if not all(isinstance(v, str) for v in fields.values()):
        raise InvalidArgumentsError("'fields' values must be strings.")
    return fields


def check_file_size(size: int, maximum: int) -> None:
    """The ``send_file`` size limit."""
    if size > maximum:
        raise InvalidArgumentsError(
            f"The file is too big (max size is {maximum / 1048576:.2f} MB)."
        )


_JSON_DEPTH = 64


def check_json(value: Any, what: str = "The arguments") -> None:
    """Strict JSON that the wire codec can send: no NaN/infinity, no lone surrogates, string
    keys, integers in 64 bits, no cycles or nesting deeper than 64. Checked when a method is
    called, so a bad value never surfaces later from inside the client (a flush, a timer)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        reason = None
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not -(2**63) <= item < 2**64:
                reason = "an integer does not fit in 64 bits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                reason = "NaN and infinite numbers are not JSON"
        elif isinstance(item, str):
            if not item.isascii() and not _utf8(item):
                reason = "a string holds a lone surrogate"
        elif depth >= _JSON_DEPTH:
            reason = "it is nested too deep"
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or not (key.isascii() or _utf8(key)):
                    reason = "object keys must be strings"
                    break
                stack.append((child, depth + 1))
        else:
            reason = f"{type(item).__name__} is not a JSON type"
        if reason is not None:
            raise InvalidArgumentsError(f"{what} must be JSON: {reason}.")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_customer(customer: Any) -> dict[str, Any]:
    """What the client knows of the customer (``name``, ``email``, ``fields``, ``monitoring``)."""
    info = check_mapping(customer, "customer")
    unknown = set(info) - {"name", "email", "fields", "monitoring"}
    if unknown:
        raise InvalidArgumentsError(f"Unknown customer keys: {sorted(unknown)}.")
    check_optional_str(info.get("name"), "name")
    check_optional_str(info.get("email"), "email")
    if "fields" in info:
        info["fields"] = check_str_fields(info["fields"])
    check_json(info, "The customer")
    return info
