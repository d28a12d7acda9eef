"""The sans-IO core driven by hand: plain blocking sockets, ``select`` and no framework.

    python examples/bare_core.py                       # starts a reference server in a thread
    python examples/bare_core.py ws://127.0.0.1:8080   # or talks to `customer-protocol serve`

Everything the adapters do, in one file: :class:`customer_protocol.ClientProtocol` decides,
:class:`transports.websocket.WebSocketClient` frames, this file moves bytes and keeps time.
The loop is the one of ``docs/sansio.md``: feed an input with ``now`` -> drain ``outputs()``
-> act on each -> write what the transport wants to send -> sleep until input arrives or
``next_deadline()``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import select
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    CloseTransport,
    Connected,
    ConnectionLostError,
    CustomerSDKError,
    Disconnected,
    FetchToken,
    MessageDropped,
    MessageEvent,
    NewEvent,
    OpenTransport,
    SDKEvent,
    Send,
    SendPing,
    SwitchHost,
    ThreadClosed,
    Token,
    UploadFile,
)
from transports.accounts import (
    build_customer_code_request,
    build_customer_token_request,
    decode_customer_code_response,
    decode_customer_token_response,
)
from transports.base import Closed, Message, Opened, Pong
from transports.http import ConnectionEnded, HTTPClientConnection, HTTPRequest, ResponseReceived
from transports.websocket import WebSocketClient, make_bh

T = TypeVar("T")

# The reference server's default accounts credentials (`customer-protocol serve` prints them).
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"
APP_ACCESS_TOKEN = "demo-app-token"
REDIRECT_URI = "http://localhost/callback"


def http_exchange(host: str, port: int, request: HTTPRequest) -> ResponseReceived:
    """One HTTP request over a blocking socket, framed by the sans-IO h11 transport."""
    connection = HTTPClientConnection()
    connection.send_request(request)
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(connection.data_to_send())
        while True:
            for event in connection.events():
                if isinstance(event, ResponseReceived):
                    return event
                if isinstance(event, ConnectionEnded):
                    raise ConnectionLostError("the accounts server closed the connection")
            connection.receive_data(sock.recv(65536))  # b"" (end of stream) is fed as is


def fetch_token(host: str, port: int) -> Token:
    """The accounts code flow (``wire.md`` section 7): a code, then a token for it."""
    host_header = f"{host}:{port}"
    code = decode_customer_code_response(
        http_exchange(
            host,
            port,
            build_customer_code_request(
                host=host_header,
                app_access_token=APP_ACCESS_TOKEN,
                client_id=CLIENT_ID,
                redirect_uri=REDIRECT_URI,
            ),
        )
    )
    token = decode_customer_token_response(
        http_exchange(
            host,
            port,
            build_customer_token_request(
                host=host_header,
                code=code.code,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uri=REDIRECT_URI,
            ),
        )
    )
    return Token(
        access_token=token.access_token,
        token_type=token.token_type,
        expires_in=float(token.expires_in),
        customer_id=code.customer_id,
    )


class Driver:
    """Owns one core, at most one socket + WebSocket transport, and the loop between them."""

    def __init__(self, url: str, license_id: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "http") or parts.hostname is None:
            raise SystemExit("this example speaks plain ws:// only (no TLS), e.g. ws://HOST:PORT")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.license_id = license_id
        self.rng = random.Random()  # the core draws no randomness: it is given a source
        self.core = ClientProtocol(license_id=license_id, rng=self.rng.random)
        self.sock: socket.socket | None = None
        self.ws: WebSocketClient | None = None
        self.results: dict[int, CallSucceeded | CallFailed] = {}
        self.events: deque[SDKEvent] = deque()

    # -- acting on outputs --------------------------------------------------------------------

    def act(self) -> None:
        """Drain the core's outputs and do what each one says, in order."""
        while outputs := self.core.outputs():
            for output in outputs:
                match output:
                    case OpenTransport():
                        self.open()
                    case CloseTransport(code=code, reason=reason):
                        self.close(code, reason)
                    case Send(data=data):
                        if self.ws is not None:
                            self.ws.send_message(data)
                    case SendPing():
                        if self.ws is not None:
                            self.ws.send_ping()
                    case FetchToken():
                        # Blocking here is the simplest thing; a real loop would use a thread.
                        try:
                            token = fetch_token(self.host, self.port)
                        except (OSError, CustomerSDKError) as exc:
                            self.core.token_failed(ConnectionLostError(str(exc)), time.monotonic())
                        else:
                            self.core.token_received(token, time.monotonic())
                    case UploadFile(call=call):
                        error = CustomerSDKError("this example does not upload files")
                        self.core.upload_failed(call, error, time.monotonic())
                    case CallSucceeded(call=call) | CallFailed(call=call):
                        self.results[call] = output
                    case SwitchHost():
                        pass  # only LiveChat v3 sends the client to another region
                    case MessageDropped():
                        pass  # a late reply to a request that already ended: log it if you like
                    case _:
                        self.events.append(output)  # an SDK event: a listener would run here
            self.flush()

    def open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=10)
        except OSError:
            self.core.transport_closed(time.monotonic())  # could not open: the core backs off
            return
        self.sock = sock
        self.ws = WebSocketClient(
            host=f"{self.host}:{self.port}",
            license_id=self.license_id,
            bh=make_bh(self.rng.random),
        )
        self.flush()  # the opening handshake

    def close(self, code: int, reason: str) -> None:
        if self.ws is not None:
            self.ws.close(code, reason)
            self.flush()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.ws = None  # after CloseTransport, feed nothing more from this link

    def flush(self) -> None:
        if self.sock is not None and self.ws is not None:
            data = self.ws.data_to_send()
            if data:
                try:
                    self.sock.sendall(data)
                except OSError:
                    self.lost()

    def drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = self.ws = None

    def lost(self) -> None:
        self.drop()
        self.core.transport_closed(time.monotonic())

    # -- feeding inputs -----------------------------------------------------------------------

    def step(self, until: float) -> None:
        """Wait for input or a deadline (at most until ``until``), feed it, act on outputs."""
        deadline = self.core.next_deadline()
        wake = until if deadline is None else min(deadline, until)
        timeout = max(0.0, wake - time.monotonic())
        readable: list[socket.socket] = []
        if self.sock is not None:
            readable, _, _ = select.select([self.sock], [], [], timeout)
        else:
            time.sleep(timeout)
        if readable and self.sock is not None and self.ws is not None:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            self.ws.receive_data(data)  # b"" is end of stream
            for event in self.ws.events():
                now = time.monotonic()
                match event:
                    case Opened():
                        self.core.transport_opened(now)
                    case Message(data=message):
                        self.core.receive(message, now)
                    case Pong():
                        self.core.pong_received(now)
                    case Closed(code=code, reason=reason):
                        self.flush()  # the close reply, if any
                        self.drop()
                        self.core.transport_closed(now, code, reason)
                self.act()
            self.flush()
        now = time.monotonic()
        deadline = self.core.next_deadline()
        if deadline is not None and deadline <= now:
            self.core.handle_timer(now)
        self.act()

    # -- a blocking API on top, for the script below -------------------------------------------

    def run_until(self, done: Callable[[], bool], timeout: float) -> None:
        until = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= until:
                raise TimeoutError
            self.step(until)

    def call(self, method: Callable[..., int], *args: Any, timeout: float, **kwargs: Any) -> Any:
        """Call an SDK method of the core and run the loop until that call ends."""
        call = method(*args, now=time.monotonic(), **kwargs)
        self.act()
        self.run_until(lambda: call in self.results, timeout)
        result = self.results.pop(call)
        if isinstance(result, CallFailed):
            raise result.error
        return result.value

    def wait_for(self, kind: type[T], timeout: float, test: Callable[[T], bool] = bool) -> T:
        """Run the loop until an SDK event of class ``kind`` passing ``test`` arrives."""
        found: list[T] = []

        def seen() -> bool:
            while self.events:
                event = self.events.popleft()
                if isinstance(event, Disconnected):
                    raise ConnectionLostError(f"disconnected: {event.reason}")
                if isinstance(event, kind) and test(event):
                    found.append(event)
                    return True
            return False

        self.run_until(seen, timeout)
        return found[0]


def converse(driver: Driver, timeout: float) -> None:
    core = driver.core
    core.connect(time.monotonic())
    driver.act()
    driver.wait_for(Connected, timeout)
    me = core.customer_id
    print(f"  (logged in as customer {me})")

    chat = driver.call(core.start_chat, timeout=timeout)
    print(f"  (chat {chat.id} started)")

    def from_agent(event: NewEvent) -> bool:
        return isinstance(event.event, MessageEvent) and event.event.author != me

    for text in ("Hello from a hand-written event loop!", "Thanks, bye!"):
        print(f"you: {text}")
        driver.call(core.send_message, chat.id, text, timeout=timeout)
        answer = driver.wait_for(NewEvent, timeout, from_agent).event
        print(f"agent: {getattr(answer, 'text', '')}")
    driver.wait_for(ThreadClosed, timeout)
    print("  (the thread was closed)")

    summary = driver.call(core.get_chats_summary, timeout=timeout)
    print(f"  (you have {summary.total_chats} chat(s))")
    core.disconnect(time.monotonic())
    driver.act()


@contextlib.contextmanager
def api_url(url: str | None) -> Iterator[str]:
    """``url`` itself, or the URL of a reference server running in a background thread."""
    if url is not None:
        yield url
        return
    from adapters.server import run_in_thread  # noqa: PLC0415 - only needed without a URL
    from customer_protocol.server import AgentConfig, ServerConfig  # noqa: PLC0415

    agent = AgentConfig(join_delay=0.1, typing_delay=0.1, reply_delay=0.3)
    with run_in_thread(port=0, config=ServerConfig(agent=agent)) as server:
        yield server.url


def main(url: str | None, license_id: int, timeout: float) -> int:
    with api_url(url) as base:
        driver = Driver(base, license_id)
        try:
            converse(driver, timeout)
        except TimeoutError:
            print(f"no answer within {timeout} s: is the agent simulator on?", file=sys.stderr)
            return 1
        finally:
            driver.core.destroy()
            driver.close(1000, "bye")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="API base URL (default: an in-process server)")
    parser.add_argument("--license-id", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait per answer")
    args = parser.parse_args()
    sys.exit(main(args.url, args.license_id, args.timeout))
