"""transports.memory: two endpoints joined directly."""

from __future__ import annotations

from transports.base import Closed, Message, MessageTooBig, MessageTransport, Opened, Pong
from transports.memory import MemoryEndpoint, memory_pair


def test_both_endpoints_start_open() -> None:
    client, server = memory_pair()
    assert isinstance(client, MessageTransport) and isinstance(server, MessageTransport)
    assert list(client.events()) == [Opened()]
    assert list(server.events()) == [Opened()]
    assert list(client.events()) == []
    assert not client.closed and "open" in repr(client)


def test_messages_both_ways_in_order() -> None:
    client, server = memory_pair()
    client.send_message(b"1")
    client.send_message(b"2")
    server.send_message(b"a")
    assert list(server.events()) == [Opened(), Message(data=b"1"), Message(data=b"2")]
    assert list(client.events()) == [Opened(), Message(data=b"a")]


def test_ping_is_answered() -> None:
    client, server = memory_pair()
    client.send_ping(b"k")
    server.send_ping()
    assert list(client.events()) == [Opened(), Pong(payload=b"k")]
    assert list(server.events()) == [Opened(), Pong(payload=b"")]


def test_close_reaches_both_sides_once() -> None:
    client, server = memory_pair()
    server.close(4001, "bye")
    server.close()
    client.close()
    client.abort()
    assert list(client.events()) == [Opened(), Closed(code=4001, reason="bye")]
    assert list(server.events()) == [Opened(), Closed(code=4001, reason="bye")]
    client.send_message(b"dropped")
    client.send_ping()
    server.send_message(b"dropped")
    assert list(client.events()) == list(server.events()) == []
    assert client.closed and server.closed and "closed" in repr(server)


def test_abort_is_an_abnormal_close() -> None:
    client, server = memory_pair()
    client.abort()
    assert list(client.events())[-1] == Closed(code=1006)
    assert list(server.events())[-1] == Closed(code=1006)


def test_message_too_big() -> None:
    client, server = memory_pair(max_message_size=3)
    client.send_message(b"abc")
    client.send_message(b"abcd")
    closed = Closed(
        code=1009, reason="message over 3 bytes", error=MessageTooBig("message over 3 bytes")
    )
    assert list(server.events()) == [Opened(), Message(data=b"abc"), closed]
    assert list(client.events()) == [Opened(), Closed(code=1009, reason="message over 3 bytes")]


def test_unpaired_endpoint_is_inert() -> None:
    lone = MemoryEndpoint(name="lone")
    lone.send_message(b"x")
    lone.close()
    assert list(lone.events()) == [Opened(), Closed()]
