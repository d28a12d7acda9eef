"""Checks of request payloads; every failure is an :class:`ApiError` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CUSTOMER_EVENT_TYPES",
    "ApiError",
    "check_customer_update",
    "check_event",
    "check_flat_properties",
    "check_scopes",
    "get_int",
    "get_object",
    "get_str",
    "to_read_form",
]

CUSTOMER_EVENT_TYPES: Final = frozenset(
    {"message", "annotation", "filled_form", "file", "custom", "system_message"}
)
_SERVER_SET: Final = ("id", "order", "timestamp", "author_id")


class ApiError(Exception):
    """A request that fails with the error ``type`` of ``wire.md`` section 6 and ``message``."""

    def __init__(self, type: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.type = type
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` object of an error response."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def _invalid(name: str, what: str) -> ApiError:
    return ApiError("validation", f"{name}: {what}")


def _lookup(payload: Mapping[str, Any], key: str, name: str, required: bool) -> Any:
    """``payload[key]``; ``None`` when absent or null (an error when ``required``)."""
    value = payload.get(key)
    if value is None and required:
        raise _invalid(name, "is required")
    return value


def get_str(
    payload: Mapping[str, Any], key: str, *, required: bool = True, name: str | None = None
) -> str | None:
    """``payload[key]`` as a non-empty string (``None`` when optional and absent)."""
    name = name or key
    value = _lookup(payload, key, name, required)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _invalid(name, "must be a non-empty string")
    return value


def get_int(
    payload: Mapping[str, Any],
    key: str,
    *,
    default: int | None,
    minimum: int = 0,
    maximum: int | None = None,
    name: str | None = None,
) -> int | None:
    """``payload[key]`` as an integer in range (``default`` when absent)."""
    name = name or key
    value = _lookup(payload, key, name, required=False)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, "must be an integer")
    if value < minimum:
        raise _invalid(name, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise _invalid(name, f"is too high (max {maximum})")
    return value


def get_object(
    payload: Mapping[str, Any], key: str, *, required: bool = False, name: str | None = None
) -> dict[str, Any] | None:
    """``payload[key]`` as a JSON object (``None`` when optional and absent)."""
    name = name or key
    value = _lookup(payload, key, name, required)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    return value


def check_flat_properties(value: Any, name: str = "properties") -> dict[str, dict[str, Any]]:
    """Update-form properties ``{namespace: {name: value}}``."""
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object of namespaces")
    for namespace, entries in value.items():
        if not namespace:
            raise _invalid(name, "namespace names must not be empty")
        if not isinstance(entries, dict):
            raise _invalid(f"{name}.{namespace}", "must be an object")
        for key in entries:
            if not key:
                raise _invalid(f"{name}.{namespace}", "property names must not be empty")
    return value


def check_scopes(value: Any, name: str) -> list[int]:
    """A scopes object ``{"groups": [int, ...]}``; returns the groups."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    groups = value.get("groups", [])
    if not isinstance(groups, list) or any(
        isinstance(g, bool) or not isinstance(g, int) or g < 0 for g in groups
    ):
        raise _invalid(f"{name}.groups", "must be a list of non-negative integers")
    return list(dict.fromkeys(groups))


def check_customer_update(value: Any, name: str = "customer") -> dict[str, Any]:
    """A customer object of ``login``/``update_customer``: ``name?, email?, fields?,
    monitoring?``; returns the fields that were given."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    out: dict[str, Any] = {}
    for key in ("name", "email"):
        if key in value and value[key] is not None:
            if not isinstance(value[key], str):
                raise _invalid(f"{name}.{key}", "must be a string")
            out[key] = value[key]
    fields = value.get("fields")
    if fields is not None:
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise _invalid(f"{name}.fields", "must be an object of strings")
        out["fields"] = dict(fields)
    monitoring = value.get("monitoring")
    if monitoring is not None:
        if not isinstance(monitoring, dict):
            raise _invalid(f"{name}.monitoring", "must be an object")
        out["monitoring"] = monitoring
    return out


def _opt_str(event: Mapping[str, Any], key: str, name: str, *, required: bool = False) -> None:
    if key not in event or event[key] is None:
        if required:
            raise _invalid(f"{name}.{key}", "is required")
        return
    if not isinstance(event[key], str):
        raise _invalid(f"{name}.{key}", "must be a string")


def _check_form_fields(fields: Any, name: str) -> None:
    if not isinstance(fields, list):
        raise _invalid(f"{name}.fields", "must be a list")
    for index, item in enumerate(fields):
        where = f"{name}.fields[{index}]"
        if not isinstance(item, dict):
            raise _invalid(where, "must be an object")
        _opt_str(item, "type", where, required=True)
        _opt_str(item, "name", where, required=True)
        if "options" in item and not isinstance(item["options"], list):
            raise _invalid(f"{where}.options", "must be a list")


def check_event(value: Any, name: str = "event") -> dict[str, Any]:
    """An event a customer sends; returns a copy without the server-set fields.

    Raises :class:`ApiError` (``validation``) for a missing or unknown ``type``, a
    ``system_message`` (customers cannot send one) and missing or mistyped fields.
    """
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise _invalid(f"{name}.type", "is required")
    if kind not in CUSTOMER_EVENT_TYPES:
        raise _invalid(f"{name}.type", f"unknown event type {kind!r}")
    if kind == "system_message":
        raise _invalid(f"{name}.type", "a customer cannot send a system_message")
    if kind == "message":
        _opt_str(value, "text", name, required=True)
    elif kind == "annotation":
        _opt_str(value, "annotation_type", name, required=True)
        _opt_str(value, "text", name)
    elif kind == "filled_form":
        _check_form_fields(value.get("fields"), name)
    elif kind == "file":
        _opt_str(value, "url", name, required=True)
        _opt_str(value, "name", name)
        _opt_str(value, "content_type", name)
        for key in ("size", "width", "height"):
            if key in value and (isinstance(value[key], bool) or not isinstance(value[key], int)):
                raise _invalid(f"{name}.{key}", "must be an integer")
    elif "content" not in value:  # custom
        raise _invalid(f"{name}.content", "is required")
    _opt_str(value, "custom_id", name)
    if "custom_id" in value and value["custom_id"] == "":
        raise _invalid(f"{name}.custom_id", "must not be empty")
    event = {k: v for k, v in value.items() if k not in _SERVER_SET}
    if event.get("custom_id") is None:
        event.pop("custom_id", None)
    props = event.pop("properties", None)
    if props is not None:
        event["properties"] = to_read_form(check_flat_properties(props, f"{name}.properties"))
    return event


def to_read_form(flat: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{ns: {name: v}}`` → ``{ns: {name: {"value": v}}}``."""
    return {ns: {key: {"value": v} for key, v in entries.items()} for ns, entries in flat.items()}
