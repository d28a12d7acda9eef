"""WebSocketClient's fast path for whole text frames (transports._wsfast) against wsproto's.

The same bytes, split the same way, are fed to a client using the fast path and to one with
it switched off (every frame through wsproto): events and frames sent must be the same, over
valid frames around the length encodings and every kind of frame the fast path refuses, read
in pieces that split frames anywhere (the fast path keeps a split frame of its own until it is
whole), with a close or the end of the stream anywhere.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_websocket import BINARY, CLOSE, CONT, PING, PONG, TEXT, close_payload, frame, open_client
from test_websocket import parse_frames as parse

from transports._wsfast import MaskSource, client_text_frame, take_text_frames, text_frame_size
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


CLOSE_NOW = None  # in a list of reads: call close() here


def _run(client: WebSocketClient, chunks: list[bytes | None]) -> tuple[list[Any], list[Any]]:
    events: list[TransportEvent] = []
    sent = b""
    for chunk in chunks:
        if chunk is CLOSE_NOW:
            client.close(1000, "done")
        else:
            client.receive_data(chunk)
        events.extend(client.events())
        sent += client.data_to_send()
    return _seen(events), parse(sent)


def _pair(limit: int) -> tuple[WebSocketClient, WebSocketClient]:
    fast = open_client(limit)
    slow = open_client(limit)
    assert fast._fast is not None
    slow._fast = None
    return fast, slow


def _check(chunks: list[bytes | None], ending: list[bytes | None], limit: int) -> None:
    """Both paths read the same once the reads end with ``ending`` (a close and/or the end
    of the stream); before that, the fast path may not have reported yet an error in a frame
    it keeps until it is whole (invalid UTF-8 is found once the frame is complete)."""
    fast, slow = _pair(limit)
    seen_fast, sent_fast = _run(fast, chunks)
    seen_slow, sent_slow = _run(slow, chunks)
    assert seen_fast == seen_slow[: len(seen_fast)]
    assert sent_fast == sent_slow[: len(sent_fast)]
    if seen_fast != seen_slow:  # only ever that one Closed
        assert len(seen_slow) == len(seen_fast) + 1 and seen_slow[-1][:2] == ("Closed", 1007)
    assert len(fast._pend) <= len(chunks) and fast._pend_size <= min(limit, 65535) + 4
    if ending:
        fast, slow = _pair(limit)
        assert _run(fast, chunks + ending) == _run(slow, chunks + ending)


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


@settings(max_examples=400, deadline=None)
@given(
    st.lists(frames, min_size=1, max_size=8),
    st.sampled_from([LIMIT, 300, 126, 125, 3, 1]),
    st.data(),
)
def test_frames_split_anywhere_read_the_same(parts: list[bytes], limit: int, data: Any) -> None:
    """Reads that end inside frames (inside the header too, a long frame in many pieces),
    with a close() between two reads, the end of the stream after any byte, a lower limit."""
    stream = b"".join(parts)
    if data.draw(st.booleans()):  # the stream ends somewhere, maybe inside a frame
        stream = stream[: data.draw(st.integers(0, len(stream)))]
    if data.draw(st.booleans()):
        step = data.draw(st.sampled_from([1, 2, 3, 5, 64, 1000, 4096, 65536]))
        step = max(step, len(stream) // 2000)  # bytewise only for short streams
        cuts = list(range(step, len(stream), step))
    else:
        cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(stream))), max_size=30))))
    bounds = [0, *(cut for cut in cuts if cut < len(stream)), len(stream)]
    chunks: list[bytes | None] = [stream[a:b] for a, b in pairwise(bounds)]
    chunks = [chunk for chunk in chunks if chunk]
    if data.draw(st.booleans()):
        chunks.insert(data.draw(st.integers(0, len(chunks))), CLOSE_NOW)
    ending = data.draw(st.sampled_from([[b""], [CLOSE_NOW], [CLOSE_NOW, b""]]))
    _check(chunks, ending, limit)


SPLIT_CASES = {
    # name: (stream, reads as cut points)
    "header byte by byte": (frame(TEXT, b"x" * 300, masked=False), [1, 2, 3]),
    "then not ours (masked)": (frame(TEXT, b"x" * 300, masked=True), [1, 2]),
    "then not ours (64-bit length)": (frame(TEXT, b"x" * 70_000, masked=False), [1, 2, 5]),
    "then not ours (non-minimal)": (_non_minimal("hi"), [1, 2, 3]),
    "invalid UTF-8 at the end": (frame(TEXT, b"ok" * 200 + b"\xff", masked=False), [9, 200]),
    "invalid UTF-8 in the first piece": (frame(TEXT, b"\xff" + b"a" * 300, masked=False), [9]),
    "a frame then a ping": (
        frame(TEXT, "é".encode() * 200, masked=False) + frame(PING, b"p", masked=False),
        [3, 100, 300, 403],
    ),
    "a frame then a close": (
        frame(TEXT, b"y" * 126, masked=False)
        + frame(CLOSE, close_payload(1001, b"away"), masked=False),
        [4, 130, 131],
    ),
    "over the limit": (frame(TEXT, b"z" * 2000, masked=False), [2, 4, 1000]),
}


@pytest.mark.parametrize("name", sorted(SPLIT_CASES))
@pytest.mark.parametrize("ending", ["", "eof", "close", "close then eof"])
def test_a_split_frame_reads_the_same(name: str, ending: str) -> None:
    stream, cuts = SPLIT_CASES[name]
    bounds = [0, *cuts, len(stream)]
    reads: list[bytes | None] = [stream[a:b] for a, b in pairwise(bounds)]
    end: list[bytes | None] = []
    if "close" in ending:
        end.append(CLOSE_NOW)
    if "eof" in ending:
        end.append(b"")
    _check(reads, end, 1000)
    _check(reads[:-1], end, 1000)  # cut before its last read


def test_frames_split_by_every_read_stay_on_the_fast_path(monkeypatch: Any) -> None:
    """The regression: a read that ends inside a frame used to hand its tail to wsproto, which
    then held a partial frame at the end of nearly every read and the fast path never came
    back. Now the tail waits in the endpoint and wsproto is never fed."""
    messages = [b'{"push": %d, "pad": "%s"}' % (i, b"p" * (i % 400)) for i in range(2000)]
    stream = b"".join(frame(TEXT, message, masked=False) for message in messages)
    client = open_client(LIMIT)
    conn = client._conn
    assert conn is not None
    fed: list[bytes] = []
    monkeypatch.setattr(conn, "receive_data", fed.append)
    for size in (65536, 4093, 7, 1):  # reads of one size, which split frames (and headers)
        got: list[bytes] = []
        for start in range(0, len(stream), size):
            client.receive_data(stream[start : start + size])
            got.extend(event.data for event in client.events())  # type: ignore[attr-defined]
        assert got == messages, size
        assert not client._pend
    assert fed == []


def test_a_long_frame_in_small_reads_is_kept_as_read() -> None:
    """A frame arriving in many reads is joined once, when whole (no copy per read)."""
    payload = "ü".encode() * 30_000
    wire = frame(TEXT, payload, masked=False)
    client = open_client(LIMIT)
    for start in range(0, len(wire) - 100, 100):
        client.receive_data(wire[start : start + 100])
    assert len(client._pend) == (len(wire) - 100 + 99) // 100
    assert client._pend_need == len(wire)
    client.receive_data(wire[(len(wire) - 100 + 99) // 100 * 100 :])
    assert [event.data for event in client.events()] == [payload]  # type: ignore[attr-defined]
    assert not client._pend


def test_the_size_of_a_frame_the_fast_path_would_take() -> None:
    whole = frame(TEXT, b"a" * 300, masked=False)
    assert text_frame_size(whole, 0, LIMIT) == len(whole) == 304
    assert [text_frame_size(whole[:n], 0, LIMIT) for n in (1, 2, 3, 4)] == [0, 0, 0, 304]
    assert text_frame_size(b"xx" + whole[:1], 2, LIMIT) == 0
    assert text_frame_size(frame(TEXT, b"ab", masked=False), 0, LIMIT) == 4
    assert text_frame_size(whole, 0, 299) == -1  # over the limit
    assert text_frame_size(frame(TEXT, b"", masked=False), 0, LIMIT) == -1
    assert text_frame_size(frame(TEXT, b"ab"), 0, LIMIT) == -1  # masked
    assert text_frame_size(frame(TEXT, b"ab", masked=False, fin=False), 0, LIMIT) == -1
    assert text_frame_size(frame(TEXT, b"ab", masked=False, rsv=0x40), 0, LIMIT) == -1
    assert text_frame_size(frame(PING, b"ab", masked=False), 0, LIMIT) == -1
    assert text_frame_size(_non_minimal("ab"), 0, LIMIT) == -1
    assert text_frame_size(frame(TEXT, b"a" * 70_000, masked=False)[:2], 0, LIMIT) == -1


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
