"""Reference clients for figure 5: what a minimal client of each other kind does in the same run.

Figure 5's baseline is websockets' asyncio client. Our trio and sync clients are measured
against it too, so the figure also runs, for scale, two minimal clients written for those
kinds (their rows have no target):

* ``websockets-sync``: websockets' own blocking client (``websockets.sync.client``), which,
  like ours, reads on a background thread and hands each message to the caller's thread;
* ``trio-sansio``: websockets' sans-IO protocol on trio sockets with a reader task that hands
  each parsed message to the caller over a memory channel: the least a trio client that is
  always reading (pushes arrive at any time) must do per round trip.

Both send the same ``send_event`` requests as the baseline and read the response and the push.
"""

from __future__ import annotations

import json
import time
from typing import Any

RTM = "/customer/v0.3/rtm/ws?license_id=1"


def request(i: int, chat: str) -> str:
    """The ``i``-th ``send_event`` request of a run (the baseline's)."""
    return json.dumps(
        {
            "request_id": str(i + 3),
            "action": "send_event",
            "payload": {
                "chat_id": chat,
                "event": {"type": "message", "text": "Hello", "custom_id": f"b-{i}"},
            },
        }
    )


def websockets_sync(url: str, n: int, login: list[str], chat: str) -> tuple[float, float]:
    """``n`` round trips on websockets' blocking client: (elapsed, CPU seconds)."""
    from websockets.sync.client import connect

    with connect(url + RTM, compression=None, max_size=1 << 20) as ws:
        for message in login:
            ws.send(message)
            json.loads(ws.recv())
        cpu, start = time.process_time(), time.perf_counter()
        for i in range(n):
            ws.send(request(i, chat))
            json.loads(ws.recv())  # the response
            json.loads(ws.recv())  # the incoming_event push
        return time.perf_counter() - start, time.process_time() - cpu


async def trio_sansio(url: str, n: int, login: list[str], chat: str) -> tuple[float, float]:
    """``n`` round trips on websockets' sans-IO protocol over trio: (elapsed, CPU seconds)."""
    import trio
    from websockets.client import ClientProtocol
    from websockets.frames import Frame, Opcode
    from websockets.protocol import State
    from websockets.uri import parse_uri

    uri = parse_uri(url + RTM)
    protocol = ClientProtocol(uri, max_size=1 << 20)
    stream = await trio.open_tcp_stream(uri.host, uri.port)
    sender, receiver = trio.open_memory_channel[Any](1024)

    async def flush() -> None:
        for data in protocol.data_to_send():
            if data:
                await stream.send_all(data)

    async def reader() -> None:
        while data := await stream.receive_some(65536):
            protocol.receive_data(data)
            for event in protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    sender.send_nowait(json.loads(event.data))
            await flush()

    async def call(message: str, answers: int) -> None:
        protocol.send_text(message.encode())
        await flush()
        for _ in range(answers):
            await receiver.receive()

    protocol.send_request(protocol.connect())
    await flush()
    while protocol.state is State.CONNECTING:
        protocol.receive_data(await stream.receive_some(65536))
        protocol.events_received()
    async with stream, trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        for message in login:
            await call(message, 1)
        cpu, start = time.process_time(), time.perf_counter()
        for i in range(n):
            await call(request(i, chat), 2)  # the response and the incoming_event push
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        nursery.cancel_scope.cancel()
    return elapsed
