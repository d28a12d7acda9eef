"""WebSocketClient's fast path for whole text frames (transports._wsfast) against wsproto's.

The same bytes, split the same way, are fed to a client using the fast path and to one with
it switched off (every frame through wsproto): events and frames sent must be the same, over
valid frames around the length encodings and every kind of frame the fast path refuses.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_websocket import BINARY, CLOSE, CONT, PING, PONG, TEXT, close_payload, frame, open_client
from test_websocket import parse_frames as parse

from transports._wsfast import MaskSource, client_text_frame, take_text_frames
from transports.base import Closed, TransportEvent
from transports.websocket import WebSocketClient

LIMIT = 70_000

texts = st.text(min_size=0, max_size=300) | st.sampled_from(
    ["", "a" * 125, "b" * 126, "é" * 63, "c" * 65535, "d" * 65536, "e" * 69_999]
)
unmasked = {"masked": False}


def _non_minimal(text: str) -> bytes:
    """A text frame whose short length is written in the 2-byte form (a violation)."""
    data = text.encode()
    return bytes((0x81, 126)) + len(data).to_bytes(2, "big") + data


frames = st.one_of(
    texts.map(lambda text: frame(TEXT, text.encode(), **unmasked)),
    texts.map(lambda text: frame(TEXT, text.encode(), **unmasked)),  # mostly the common case
    texts.map(lambda text: frame(TEXT, text.encode(), masked=True)),  # a violation to a client
    texts.map(lambda text: frame(TEXT, text.encode(), rsv=0x40, **unmasked)),
    st.binary(max_size=200).map(lambda data: frame(TEXT, data, **unmasked)),  # bad UTF-8 too
    texts.filter(lambda text: len(text.encode()) < 126).map(_non_minimal),
    texts.map(lambda text: frame(TEXT, text.encode(), fin=False, **unmasked)),
    texts.map(lambda text: frame(CONT, text.encode(), **unmasked)),
    texts.map(lambda text: frame(CONT, text.encode(), fin=False, **unmasked)),
    st.binary(max_size=100).map(lambda data: frame(BINARY, data, **unmasked)),
    st.binary(max_size=125).map(lambda data: frame(PING, data, **unmasked)),
    st.binary(max_size=125).map(lambda data: frame(PONG, data, **unmasked)),
    st.just(frame(CLOSE, close_payload(1000, b"bye"), **unmasked)),
    st.binary(min_size=1, max_size=20),  # garbage
)


def _seen(events: list[TransportEvent]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        if isinstance(event, Closed):
            error = event.error
            out.append(("Closed", event.code, event.reason, type(error).__name__, str(error)))
        else:
            out.append(event)
    return out


def _run(client: WebSocketClient, chunks: list[bytes]) -> tuple[list[Any], list[Any]]:
    events: list[TransportEvent] = []
    sent = b""
    for chunk in chunks:
        client.receive_data(chunk)
        events.extend(client.events())
        sent += client.data_to_send()
    return _seen(events), parse(sent)


@settings(max_examples=300, deadline=None)
@given(st.lists(frames, min_size=1, max_size=8), st.data())
def test_the_fast_path_sees_what_wsproto_sees(parts: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    chunks = [chunk for chunk in chunks if chunk] + [b""]  # then the end of the stream
    fast = open_client(LIMIT)
    slow = open_client(LIMIT)
    assert fast._fast is not None
    slow._fast = None
    assert _run(fast, chunks) == _run(slow, chunks)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_sent_text_frames_are_wsproto_s(text: str) -> None:
    fast, slow = open_client(LIMIT), open_client(LIMIT)
    slow._fast = None
    for client in (fast, slow):
        client.send_message(text.encode())
        client.send_message(b"after")
    assert (
        parse(fast.data_to_send())
        == parse(slow.data_to_send())
        == [
            (TEXT, text.encode()),
            (TEXT, b"after"),
        ]
    )


def test_a_frame_is_masked_with_the_key_it_names() -> None:
    data = "héllo wörld, a few bytes more".encode()
    wire = client_text_frame(data, b"\x01\x02\x03\x04")
    assert wire[:6] == bytes((0x81, 0x80 | len(data), 1, 2, 3, 4))
    assert bytes(b ^ (i % 4 + 1) for i, b in enumerate(wire[6:])) == data
    assert client_text_frame(b"", b"abcd") == b"\x81\x80abcd"


def test_masking_keys_are_fresh_and_refilled() -> None:
    source = MaskSource()
    keys = [source.take() for _ in range(1500)]  # past one 4 KiB fetch
    assert all(len(key) == 4 for key in keys)
    assert len(set(keys)) > 1400


def test_frames_taken_stop_at_the_first_other_frame() -> None:
    seen: list[bytes] = []
    data = frame(TEXT, b"one", masked=False) + frame(PING, b"", masked=False)
    assert take_text_frames(data, LIMIT, seen.append) == 5
    assert seen == [b"one"]
    assert take_text_frames(frame(TEXT, b"x" * 10, masked=False), 9, seen.append) == 0
    assert take_text_frames(frame(TEXT, b"x" * 10, masked=False)[:-1], LIMIT, seen.append) == 0


def test_a_closed_client_stays_off_the_fast_path() -> None:
    client = open_client(LIMIT)
    client.receive_data(frame(CLOSE, close_payload(1000), masked=False))
    assert client._fast is None
    client.receive_data(frame(TEXT, b"late", masked=False))
    assert [type(event) for event in client.events()] == [Closed]


def test_a_ping_after_our_close_is_not_answered() -> None:
    """A peer's ping that crosses our close frame: no pong (and no exception)."""
    for fast in (True, False):  # the same on both paths
        client = open_client(LIMIT)
        if not fast:
            client._fast = None
        client.close(1000, "done")
        assert parse(client.data_to_send()) == [(CLOSE, close_payload(1000, b"done"))]
        client.receive_data(frame(PING, b"late", masked=False))
        assert list(client.events()) == []
        assert client.data_to_send() == b""
        client.receive_data(frame(CLOSE, close_payload(1000), masked=False))
        assert [type(event) for event in client.events()] == [Closed]
