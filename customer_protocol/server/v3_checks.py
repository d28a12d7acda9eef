"""Checks of v3.x request payloads and the opaque page ids of ``list_chats``/``list_threads``.

Every failure is an :class:`~customer_protocol.server.validation.ApiError` ``validation`` naming
the field, as in v0.3.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final

from customer_protocol.codec import dumps, loads
from customer_protocol.errors import RemoteProtocolError

from .validation import ApiError, check_flat_properties, to_read_form

__all__ = [
    "V3_EVENT_TYPES",
    "check_bool",
    "check_delete_properties",
    "check_group_id",
    "check_session_fields",
    "check_v3_event",
    "decode_page",
    "encode_page",
]

V3_EVENT_TYPES: Final = frozenset({"message", "file", "filled_form", "custom", "rich_message"})
"""What a customer may send (``system_message``, ``form`` and ``system`` come from the server)."""
_SERVER_SET: Final = ("id", "order", "timestamp", "created_at", "author_id", "deleted")
MAX_SESSION_FIELDS: Final = 100
_DIGITS: Final = re.compile(r"[0-9]{1,9}")


def _invalid(name: str, what: str) -> ApiError:
    return ApiError("validation", f"{name}: {what}")


def check_bool(payload: Mapping[str, Any], key: str, default: bool | None, name: str = "") -> Any:
    """``payload[key]`` as a bool (``default`` when absent)."""
    value = payload.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(name or key, "must be a boolean")
    return value


def check_group_id(value: Any, name: str, *, required: bool = True) -> int | None:
    """A group id: a non-negative integer (a decimal string too: Web API query strings)."""
    if value is None:
        if required:
            raise _invalid(name, "is required")
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(name, "must be a non-negative integer")
    return value


def check_session_fields(value: Any, name: str = "session_fields") -> dict[str, str]:
    """``[{key: value}, ...]`` (string values, at most 100 keys) as an ordered mapping."""
    if not isinstance(value, list):
        raise _invalid(name, "must be a list of one-key objects")
    fields: dict[str, str] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or len(item) != 1:
            raise _invalid(f"{name}[{index}]", "must be an object with one key")
        ((key, text),) = item.items()
        if not key or not isinstance(text, str):
            raise _invalid(f"{name}[{index}]", "must map a non-empty key to a string")
        fields[key] = text
    if len(fields) > MAX_SESSION_FIELDS:
        raise _invalid(name, f"at most {MAX_SESSION_FIELDS} keys")
    return fields


def check_delete_properties(value: Any, name: str = "properties") -> dict[str, list[str]]:
    """Delete-form properties ``{namespace: [name, ...]}``."""
    if not isinstance(value, dict) or not value:
        raise _invalid(name, "must be a non-empty object of namespaces")
    out: dict[str, list[str]] = {}
    for namespace, names in value.items():
        if not namespace:
            raise _invalid(name, "namespace names must not be empty")
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise _invalid(f"{name}.{namespace}", "must be a list of property names")
        out[namespace] = list(names)
    return out


def _opt_str(event: Mapping[str, Any], key: str, name: str, *, required: bool = False) -> None:
    if event.get(key) is None:
        if required:
            raise _invalid(f"{name}.{key}", "is required")
        return
    if not isinstance(event[key], str):
        raise _invalid(f"{name}.{key}", "must be a string")


def check_v3_event(value: Any, name: str = "event") -> dict[str, Any]:
    """A v3 event a customer sends; a copy without server-set fields, properties in the
    store's read form."""
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise _invalid(f"{name}.type", "is required")
    if kind not in V3_EVENT_TYPES:
        raise _invalid(f"{name}.type", f"a customer cannot send a {kind!r} event")
    if kind == "message":
        _opt_str(value, "text", name, required=True)
    elif kind == "file":
        _opt_str(value, "url", name, required=True)
        _opt_str(value, "alternative_text", name)
    elif kind == "filled_form":
        fields = value.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise _invalid(f"{name}.fields", "must be a list of objects")
        _opt_str(value, "form_id", name)
    elif kind == "rich_message":
        _opt_str(value, "template_id", name, required=True)
        if "elements" in value and not isinstance(value["elements"], list):
            raise _invalid(f"{name}.elements", "must be a list")
    _opt_str(value, "custom_id", name)
    recipients = value.get("recipients")
    if recipients is not None and recipients not in ("all", "agents"):
        raise _invalid(f"{name}.recipients", "must be 'all' or 'agents'")
    event = {k: v for k, v in value.items() if k not in _SERVER_SET and v is not None}
    if event.get("custom_id") == "":
        del event["custom_id"]
    props = event.pop("properties", None)
    if props is not None:
        event["properties"] = to_read_form(check_flat_properties(props, f"{name}.properties"))
    return event


def encode_page(state: dict[str, Any]) -> str:
    """An opaque page id for a paging state."""
    return base64.urlsafe_b64encode(dumps(state)).decode("ascii")


def decode_page(page_id: Any, kind: str) -> dict[str, Any]:
    """The paging state of a page id made by :func:`encode_page` for ``kind``."""
    if not isinstance(page_id, str) or not page_id:
        raise _invalid("page_id", "must be a non-empty string")
    try:
        state = loads(base64.urlsafe_b64decode(page_id.encode("ascii")))
    except (binascii.Error, ValueError, RemoteProtocolError):
        raise _invalid("page_id", "is not a valid page id") from None
    if not isinstance(state, dict) or state.get("k") != kind:
        raise _invalid("page_id", "is not a valid page id")
    if state.get("s") not in ("asc", "desc") or not _count(state.get("o"), 0, None):
        raise _invalid("page_id", "is not a valid page id")
    size, events = state.get("l"), state.get("m")
    if (size is None) == (events is None) or not _count(size or events, 1, 100):
        raise _invalid("page_id", "is not a valid page id")
    return state


def _count(value: Any, low: int, high: int | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return False
    return high is None or value <= high
