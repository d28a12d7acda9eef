"""The WebSocket transports against the ``websockets`` library on loopback (both roles).

The client tests run with both client transports (wsproto and websockets' sans-IO protocol).

The tests drive plain blocking sockets; the transports stay sans-IO. Every socket operation has
a timeout and every test a fail-after.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection, serve

from transports.base import (
    Closed,
    HandshakeRejected,
    Message,
    MessageTooBig,
    Opened,
    Pong,
    TransportEvent,
    UnsupportedData,
)
from transports.websocket import RTM_PATH, WebSocketClient, WebSocketServer, WebSocketState, make_bh
from transports.websocket_fast import FastWebSocketClient

pytestmark = pytest.mark.timeout(20)
TIMEOUT = 5.0
Client = WebSocketClient | FastWebSocketClient


@pytest.fixture(params=["wsproto", "websockets"])
def client_cls(request: pytest.FixtureRequest) -> type[Client]:
    return WebSocketClient if request.param == "wsproto" else FastWebSocketClient


# -- our client against a websockets server ---------------------------------------------------


def _handler(connection: ServerConnection, log: list[Any]) -> None:
    assert connection.request is not None
    log.append(connection.request.path)
    try:
        for message in connection:
            if message == "fragments":
                connection.send(iter(["frag", "ment", "ed \u0119"]))
            elif message == "big":
                connection.send("x" * 2000)
            elif message == "binary":
                connection.send(b"\x00\x01")
            elif message == "close":
                connection.close(4000, "asked to")
            else:
                connection.send(message)
    except ConnectionClosed:
        pass
    log.append(connection.close_code)


@contextmanager
def websockets_server() -> Iterator[tuple[int, list[Any]]]:
    log: list[Any] = []
    with serve(lambda c: _handler(c, log), "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1], log
        finally:
            server.shutdown()
            thread.join(TIMEOUT)


class Driver:
    """Pumps a byte transport over a blocking socket."""

    def __init__(self, sock: socket.socket, transport: Client | WebSocketServer) -> None:
        self.sock = sock
        self.transport = transport
        self.flush()

    def flush(self) -> None:
        data = self.transport.data_to_send()
        if data:
            self.sock.sendall(data)

    def next_events(self) -> list[TransportEvent]:
        """Read until at least one event arrives."""
        for _ in range(1000):
            events = list(self.transport.events())
            if events:
                self.flush()
                return events
            if self.transport.state is WebSocketState.CLOSED:
                return []
            self.transport.receive_data(self.sock.recv(65536))
            self.flush()
        raise AssertionError("no event")


@contextmanager
def client_socket(port: int, cls: type[Client], **kwargs: Any) -> Iterator[Driver]:
    options: dict[str, Any] = {
        "host": f"127.0.0.1:{port}",
        "license_id": 7,
        "bh": make_bh(random.Random(1).random),
    }
    options.update(kwargs)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        yield Driver(sock, cls(**options))


def test_client_against_websockets_server(client_cls: type[Client]) -> None:
    with (
        websockets_server() as (port, log),
        client_socket(port, client_cls, origin="http://x") as d,
    ):
        (opened,) = d.next_events()
        assert isinstance(opened, Opened)
        client = d.transport
        client.send_message('{"action":"login","x":"\u0119"}'.encode())
        d.flush()
        assert d.next_events() == [Message(data='{"action":"login","x":"\u0119"}'.encode())]
        client.send_message(b"fragments")
        d.flush()
        assert d.next_events() == [Message(data="fragmented \u0119".encode())]
        client.send_ping(b"hb")
        d.flush()
        assert d.next_events() == [Pong(payload=b"hb")]
        client.close(1000, "bye")
        d.flush()
        assert d.next_events() == [Closed(code=1000, reason="bye")]
    assert log[0] == f"{RTM_PATH}?license_id=7&bh={client.target.rsplit('=', 1)[1]}"
    assert log[-1] == 1000


def test_client_answers_server_close(client_cls: type[Client]) -> None:
    with websockets_server() as (port, log), client_socket(port, client_cls) as d:
        d.next_events()
        d.transport.send_message(b"close")
        d.flush()
        assert d.next_events() == [Closed(code=4000, reason="asked to")]
    assert log[-1] == 4000


@pytest.mark.parametrize(
    ("message", "code", "error"),
    [(b"big", 1009, MessageTooBig), (b"binary", 1003, UnsupportedData)],
)
def test_client_errors_reach_the_websockets_server(
    message: bytes, code: int, error: type[Exception], client_cls: type[Client]
) -> None:
    with (
        websockets_server() as (port, log),
        client_socket(port, client_cls, max_message_size=1000) as d,
    ):
        d.next_events()
        d.transport.send_message(message)
        d.flush()
        (closed,) = d.next_events()
        assert isinstance(closed, Closed) and isinstance(closed.error, error)
        assert closed.code == code
        d.sock.settimeout(TIMEOUT)
        while d.sock.recv(65536):  # the server answers our close, then closes the stream
            pass
    assert log[-1] == code


def test_client_rejected_by_websockets_server(client_cls: type[Client]) -> None:
    def reject(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(403, "no\n")

    with serve(lambda c: None, "127.0.0.1", 0, process_request=reject) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with client_socket(server.socket.getsockname()[1], client_cls) as d:
                (closed,) = d.next_events()
        finally:
            server.shutdown()
            thread.join(TIMEOUT)
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.code == 1006 and closed.error.status_code == 403


# -- our server against a websockets client ---------------------------------------------------


@contextmanager
def our_server(max_message_size: int = 1 << 20) -> Iterator[tuple[int, list[TransportEvent]]]:
    """Serve one connection in a thread: echo every message, record every event."""
    log: list[TransportEvent] = []
    failures: list[BaseException] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def run() -> None:
        try:
            sock, _ = listener.accept()
            with sock:
                sock.settimeout(TIMEOUT)
                server = WebSocketServer(max_message_size=max_message_size)
                while server.state is not WebSocketState.CLOSED:
                    server.receive_data(sock.recv(65536))
                    for event in server.events():
                        log.append(event)
                        if isinstance(event, Message):
                            server.send_message(event.data)
                    out = server.data_to_send()
                    if out:
                        sock.sendall(out)
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], log
    finally:
        thread.join(TIMEOUT)
        listener.close()
    assert not thread.is_alive()
    assert not failures, failures


def _uri(port: int, path: str = f"{RTM_PATH}?license_id=9") -> str:
    return f"ws://127.0.0.1:{port}{path}"


def test_server_against_websockets_client() -> None:
    with our_server() as (port, log):
        with connect(_uri(port), open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
            ws.send('{"action":"ping","t":"\u0119"}')
            assert ws.recv(timeout=TIMEOUT) == '{"action":"ping","t":"\u0119"}'
            ws.send(iter(["[1,", "2", "]"]))  # fragmented
            assert ws.recv(timeout=TIMEOUT) == "[1,2]"
            assert ws.ping(b"hb").wait(TIMEOUT)
            ws.send("x" * 200_000)
            assert ws.recv(timeout=TIMEOUT) == "x" * 200_000
        assert isinstance(log[0], Opened) and log[0].target == f"{RTM_PATH}?license_id=9"
        assert log[-1] == Closed(code=1000, reason="")


@pytest.mark.parametrize(
    ("send", "code", "error"),
    [("y" * 2000, 1009, MessageTooBig), (b"\x00", 1003, UnsupportedData)],
)
def test_server_errors_reach_the_websockets_client(
    send: str | bytes, code: int, error: type[Exception]
) -> None:
    with our_server(max_message_size=1000) as (port, log):
        with connect(_uri(port), open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
            ws.send(send)
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=TIMEOUT)
        assert info.value.rcvd is not None and info.value.rcvd.code == code
        closed = log[-1]
        assert isinstance(closed, Closed) and isinstance(closed.error, error)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/elsewhere", 404), (RTM_PATH, 400), (f"{RTM_PATH}?license_id=0", 400)],
)
def test_server_rejects_websockets_client(path: str, status: int) -> None:
    with our_server() as (port, log):
        with pytest.raises(InvalidStatus) as info:
            connect(_uri(port, path), open_timeout=TIMEOUT).close()
        assert info.value.response.status_code == status
    closed = log[-1]
    assert isinstance(closed, Closed) and isinstance(closed.error, HandshakeRejected)
    assert closed.error.status_code == status
