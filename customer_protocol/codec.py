"""The wire codec: strict JSON and the RTM envelope of ``wire.md`` section 2.

Everything that comes from the network goes through :func:`loads`, which accepts only what a
well-behaved peer can send and raises :class:`~customer_protocol.errors.RemoteProtocolError` for
everything else: invalid UTF-8, invalid JSON, ``NaN``/``Infinity``, lone surrogates, nesting
deeper than :data:`MAX_DEPTH`, integers outside 64 bits. The standard library parser is used by
default; when ``orjson`` is installed (the ``speedups`` extra) it is used instead, with the same
acceptance rules. With ``msgspec`` installed too, the client core decodes its most common push
straight into typed values first (:mod:`customer_protocol.typed`, :func:`use_msgspec`).

Encoding is compact (no spaces) and UTF-8.
"""

from __future__ import annotations

import importlib.util
import json
import json.encoder as _json_encoder
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import RemoteProtocolError
from .models import slot_builder

# orjson is imported on first use, not here: importing it loads ``uuid`` (among others), and
# importing the core must load no randomness, clock or I/O module (design.md).
_orjson: Any = None
_ORJSON_AVAILABLE: bool = importlib.util.find_spec("orjson") is not None
# The same for msgspec (customer_protocol.typed imports it on first use).
_MSGSPEC_AVAILABLE: bool = importlib.util.find_spec("msgspec") is not None

__all__ = [
    "MAX_DEPTH",
    "Push",
    "Request",
    "Response",
    "decode_message",
    "decode_request",
    "dumps",
    "encode_push",
    "encode_request",
    "encode_response",
    "loads",
    "message_from",
    "message_parts",
    "use_msgspec",
    "use_orjson",
]

MAX_DEPTH: Final = 64
"""The deepest nesting of arrays and objects accepted from the network."""

_INT_LIMIT: Final = 2**64
_USE_ORJSON: bool = _ORJSON_AVAILABLE
_USE_MSGSPEC: bool = _MSGSPEC_AVAILABLE
# A run of 20+ digits can be an integer outside 64 bits (the standard library parser then
# range-checks). Regular expressions scan slowly; mapping every digit to "0" (one C pass) and
# searching for twenty of them finds the same runs.
_LONG_DIGITS: Final = re.compile(r"\d{20,}")
_SCAN: Final = bytes.maketrans(b"0123456789[", b"0" * 10 + b"{")
_TWENTY_ZEROS: Final = b"0" * 20
# orjson turns an integer outside [-2**63, 2**64) into a float; below -2**63 it has 19 digits.
# A document with a run of 19+ digits (rare) is parsed by the standard library, which keeps
# every integer up to 64 bits exact and range-checks the longer ones.
_NINETEEN_ZEROS: Final = b"0" * 19
_DIGIT_RUN: Final = re.compile(r"\d{19}")
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def use_orjson(enabled: bool) -> bool:
    """Choose the JSON backend (``True`` needs ``orjson``); returns the previous choice."""
    global _USE_ORJSON  # noqa: PLW0603 - a process-wide switch, like json's own C speedups
    previous = _USE_ORJSON
    if enabled and not _ORJSON_AVAILABLE:
        raise RuntimeError("orjson is not installed (pip install 'customer-protocol[speedups]')")
    _USE_ORJSON = enabled
    return previous


def use_msgspec(enabled: bool) -> bool:
    """Turn the typed decoding of the common push on or off (``True`` needs ``msgspec``);
    returns the previous choice. On by default when ``msgspec`` is installed.

    It changes speed only: a message the typed decoder does not take whole goes the general
    way (:mod:`customer_protocol.typed`). ``use_orjson`` does not change it.
    """
    global _USE_MSGSPEC  # noqa: PLW0603 - a process-wide switch, like use_orjson
    previous = _USE_MSGSPEC
    if enabled and not _MSGSPEC_AVAILABLE:
        raise RuntimeError("msgspec is not installed (pip install 'customer-protocol[speedups]')")
    _USE_MSGSPEC = enabled
    return previous


def _load_orjson() -> Any:
    global _orjson  # noqa: PLW0603 - a lazily imported module
    if _orjson is None:
        import orjson  # noqa: PLC0415 - deferred on purpose, see above

        _orjson = orjson
    return _orjson


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf; orjson rejects it too
        raise ValueError("number out of range")
    return value


def _parse_int(text: str) -> int:
    value = int(text)
    if not -_INT_LIMIT < value < _INT_LIMIT:
        raise ValueError("integer out of 64-bit range")
    return value


_DECODER: Final = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
)
# Without a run of 20+ digits no integer can leave 64 bits: the C scanner parses ints itself.
_DECODER_SHORT_INTS: Final = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float
)
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# JSONEncoder.encode builds a C encoder per call; this one is built once. Without markers (no
# shared state between threads) a cycle ends in RecursionError: on any error the general
# encoder runs again and raises its own error (a cycle, NaN, an unencodable value).
_make_c_encoder: Any = getattr(_json_encoder, "c_make_encoder", None)
_c_basestring: Any = getattr(_json_encoder, "c_encode_basestring", None)
_encode_c: Any = (
    None
    if _make_c_encoder is None or _c_basestring is None
    else _make_c_encoder(None, _ENCODER.default, _c_basestring, None, ":", ",", False, False, False)
)


def _check(value: Any, depth: int, check_strings: bool) -> None:
    """Walk a decoded value: nesting depth, and lone surrogates when escapes were present."""
    if depth >= MAX_DEPTH:  # the outermost container is depth 0
        raise ValueError("nesting too deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if check_strings:
                key.encode("utf-8")
            if isinstance(item, dict | list) or (check_strings and isinstance(item, str)):
                _check(item, depth + 1, check_strings)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) or (check_strings and isinstance(item, str)):
                _check(item, depth + 1, check_strings)
    elif isinstance(value, str):
        value.encode("utf-8")


def _depth_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth (brackets inside strings count too); bytes
    get theirs from the scan in :func:`loads`."""
    return text.count("[") + text.count("{")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse one JSON document from the network, strictly.

    Raises :class:`RemoteProtocolError` (never anything else) when ``data`` is not acceptable.
    """
    raw = data if type(data) is bytes else bytes(data) if not isinstance(data, str) else data
    try:
        if isinstance(raw, bytes):
            # One C pass: digits to "0", "[" to "{" (the digit runs and the bracket count).
            scan = raw.translate(_SCAN)
            if _USE_ORJSON and _NINETEEN_ZEROS not in scan:
                # orjson rejects invalid UTF-8, lone surrogates, NaN/Infinity and overflowing
                # floats itself (tests/core/test_wire_codec.py): only the depth is left.
                value = (_orjson or _load_orjson()).loads(raw)
                if scan.count(b"{") > MAX_DEPTH:
                    _check(value, 0, False)
                return value
            text = raw.decode("utf-8")
            long_digits = _TWENTY_ZEROS in scan
            deep = scan.count(b"{") > MAX_DEPTH
        else:
            if _USE_ORJSON and _DIGIT_RUN.search(raw) is None:
                value = (_orjson or _load_orjson()).loads(raw)
                if _depth_bound(raw) > MAX_DEPTH:
                    _check(value, 0, False)
                return value
            text = raw
            text.encode("utf-8")  # a str may hold lone surrogates that are not escapes
            long_digits = _LONG_DIGITS.search(raw) is not None
            deep = _depth_bound(text) > MAX_DEPTH
        decoder: Any = _DECODER if long_digits else _DECODER_SHORT_INTS  # scan_once: untyped
        try:  # JSONDecoder.decode without its two whitespace matches: a document that
            # starts at 0 and ends at the end is what decode() would return, the same value
            value, end = decoder.scan_once(text, 0)
        except Exception:  # decode() below raises the error, as it words it
            end = -1
        if end != len(text):  # leading/trailing whitespace, extra data, or an error
            value = decoder.decode(text)
        escapes = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
        if escapes or deep:
            _check(value, 0, escapes)
        return value
    except RemoteProtocolError:  # pragma: no cover - nothing above raises it today
        raise
    except (ValueError, RecursionError, TypeError, UnicodeError) as exc:
        # json.JSONDecodeError, orjson.JSONDecodeError and UnicodeDecodeError are ValueErrors.
        raise RemoteProtocolError(f"malformed JSON: {type(exc).__name__}", raw=raw) from None


def dumps(value: Any) -> bytes:
    """Encode ``value`` as compact UTF-8 JSON."""
    if _USE_ORJSON:
        return (_orjson or _load_orjson()).dumps(value)  # type: ignore[no-any-return]
    if _encode_c is not None:
        try:
            return "".join(_encode_c(value, 0)).encode("utf-8")
        except (ValueError, TypeError, RecursionError, OverflowError):
            pass  # raised again, as the general encoder words it
    return _ENCODER.encode(value).encode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """A client request as the server reads it (``wire.md`` section 2)."""

    action: str
    request_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A server response to one request."""

    request_id: str
    action: str
    success: bool
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    """A server push. ``request_id`` is set only on the requester's own connection."""

    action: str
    request_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


# Positional constructors for the hot path (the same instances as the classes' own).
_build_response: Final = slot_builder(Response, ("request_id", "action", "success", "payload"))
_build_push: Final = slot_builder(Push, ("action", "request_id", "payload"))


def _envelope(message: Any, data: bytes | bytearray | memoryview | str) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise RemoteProtocolError("a message must be a JSON object", raw=_raw(data))
    action = message.get("action")
    if not isinstance(action, str) or not action:
        raise RemoteProtocolError("'action' must be a non-empty string", raw=_raw(data))
    payload = message.get("payload")
    if payload is None:
        message["payload"] = {}
    elif not isinstance(payload, dict):
        raise RemoteProtocolError("'payload' must be an object", raw=_raw(data))
    request_id = message.get("request_id")
    if request_id is not None and not isinstance(request_id, str):
        raise RemoteProtocolError("'request_id' must be a string", raw=_raw(data))
    return message


def message_parts(
    value: Any, data: bytes | bytearray | memoryview | str
) -> tuple[bool | None, str | None, str, dict[str, Any]]:
    """:func:`message_from` as ``(success, request_id, action, payload)``; ``success`` is
    ``None`` for a push. Raises :class:`RemoteProtocolError` as :func:`message_from` does.

    A well-formed push or response is read without building its object (the engine's path
    for every answer to a request); anything else goes to :func:`message_from`, which decides.
    """
    if type(value) is dict:
        action = value.get("action")
        payload = value.get("payload")
        if payload is None:
            payload = {}  # an absent or null payload is empty
        if type(action) is str and action and type(payload) is dict:
            kind = value.get("type")
            wire_id = value.get("request_id")
            if kind == "push":
                if wire_id is None or wire_id == "":
                    return None, None, action, payload
                if type(wire_id) is str:
                    return None, wire_id, action, payload
            elif (
                kind == "response"
                and type(wire_id) is str
                and wire_id
                and type(success := value.get("success")) is bool
            ):
                return success, wire_id, action, payload
    message = message_from(value, data)
    if isinstance(message, Response):
        return message.success, message.request_id, message.action, message.payload
    return None, message.request_id, message.action, message.payload


def _raw(data: bytes | bytearray | memoryview | str) -> bytes | str:
    return bytes(data[:200]) if isinstance(data, bytearray | memoryview) else data[:200]


def decode_message(data: bytes | bytearray | memoryview | str) -> Response | Push:
    """Decode one server message into a :class:`Response` or a :class:`Push`.

    A ``ping`` message decodes to a :class:`Push` with action ``"ping"`` (clients ignore it).
    Raises :class:`RemoteProtocolError` for anything malformed.
    """
    return message_from(loads(data), data)


def message_from(value: Any, data: bytes | bytearray | memoryview | str) -> Response | Push:
    """:func:`decode_message` for a document already parsed with :func:`loads` from ``data``."""
    message = _envelope(value, data)
    kind = message.get("type")
    request_id = message.get("request_id") or None
    if kind == "response":
        success = message.get("success")
        if not isinstance(success, bool):
            raise RemoteProtocolError("'success' must be a boolean", raw=_raw(data))
        if request_id is None:
            raise RemoteProtocolError("a response needs a 'request_id'", raw=_raw(data))
        return _build_response(request_id, message["action"], success, message["payload"])
    if kind == "push" or (kind is None and message["action"] == "ping"):
        return _build_push(message["action"], request_id, message["payload"])
    raise RemoteProtocolError("'type' must be 'response' or 'push'", raw=_raw(data))


def decode_request(data: bytes | bytearray | memoryview | str) -> Request:
    """Decode one client request (the server's side of the envelope)."""
    message = _envelope(loads(data), data)
    return Request(
        action=message["action"],
        request_id=message.get("request_id") or None,
        payload=message["payload"],
    )


def encode_request(request_id: str | None, action: str, payload: Mapping[str, Any] | None) -> bytes:
    """Encode a client request; ``payload=None`` leaves the key out."""
    message: dict[str, Any] = {"action": action}
    if request_id is not None:
        message = {"request_id": request_id, "action": action}
    if payload is not None:
        message["payload"] = payload
    return dumps(message)


def encode_response(
    request_id: str, action: str, payload: Mapping[str, Any], *, success: bool = True
) -> bytes:
    """Encode a server response."""
    return dumps(
        {
            "request_id": request_id,
            "action": action,
            "type": "response",
            "success": success,
            "payload": payload,
        }
    )


def encode_push(action: str, payload: Mapping[str, Any], *, request_id: str | None = None) -> bytes:
    """Encode a server push; ``request_id`` only for the requester's own connection."""
    if request_id is None:
        return dumps({"action": action, "type": "push", "payload": payload})
    return dumps({"request_id": request_id, "action": action, "type": "push", "payload": payload})
