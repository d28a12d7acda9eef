"""send_message writes its request from pre-encoded JSON text (``payloads.encoded_message``):
the same bytes the general encoder gives, on both JSON backends, in both dialects."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customer_protocol import codec, payloads
from customer_protocol.errors import InvalidArgumentsError
from customer_protocol.outputs import Send
from tests.core.harness import Harness
from tests.core.v3.harness3 import V3Harness

BACKENDS = [False, True] if codec._ORJSON_AVAILABLE else [False]

# Every code point, surrogates included (send_message refuses lone surrogates: the fast path
# must never see one), with the characters JSON escapes drawn often.
_CHARS = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from(list('"\\/\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f\u2028\u2029\ud800\udfff\ufeff')),
)
_TEXTS = st.text(_CHARS, max_size=40)
_IDS = st.text(_CHARS, min_size=1, max_size=12)
# The backend fixture holds for every generated input (it is the point of the test).
_SAME_BACKEND = [HealthCheck.function_scoped_fixture]


@pytest.fixture(params=BACKENDS, ids=["stdlib", "orjson"][: len(BACKENDS)])
def backend(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = codec.use_orjson(request.param)
    try:
        yield
    finally:
        codec.use_orjson(previous)


def _payload(chat: str, text: str, custom_id: str | None) -> dict[str, object] | None:
    try:
        return payloads.send_message(chat, text, custom_id, lambda: "cp-fresh-1")
    except InvalidArgumentsError:
        return None


@settings(max_examples=300, suppress_health_check=_SAME_BACKEND)
@given(chat=_IDS, text=_TEXTS, custom_id=st.none() | _IDS)
@example(chat="CH1", text="", custom_id=None)
@example(chat="CH\u00e9", text='a "quoted" \\ line\nwith\ttabs\x00', custom_id="\u2028")
@example(chat="CH1", text="\ud800", custom_id=None)  # refused before any encoding
@example(chat="CH1", text="ok", custom_id="\udfff")
def test_encoded_message_is_the_general_encoding(
    backend: None, chat: str, text: str, custom_id: str | None
) -> None:
    payload = _payload(chat, text, custom_id)
    if payload is None:
        return
    assert payloads.encoded_message(payload).encode() == codec.dumps(payload)


@pytest.mark.parametrize("api", ["0.3", "3.6"])
@settings(max_examples=60, suppress_health_check=_SAME_BACKEND)
@given(chat=_IDS, text=_TEXTS, custom_id=st.none() | _IDS)
@example(chat="CH1", text="Hello", custom_id=None)
@example(chat="C\u00e9", text="\u00fcber \U0001f600 \x1f", custom_id='x"y')
def test_send_message_writes_the_general_encoding(
    backend: None, api: str, chat: str, text: str, custom_id: str | None
) -> None:
    expected_payload = _payload(chat, text, custom_id or "given")
    if expected_payload is None:
        return
    h = Harness() if api == "0.3" else V3Harness()
    h.connect()
    h.client.send_message(chat, text, h.now, custom_id=custom_id or "given")
    (send,) = [out for out in h.drain() if isinstance(out, Send)]
    request_id = json.loads(send.data)["request_id"]
    assert send.data == codec.encode_request(request_id, "send_event", expected_payload)


@pytest.mark.parametrize("api", ["0.3", "3.6"])
def test_a_queued_message_is_written_the_same_way(backend: None, api: str) -> None:
    # Made while disconnected, written from the outbox after the next login.
    h = Harness() if api == "0.3" else V3Harness()
    h.connect()
    h.drop()
    h.client.send_message("CH1", "again \u00e9", h.now, custom_id="cp-1")
    assert h.drain() == []
    h.until_open()
    out = h.open_and_login() if api == "0.3" else h.connect()
    (data,) = [o.data for o in out if isinstance(o, Send) and b'"send_event"' in o.data]
    request_id = json.loads(data)["request_id"]
    payload = payloads.send_message("CH1", "again \u00e9", "cp-1", lambda: "unused")
    assert data == codec.encode_request(request_id, "send_event", payload)


class _Text(str):
    def __str__(self) -> str:
        return "not this"


def test_str_subclasses_are_encoded_as_their_value(backend: None) -> None:
    payload = payloads.send_message(_Text("CH1"), _Text('h\u00e9 "x"'), _Text("c"), lambda: "x")
    assert payloads.encoded_message(payload).encode() == codec.dumps(payload)
