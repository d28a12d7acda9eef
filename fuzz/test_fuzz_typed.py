"""The typed decoder (``customer_protocol/typed.py``, msgspec) against the general path.

Two client cores, one with :func:`codec.use_msgspec` on and one with it off, are fed the same
``incoming_event`` push variants, valid, near-valid and malformed, as ``str`` and as ``bytes``,
one at a time (``receive``) and in batches (``receive_many``); their outputs (events, error
reports, down to the type of every mapping and the order of every key), their phase and their
next deadline must be identical, on both JSON backends. The typed decoder may only decline
(the general path then decides); it may never accept what the general path rejects or give a
different event.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_protocol import ClientProtocol, codec, typed
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.outputs import Output
from fuzz import samples
from tests.core.harness import Harness
from tests.core.v3.harness3 import V3Harness

pytest.importorskip("msgspec")

CHAT, THREAD = "PJ0MRSHTDG", "PZ070E0W1B"
EVENT_V03: dict[str, Any] = {
    "id": f"{THREAD}_7",
    "order": 7,
    "type": "message",
    "author_id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
    "timestamp": 1508414284,
    "text": "Hello! This is message number 7. How can I help you today?",
    "properties": {},
}
EVENT_V3: dict[str, Any] = {
    "id": f"{THREAD}_7",
    "created_at": "2023-11-14T22:13:21.919000Z",
    "recipients": "all",
    "type": "message",
    "properties": {},
    "text": "Hello! This is message number 7. How can I help you today?",
    "author_id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
}
EVENTS = {"0.3": EVENT_V03, "3.6": EVENT_V3}
BACKENDS = ["stdlib", *(["orjson"] if codec._ORJSON_AVAILABLE else [])]


def push(event: Any, **envelope: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "action": "incoming_event",
        "type": "push",
        "payload": {"chat_id": CHAT, "thread_id": THREAD, "event": event},
    }
    message.update(envelope)
    return message


# --------------------------------------------------------------------------------------------
# Comparing two cores


def shape(value: Any) -> Any:
    """``value`` as nested tuples that keep every type, key order and float bit pattern."""
    if isinstance(value, RemoteProtocolError):
        return ("RemoteProtocolError", value.message, value.raw)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, shape(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, Mapping):
        return (type(value).__name__, tuple((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(shape(v) for v in value))
    if isinstance(value, float):
        return ("float", value.hex() if math.isfinite(value) else repr(value))
    return (type(value).__name__, value)


def ready(api: str) -> Harness:
    harness = Harness() if api == "0.3" else V3Harness(api=api)
    harness.connect()
    harness.drain()
    return harness


def run(api: str, messages: list[bytes | str], *, typed_on: bool, batch: bool) -> Any:
    """What a fresh connected core of ``api`` outputs for ``messages``, and where it ends."""
    harness = ready(api)
    client: ClientProtocol = harness.client
    previous = codec.use_msgspec(typed_on)
    try:
        if batch:
            client.receive_many(messages, 5.0)
        else:
            for data in messages:
                client.receive(data, 5.0)
    finally:
        codec.use_msgspec(previous)
    outputs: list[Output] = client.outputs()
    return shape(outputs), client.phase, client.next_deadline()


def same(api: str, messages: list[bytes | str], backend: str = "stdlib") -> None:
    """Both cores give the same outcome, one message at a time and in one batch."""
    previous = codec.use_orjson(backend == "orjson")
    try:
        for batch in (False, True):
            general = run(api, messages, typed_on=False, batch=batch)
            fast = run(api, messages, typed_on=True, batch=batch)
            assert fast == general, messages
    finally:
        codec.use_orjson(previous)


# --------------------------------------------------------------------------------------------
# Variants

_DROP = object()
_INTS = [0, -0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]
_INTS += [2**64 - 1, 2**64, -(2**64) + 1, -(2**64), 10**30, -(10**30)]
_ODD = [None, True, False, "", "x", "\ud800", "a\udc00", [], {}, [1], {"a": 1}, 1.0, 1.5, -0.0]
_ODD += [float("nan"), float("inf"), 1e308, 5e-324]
FIELD_VALUES = st.one_of(
    st.sampled_from(_INTS + _ODD),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
    samples.JSON_VALUES,
)
TIMESTAMPS = st.sampled_from(
    [
        "2023-11-14T22:13:21.919000Z",
        "2023-11-14T22:13:21.9999999Z",
        "2023-11-14T22:13:21.1234567891Z",
        "2023-11-14t22:13:21.919z",
        "2023-11-14 22:13:21Z",
        "2023-11-14T22:13:21+23:59",
        "2023-11-14T22:13:21+24:00",
        "2023-11-14T22:13:21+0100",
        "2023-11-14T22:13:21",
        "2023-11-14T22:13:60Z",
        "2023-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2023-11-14T22:13Z",
        "",
    ]
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


PROPERTIES = st.one_of(
    st.just(_DROP),
    st.sampled_from([None, {}, [], "x", 1, {"ns": {}}, {"ns": 1}, {"ns": []}]),
    st.dictionaries(
        st.text(max_size=4),
        st.dictionaries(st.text(max_size=4), st.sampled_from(_INTS + _ODD), max_size=3),
        max_size=3,
    ),
    st.sampled_from([58, 59, 60, 61, 62, 63, 64]).map(lambda d: {"ns": _deep(d)}),
    samples.JSON_VALUES,
)


_TEXTS = st.one_of(st.text(max_size=12), st.sampled_from(["", "\u00e9\U0001f600", 'a\\b"c\n']))
_OPTIONAL_TEXTS = st.one_of(st.just(_DROP), st.none(), _TEXTS)
_INT64 = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([0, 2**63 - 1, -(2**63)])
)
_SCALARS = st.one_of(st.none(), st.booleans(), _INT64, _TEXTS)
#: Values that keep a message the typed decoder may take (the general path still decides).
VALID: dict[str, st.SearchStrategy[Any]] = {
    "id": _TEXTS,
    "text": _TEXTS,
    "order": _INT64,
    "timestamp": _INT64,
    "type": st.just("message"),
    "author_id": _OPTIONAL_TEXTS,
    "custom_id": _OPTIONAL_TEXTS,
    "thread_id": _OPTIONAL_TEXTS,
    "recipients": _OPTIONAL_TEXTS,
    "created_at": st.one_of(st.just(_DROP), st.none(), TIMESTAMPS),
    "properties": st.one_of(
        st.sampled_from([_DROP, None, {}]),
        st.dictionaries(
            _TEXTS, st.dictionaries(_TEXTS, _SCALARS, max_size=3), min_size=1, max_size=3
        ),
    ),
    "extra": st.just(_DROP),
}


@st.composite
def events(draw: st.DrawFn, api: str) -> Any:
    """The message of ``api`` with 0-4 fields changed, two in three changes keeping it valid."""
    event = dict(EVENTS[api])
    keys = [*event, "author_id", "custom_id", "thread_id", "order", "timestamp", "created_at"]
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from([*keys, "recipients", "extra"]))
        if draw(st.integers(0, 2)):
            new = draw(VALID[key])
        elif key == "properties":
            new = draw(PROPERTIES)
        else:
            new = draw(st.one_of(st.just(_DROP), FIELD_VALUES))
        if new is _DROP:
            event.pop(key, None)
        else:
            event[key] = new
    if draw(st.integers(0, 19)) == 0:
        return draw(FIELD_VALUES)
    return event


@st.composite
def messages(draw: st.DrawFn, api: str) -> Any:
    message = push(draw(events(api)))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        where = draw(st.sampled_from(["envelope", "payload"]))
        target = message if where == "envelope" else message.get("payload")
        if not isinstance(target, dict):
            continue
        key = draw(
            st.sampled_from(
                ["request_id", "type", "action", "payload", "chat_id", "thread_id", "extra"]
            )
        )
        if key == "request_id":
            new = draw(st.sampled_from([_DROP, None, "", "1", "x", 0, 1, False, [], {}]))
        elif key == "action":
            new = draw(st.sampled_from([_DROP, None, "", "incoming_event ", "ping", "x"]))
        elif key == "type":
            new = draw(st.sampled_from([_DROP, None, "", "push", "response", "PUSH"]))
        else:
            new = draw(st.one_of(st.just(_DROP), FIELD_VALUES))
        if new is _DROP:
            target.pop(key, None)
        else:
            target[key] = new
    return message


def _duplicate(text: str, key: str, value: Any, sep: str) -> str:
    """A second ``key`` before the first occurrence of ``key`` (json keeps the last)."""
    token = json.dumps(key) + sep
    index = text.find(token)
    if index < 0:
        return text
    extra = token + json.dumps(value, allow_nan=True) + ("," if sep == ":" else ", ")
    return text[:index] + extra + text[index:]


@st.composite
def wire(draw: st.DrawFn, api: str) -> bytes | str:
    """A message variant, serialised in one of many ways, as ``str`` or ``bytes``."""
    value = draw(messages(api))
    compact = draw(st.booleans())
    sep = ":" if compact else ": "
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        allow_nan=True,
        separators=(",", ":") if compact else None,
        indent=draw(st.sampled_from([None, None, 0, 1])),
        sort_keys=draw(st.booleans()),
    )
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        kind = draw(
            st.sampled_from(
                ["none", "dup", "space", "trailing", "bom", "escape", "number", "surrogate"]
            )
        )
        if kind == "dup":
            key = draw(st.sampled_from([*EVENTS[api], "type", "payload", "chat_id", "event"]))
            text = _duplicate(text, key, draw(FIELD_VALUES), sep)
        elif kind == "space":
            ws = draw(st.sampled_from([" ", "\t", "\n", "\r\n", "\x0c", "\u00a0", " \n\t"]))
            text = draw(st.sampled_from([ws + text, text + ws, ws + text + ws]))
        elif kind == "trailing":
            text += draw(st.sampled_from(["x", "{}", " 1", ",", "\x00", "]"]))
        elif kind == "bom":
            text = "\ufeff" + text
        elif kind == "escape":  # a plain character spelt as an escape, or an odd escape
            old = draw(st.sampled_from(["e", "H", "1", "/", "_"]))
            new = draw(st.sampled_from(["\\u0065", "\\u0048", "\\/", "\\u00e9", "\\x41"]))
            text = text.replace(old, new, 1)
        elif kind == "number":
            old = draw(st.sampled_from(["7", "1508414284", "0", "1"]))
            new = draw(st.sampled_from(["7.0", "7e0", "-0", "07", "1E400", "NaN", "-7", "+7"]))
            text = text.replace(old, new, 1)
        elif kind == "surrogate":
            text = text.replace("Hello", draw(st.sampled_from(["\\ud800", "\\udc00x", "\ud800"])))
    form = draw(st.sampled_from(["str", "str", "bytes", "bytes", "bytes", "invalid_utf8"]))
    if form == "str":
        return text
    data = text.encode("utf-8", "surrogatepass")
    if form == "invalid_utf8":
        index = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80", b"\xc0\xaf"]))
        data = data[:index] + bad + data[index:]
    return data


# --------------------------------------------------------------------------------------------
# The properties


def test_the_base_pushes_take_the_typed_path() -> None:
    # Else every comparison below could pass with a typed decoder that declines everything.
    for api in ("0.3", "3.6"):
        data = json.dumps(push(EVENTS[api])).encode()
        assert typed.decoder_for(api)(data) is not None
        assert typed.decoder_for(api)(data.decode()) is not None
        for backend in BACKENDS:
            same(api, [data], backend)


APIS = st.sampled_from(["0.3", "3.5", "3.6"])


@settings(max_examples=1200)
@given(api=APIS, backend=st.sampled_from(BACKENDS), data=st.data())
def test_typed_decoder_is_the_general_path(api: str, backend: str, data: st.DataObject) -> None:
    same(api, [data.draw(wire("3.6" if api == "3.5" else api))], backend)


@settings(max_examples=300)
@given(api=APIS, backend=st.sampled_from(BACKENDS), data=st.data())
def test_typed_decoder_is_the_general_path_in_batches(
    api: str, backend: str, data: st.DataObject
) -> None:
    dialect = "3.6" if api == "3.5" else api
    valid = json.dumps(push(EVENTS[dialect])).encode()
    batch = data.draw(st.lists(st.one_of(st.just(valid), wire(dialect)), min_size=1, max_size=5))
    same(api, batch, backend)


@settings(max_examples=400)
@given(api=APIS, backend=st.sampled_from(BACKENDS), data=st.data())
def test_typed_decoder_on_mutated_pushes(api: str, backend: str, data: st.DataObject) -> None:
    # The fuzz suite's own structure-aware and byte-level mutations of the push.
    dialect = "3.6" if api == "3.5" else api
    same(api, [data.draw(samples.mutated_bytes(push(EVENTS[dialect])))], backend)


@settings(max_examples=300)
@given(api=APIS, backend=st.sampled_from(BACKENDS), typed_on=st.booleans(), data=st.data())
def test_a_batch_is_its_messages_one_by_one(
    api: str, backend: str, typed_on: bool, data: st.DataObject
) -> None:
    # receive_many settles the clock, the pong deadline and the claim once, and again only
    # after a message that neither the typed decoder nor a dialect's event handler took.
    dialect = "3.6" if api == "3.5" else api
    valid = json.dumps(push(EVENTS[dialect])).encode()
    message = st.one_of(st.just(valid), wire(dialect), samples.mutated_bytes(push(EVENTS[dialect])))
    batch = data.draw(st.lists(message, min_size=1, max_size=6))
    previous = codec.use_orjson(backend == "orjson")
    try:
        one_by_one = run(api, batch, typed_on=typed_on, batch=False)
        together = run(api, batch, typed_on=typed_on, batch=True)
    finally:
        codec.use_orjson(previous)
    if "CloseTransport" not in repr(one_by_one[0]):  # a batch stops there; one by one goes on
        assert together == one_by_one, batch
