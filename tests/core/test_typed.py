"""The typed decoder of the common push (``customer_protocol/typed.py``): its switch, the core
without msgspec, how the engine uses it, and the variants it takes.

``fuzz/test_fuzz_typed.py`` compares it with the general path over many generated variants.
The engine tests here use a stand-in decoder, so they run without msgspec too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from customer_protocol import ClientProtocol, codec, typed
from customer_protocol.errors import LocalProtocolError
from customer_protocol.events import NewEvent, ProtocolErrorReport
from customer_protocol.models import MessageEvent
from customer_protocol.outputs import Output
from tests.core.harness import DROP, Harness, message, of, value, variant
from tests.core.test_fast_paths import MESSAGE
from tests.core.test_sdk_2_exactly_once import send_and_drop
from tests.core.v3.harness3 import V3Harness

V03_EVENT: dict[str, Any] = MESSAGE  # the one-pass builder's own sample message
V3_EVENT: dict[str, Any] = {
    "id": "T1_7",
    "created_at": "2023-11-14T22:13:21.919000Z",
    "recipients": "all",
    "type": "message",
    "properties": {"ns": {"k": 1}},
    "text": "Hello",
    "author_id": "agent-1",
}


def push(event: Any, **envelope: Any) -> bytes:
    message: dict[str, Any] = {
        "action": "incoming_event",
        "type": "push",
        "payload": {"chat_id": "C1", "thread_id": "T1", "event": event},
    }
    message.update(envelope)
    return json.dumps(message).encode()


@pytest.fixture
def restore() -> Iterator[None]:
    previous = codec._USE_MSGSPEC
    try:
        yield
    finally:
        codec._USE_MSGSPEC = previous


# --------------------------------------------------------------------------------------------
# The switch, and the core without msgspec


def test_use_msgspec_switches_and_returns_the_previous_choice(restore: None) -> None:
    pytest.importorskip("msgspec")
    assert codec._MSGSPEC_AVAILABLE
    codec.use_msgspec(True)
    assert codec.use_msgspec(False) is True
    assert codec._USE_MSGSPEC is False
    assert codec.use_msgspec(True) is False
    assert codec._USE_MSGSPEC is True


def test_use_msgspec_without_msgspec(restore: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_MSGSPEC_AVAILABLE", False)
    with pytest.raises(RuntimeError, match="msgspec is not installed"):
        codec.use_msgspec(True)
    codec.use_msgspec(False)  # turning it off always works
    assert codec._USE_MSGSPEC is False


def test_use_orjson_leaves_the_typed_decoder_alone(restore: None) -> None:
    codec._USE_MSGSPEC = True
    previous = codec.use_orjson(False)
    try:
        assert codec._USE_MSGSPEC is True
    finally:
        codec.use_orjson(previous)


def test_the_core_imports_no_msgspec() -> None:
    code = (
        "import sys, customer_protocol, customer_protocol.typed, customer_protocol.engine;"
        "print('msgspec' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("api", ["0.3", "3.6"])
def test_without_msgspec_the_general_path_decodes_everything(
    api: str, restore: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the plain install does: the switch is off and the decoder is never built or tried
    # (a failed import would be caught like any error, hence the record).
    loads: list[str] = []

    def load() -> Any:
        loads.append("load")
        raise ImportError("no msgspec here")

    monkeypatch.setattr(codec, "_MSGSPEC_AVAILABLE", False)
    monkeypatch.setattr(codec, "_USE_MSGSPEC", False)
    monkeypatch.setattr(typed, "_load", load)
    monkeypatch.setattr(typed, "_decode_v03", None)
    monkeypatch.setattr(typed, "_decode_v3", None)
    assert typed.decoder_for(api)(push(V03_EVENT if api == "0.3" else V3_EVENT)) is None
    assert loads == ["load"]  # the record works: a decoder asked would load
    loads.clear()
    h = Harness() if api == "0.3" else V3Harness()
    h.connect()
    event = V03_EVENT if api == "0.3" else V3_EVENT
    out = h.feed(push(event))
    h.client.receive_many([push(event), push(event)], h.now)
    out += h.drain()
    assert [type(e.event) for e in of(out, NewEvent)] == [MessageEvent] * 3
    assert loads == []


_PLAIN_INSTALL = """
import json
from customer_protocol import codec
from customer_protocol.events import NewEvent
from tests.core.harness import Harness, message
assert not codec._MSGSPEC_AVAILABLE and not codec._USE_MSGSPEC
try:
    codec.use_msgspec(True)
except RuntimeError as exc:
    print(exc)
h = Harness()
h.connect()
event = message("e1", 1, "hi")
data = json.dumps({"action": "incoming_event", "type": "push",
                   "payload": {"chat_id": "c1", "thread_id": "t1", "event": event}})
out = h.feed(data)
h.client.receive_many([data.encode()], h.now)
out += h.drain()
print([type(o).__name__ for o in out])
"""


def test_the_core_without_msgspec_installed() -> None:
    # python -S: no site-packages, so neither msgspec nor orjson (the core needs neither).
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-S", "-c", _PLAIN_INSTALL],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},
    )
    assert result.stdout.splitlines() == [
        "msgspec is not installed (pip install 'customer-protocol[speedups]')",
        "['NewEvent', 'NewEvent']",
    ]


# --------------------------------------------------------------------------------------------
# How the engine uses it (a stand-in decoder)


class Stub:
    """A typed decoder that records its calls and answers ``answer`` (``None``: declines)."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.calls: list[bytes | str] = []

    def __call__(self, data: bytes | str) -> Any:
        self.calls.append(data)
        return self.answer


def _ready(stub: Stub) -> Harness:
    h = Harness()
    h.connect()
    h.client._typed_push = stub  # type: ignore[attr-defined]
    return h


MARK = NewEvent(chat="stub", event=MessageEvent(id="stub"))


@pytest.mark.parametrize("batch", [False, True])
def test_the_engine_emits_what_the_typed_decoder_takes(batch: bool, restore: None) -> None:
    codec._USE_MSGSPEC = True
    stub = Stub(MARK)
    h = _ready(stub)
    data = push(V03_EVENT)
    if batch:
        h.client.receive_many([data, data], 1.0)
    else:
        h.client.receive(data, 1.0)
        h.client.receive(data, 1.0)
    assert h.drain() == [MARK, MARK]
    assert stub.calls == [data, data]


@pytest.mark.parametrize("batch", [False, True])
def test_what_the_typed_decoder_declines_goes_the_general_way_once(
    batch: bool, restore: None
) -> None:
    codec._USE_MSGSPEC = True
    stub = Stub(None)
    h = _ready(stub)
    messages = [push(V03_EVENT), b"{", push("not an event")]
    if batch:
        h.client.receive_many(messages, 1.0)
    else:
        for data in messages:
            h.client.receive(data, 1.0)
    out = h.drain()
    assert [type(o) for o in out] == [NewEvent, ProtocolErrorReport, ProtocolErrorReport]
    assert stub.calls == messages  # each tried once, not again inside receive()


@pytest.mark.parametrize("batch", [False, True])
def test_switched_off_the_engine_never_asks_the_typed_decoder(batch: bool, restore: None) -> None:
    codec._USE_MSGSPEC = False
    stub = Stub(MARK)
    h = _ready(stub)
    if batch:
        h.client.receive_many([push(V03_EVENT)], 1.0)
    else:
        h.client.receive(push(V03_EVENT), 1.0)
    assert stub.calls == []
    assert [type(o) for o in h.drain()] == [NewEvent]


@pytest.mark.parametrize("batch", [False, True])
def test_a_push_a_held_send_may_claim_takes_the_general_path(batch: bool, restore: None) -> None:
    # Exactly-once: while a send is held, a push carrying its custom_id resolves it instead of
    # becoming a new_event (reconcile.py); the typed decoder knows nothing of that.
    codec._USE_MSGSPEC = True
    stub = Stub(MARK)
    h = _ready(stub)
    call = send_and_drop(h)
    h.open_and_login()
    mine = message("e-mine", 1, "hello", author="cust", custom_id="cid-1")
    data = push(mine).replace(b'"C1"', b'"c1"')
    if batch:
        h.client.receive_many([data], h.now)
    else:
        h.client.receive(data, h.now)
    out = h.drain()
    assert MARK not in out  # the decoder's event is not used
    assert value(out, call).id == "e-mine"
    assert of(out, NewEvent) == []


def test_the_batch_stops_after_a_message_that_closes_the_transport(restore: None) -> None:
    codec._USE_MSGSPEC = True
    stub = Stub(MARK)
    h = _ready(stub)
    kick = json.dumps(
        {"action": "customer_disconnected", "type": "push", "payload": {"reason": "x"}}
    )
    stub.answer = None
    closed = h.client.receive_many([kick.encode(), push(V03_EVENT)], 1.0)
    assert closed is True
    assert stub.calls == [kick.encode()]


def test_a_message_before_ready_takes_receive_with_its_checks(restore: None) -> None:
    codec._USE_MSGSPEC = True
    stub = Stub(MARK)
    client = ClientProtocol(license_id=1)
    client._typed_push = stub  # type: ignore[attr-defined]
    client.connect(0.0)
    client.outputs()
    with pytest.raises(LocalProtocolError, match="'message' is not valid in phase 'token'"):
        client.receive_many([push(V03_EVENT)], 1.0)  # no transport yet: as receive() raises
    assert stub.calls == []


# --------------------------------------------------------------------------------------------
# The decoders themselves (msgspec)

_DROP = DROP


_variant = variant


# Each: (changes, whether the typed decoder takes it).
V03_VARIANTS: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"properties": _DROP}, True),
    ({"properties": None}, True),
    ({"properties": {}}, True),
    ({"author_id": _DROP}, True),
    ({"author_id": None}, True),
    ({"custom_id": "cp-1"}, True),
    ({"thread_id": "other"}, True),
    ({"order": 2**63 - 1, "timestamp": -(2**63)}, True),
    ({"order": 2**63}, False),  # valid, but past msgspec's bounds: the general path takes it
    ({"order": 2**64}, False),
    ({"timestamp": 1.0}, False),
    ({"timestamp": None}, False),
    ({"properties": {"ns": {"k": [1]}}}, False),
    ({"properties": {"ns": {"k": 1.5}}}, False),
    ({"unknown": 1}, False),
    ({"type": "file"}, False),
]


def _equal_outputs(api: str, data: bytes) -> tuple[list[Output], list[Output]]:
    outputs = []
    for on in (False, True):
        previous = codec.use_msgspec(on)
        try:
            h = Harness() if api == "0.3" else V3Harness(api=api)
            h.connect()
            outputs.append(h.feed(data))
        finally:
            codec.use_msgspec(previous)
    return outputs[0], outputs[1]


@pytest.mark.parametrize(("changes", "taken"), V03_VARIANTS, ids=repr)
def test_v03_variants(changes: dict[str, Any], taken: bool) -> None:
    pytest.importorskip("msgspec")
    data = push(_variant(V03_EVENT, **changes))
    fast = typed.incoming_event_v03(data)
    assert (fast is not None) is taken
    general, with_typed = _equal_outputs("0.3", data)
    assert with_typed == general
    if taken:
        assert [fast] == general
        assert type(fast.event.properties) is type(general[0].event.properties)  # type: ignore[union-attr]


V3_VARIANTS: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"recipients": _DROP}, True),
    ({"recipients": "agents"}, True),
    ({"properties": _DROP}, True),
    ({"properties": None}, True),
    ({"created_at": _DROP}, True),
    ({"created_at": None}, True),
    ({"created_at": "2023-11-14T23:13:21+01:00"}, True),
    ({"custom_id": "cp-1", "author_id": None}, True),
    ({"created_at": "2023-11-14T22:13:21"}, False),  # no offset: the general path rejects it
    ({"created_at": "2023-02-29T00:00:00Z"}, False),
    ({"recipients": None}, False),
    ({"order": 1}, False),
    ({"type": "file"}, False),
]


@pytest.mark.parametrize("api", ["3.5", "3.6"])
@pytest.mark.parametrize(("changes", "taken"), V3_VARIANTS, ids=repr)
def test_v3_variants(api: str, changes: dict[str, Any], taken: bool) -> None:
    pytest.importorskip("msgspec")
    data = push(_variant(V3_EVENT, **changes))
    fast = typed.decoder_for(api)(data)
    assert (fast is not None) is taken
    general, with_typed = _equal_outputs(api, data)
    assert with_typed == general
    if taken:
        assert [fast] == general
        assert fast.event.extra == general[0].event.extra  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "envelope",
    [{"request_id": "7"}, {"request_id": 7}, {"type": "response"}, {"action": "x"}, {"x": 1}],
    ids=repr,
)
def test_an_unusual_envelope_is_declined(envelope: dict[str, Any]) -> None:
    pytest.importorskip("msgspec")
    assert typed.incoming_event_v03(push(V03_EVENT, **envelope)) is None
    assert typed.incoming_event_v3(push(V3_EVENT, **envelope)) is None


@pytest.mark.parametrize("request_id", [None, ""])
def test_an_empty_request_id_is_taken(request_id: str | None) -> None:
    pytest.importorskip("msgspec")
    assert typed.incoming_event_v03(push(V03_EVENT, request_id=request_id)) is not None


def test_str_input_and_bad_input() -> None:
    pytest.importorskip("msgspec")
    data = push(V03_EVENT)
    assert typed.incoming_event_v03(data.decode()) == typed.incoming_event_v03(data)
    assert typed.incoming_event_v03(data.replace(b"Hello", b"\\ud800")) is None
    assert typed.incoming_event_v03(data.decode().replace("Hello", "\ud800")) is None
    assert typed.incoming_event_v03(data.replace(b"Hello", b"\xff")) is None
    assert typed.incoming_event_v03(data + b" x") is None


def test_only_a_message_naming_incoming_event_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other messages skip the decode (a failed one costs its exception), whatever the form.
    calls: list[Any] = []

    def decode(data: Any) -> Any:
        calls.append(data)
        raise ValueError("recorded")

    monkeypatch.setattr(typed, "_decode_v03", decode)
    monkeypatch.setattr(typed, "_decode_v3", decode)
    other = json.dumps({"request_id": "1", "action": "login", "type": "response"})
    # A push answering our request, request id first: the general path's, not even tried.
    answer = json.dumps({"request_id": "3", **json.loads(push(V03_EVENT))}, separators=(",", ":"))
    for decoder in (typed.incoming_event_v03, typed.incoming_event_v3):
        for data in (
            other,
            other.encode(),
            answer,
            answer.encode(),
            bytearray(push(V03_EVENT)),
            memoryview(push(V03_EVENT)),
        ):
            assert decoder(data) is None  # type: ignore[arg-type]
    assert calls == []


def test_an_empty_request_id_first_is_still_decoded() -> None:
    # The request-id-first decline is for our answers only: an empty one is an ordinary push.
    for request_id, decoded in (("", True), ("3", False)):
        data = json.dumps(
            {"request_id": request_id, **json.loads(push(V03_EVENT))}, separators=(",", ":")
        ).encode()
        assert (typed.incoming_event_v03(data) is not None) is decoded
