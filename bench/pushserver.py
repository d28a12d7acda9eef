"""A small, fast WebSocket server for the end-to-end figures (run as a subprocess).

``python -m bench.pushserver --pushes N [--after ACTION]`` prints its port, then serves until
its stdin closes. It speaks just enough of the RTM envelope for every client measured here
(ours, a bare ``websockets`` client, LiveChat's ``lc-sdk-python``):

* ``login`` -> a success response; ``get_chats_summary`` -> an empty summary;
* after the answer to ``--after`` (default ``get_chats_summary``, the last request of our
  clients' login), and ``--delay`` seconds, it writes N pre-framed ``incoming_event`` pushes
  at once;
* ``send_event`` -> a response, then the ``incoming_event`` push with the ``request_id``
  (what the reference server does; our client resolves the call on that push).

Framing uses websockets' sans-IO parser for what the client sends and pre-encoded frames for
the blast, so the server is never the bottleneck (it runs in its own process).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from bench._util import (
    CHAT_ID,
    CUSTOMER_ID,
    THREAD_ID,
    incoming_event,
    push_messages,
    push_messages_v3,
)

#: The v3.6 login answer (the docs' shape, our values) for ``--api 3.6``.
LOGIN_V3 = {
    "customer": {"id": CUSTOMER_ID, "type": "customer", "name": "Ann", "present": True},
    "has_active_thread": False,
    "chats": [],
}


def frame(data: bytes) -> bytes:
    """An unmasked server text frame."""
    size = len(data)
    if size < 126:
        head = bytes((0x81, size))
    elif size < 65536:
        head = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return head + data


def response(request_id: Any, action: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "request_id": request_id,
            "action": action,
            "type": "response",
            "success": True,
            "payload": payload,
        }
    )


def send_event_answers(number: int, request_id: Any, custom_id: Any) -> tuple[bytes, bytes]:
    """The answers to a ``send_event``: the response, then the ``incoming_event`` push that
    carries its ``request_id`` (message ``number`` of the connection), unframed."""
    push = incoming_event(number, request_id=request_id, custom_id=custom_id)
    reply = {"thread_id": THREAD_ID, "event": push["payload"]["event"]}
    return response(request_id, "send_event", reply), orjson.dumps(push)


class Connection(asyncio.Protocol):
    def __init__(self, blast: bytes, after: str, delay: float, api: str = "0.3") -> None:
        self.api = api
        self.blast = blast
        self.after = after
        self.delay = delay
        self.ws = ServerProtocol(max_size=None)
        self.transport: asyncio.Transport | None = None
        self.events = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        ws.receive_data(data)
        out: list[bytes] = []
        for event in ws.events_received():
            if isinstance(event, Request):
                ws.send_response(ws.accept(event))
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.flush(out)
                self.on_message(bytes(event.data), out)
        self.flush(out)

    def flush(self, out: list[bytes]) -> None:
        transport = self.transport
        assert transport is not None
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif not transport.is_closing():
                transport.close()
        if out:
            transport.write(b"".join(out))
            out.clear()

    def on_message(self, data: bytes, out: list[bytes]) -> None:
        message = orjson.loads(data)
        action = message.get("action")
        request_id = message.get("request_id")
        payload = message.get("payload") or {}
        if action == "login":
            login = LOGIN_V3 if self.api != "0.3" else {"customer_id": "bench-customer"}
            out.append(frame(response(request_id, action, login)))
        elif action in ("get_chats_summary", "list_chats"):
            out.append(frame(response(request_id, action, {"chats_summary": [], "total_chats": 0})))
        elif action == "send_event":
            self.events += 1
            event = payload.get("event") or {}
            answers = send_event_answers(self.events, request_id, event.get("custom_id"))
            out.extend(frame(answer) for answer in answers)
        elif request_id is not None:
            out.append(frame(response(request_id, action, {"chat_id": CHAT_ID})))
        if action == self.after and self.blast:
            if self.delay:
                asyncio.get_running_loop().call_later(self.delay, self.write_blast)
            else:
                out.append(self.blast)

    def write_blast(self) -> None:
        if self.transport is not None:
            self.transport.write(self.blast)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=0)
    parser.add_argument("--after", default="get_chats_summary")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before the blast")
    parser.add_argument("--api", default="0.3", help="0.3, or 3.6: v3 login and pushes")
    args = parser.parse_args()
    make = push_messages if args.api == "0.3" else push_messages_v3
    blast = b"".join(frame(data) for data in make(args.pushes))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Connection(blast, args.after, args.delay, args.api), "127.0.0.1", 0, backlog=2048
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
