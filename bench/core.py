"""Figures 1-3: the sans-IO core and the WebSocket transport, no sockets."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable

from wsproto import ConnectionType, WSConnection
from wsproto.events import Request as WsRequest

from bench._util import (
    CUSTOMER_ID,
    ORGANIZATION_ID,
    Figure,
    best_of,
    collector_off,
    paired,
    push_messages,
    push_messages_v3,
)
from customer_protocol import ClientProtocol, Config, Token, codec, typed
from customer_protocol.events import NewEvent
from customer_protocol.models import MessageEvent
from customer_protocol.outputs import FetchToken, OpenTransport, Send
from customer_protocol.rfc3339 import parse_ms
from transports.websocket import WebSocketClient

try:  # the speedups extra
    from websockets.client import ClientProtocol as WsClientProtocol
    from websockets.uri import parse_uri

    from transports.websocket_fast import FastWebSocketClient
except ImportError:  # pragma: no cover - the plain install
    FastWebSocketClient = None  # type: ignore[assignment,misc]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


#: The dialects the core figures cover: (key suffix, api, pushes, login/summary answers).
_LOGIN_V3: dict = {
    "customer": {"id": CUSTOMER_ID, "type": "customer", "name": "Ann", "present": True},
    "has_active_thread": False,
    "chats": [],
}
_ANSWERS: dict[str, dict[str, dict]] = {
    "0.3": {
        "login": {"customer_id": "c1"},
        "get_chats_summary": {"chats_summary": [], "total_chats": 0},
    },
    "3.6": {"login": _LOGIN_V3, "list_chats": {"chats_summary": [], "total_chats": 0}},
}
DIALECTS: tuple[tuple[str, str, Callable[[int], list[bytes]]], ...] = (
    ("", "0.3", push_messages),
    ("_v3", "3.6", push_messages_v3),
)


def ready_core(config: Config | None = None, api: str = "0.3") -> ClientProtocol:
    """A client core logged in (login and chats summary answered), outputs drained."""
    if api == "0.3":
        core = ClientProtocol(license_id=1, config=config)
    else:
        core = ClientProtocol(api=api, organization_id=ORGANIZATION_ID, config=config)
    core.connect(0.0)
    for _ in range(10):
        outputs = core.outputs()
        if not outputs:
            break
        for output in outputs:
            if isinstance(output, FetchToken):
                core.token_received(Token(access_token="t"), 0.0)
            elif isinstance(output, OpenTransport):
                core.transport_opened(0.0)
            elif isinstance(output, Send):
                request = json.loads(output.data)
                action = request["action"]
                answer = {
                    "request_id": request["request_id"],
                    "action": action,
                    "type": "response",
                    "success": True,
                    "payload": _ANSWERS[api][action],
                }
                core.receive(json.dumps(answer).encode(), 0.0)
    assert core.state.value == "connected", core.state
    return core


#: Messages per ``receive_many`` call: about what one 64 KiB socket read holds.
BATCH = 200


def _receive_loop(messages: list[bytes], api: str) -> Callable[[], float]:
    """The core fed as the drivers feed it: a read's messages at once, outputs drained once."""
    batches = [messages[i : i + BATCH] for i in range(0, len(messages), BATCH)]

    def run() -> float:
        core = ready_core(api=api)
        receive_many, outputs = core.receive_many, core.outputs
        start = time.perf_counter()
        for batch in batches:
            receive_many(batch, 1.0)
            for _ in outputs():
                pass
        elapsed = time.perf_counter() - start
        last = core.outputs()
        assert not last
        return elapsed

    return run


def _check_typed(messages: list[bytes], api: str) -> None:
    core = ready_core(api=api)
    core.receive(messages[0], 1.0)
    (event,) = core.outputs()
    assert isinstance(event, NewEvent), event
    assert isinstance(event.event, MessageEvent), event
    if codec._USE_MSGSPEC:  # the figure measures the typed decoder: it must take the pushes
        assert typed.decoder_for(api)(messages[0]) == event, event


def _loads_loop(loads: Callable[[bytes], object], messages: list[bytes]) -> Callable[[], float]:
    def base() -> float:
        start = time.perf_counter()
        for data in messages:
            loads(data)
        return time.perf_counter() - start

    return base


def _split(messages: list[bytes], api: str, base: float, rounds: int) -> dict[str, float]:
    """Where a push's time goes on the typed path (the ``speedups`` row), us per push.

    Each piece timed alone, best of ``rounds`` with the collector off (as ``paired`` runs the
    figure): msgspec's typed decode; the v3 timestamp conversion (``parse_ms`` of the pushes'
    ``created_at``, 0 for v0.3's integers); the typed decoder whole (decode, conversion and
    the two frozen event objects, the events kept for a batch as the engine keeps them). The
    engine's share is the figure's time less the decoder's. ``needs`` is the time per push at
    which the row would meet its 0.35x (``base``: ``orjson.loads``' seconds for the batch).
    """
    dialect = 0 if api == "0.3" else 1
    decoder = typed.decoder_for(api)
    stamps = [typed._decode(m, 1).payload.event.created_at for m in messages] if dialect else []
    batches = [messages[i : i + BATCH] for i in range(0, len(messages), BATCH)]

    def timed(work: Callable[[], object]) -> float:
        def run() -> float:
            start = time.perf_counter()
            work()
            return time.perf_counter() - start

        with collector_off():
            return best_of(run, rounds) / len(messages) * 1e6

    def decode() -> None:
        for data in messages:
            typed._decode(data, dialect)

    def stamp() -> None:
        for value in stamps:
            parse_ms(value)

    def whole() -> None:
        for batch in batches:
            kept = [decoder(data) for data in batch]
            del kept

    return {
        "decode_us": round(timed(decode), 3),
        "timestamp_us": round(timed(stamp), 3) if dialect else 0.0,
        "typed_decoder_us": round(timed(whole), 3),
        "needs_us": round(base / len(messages) * 1e6 / 0.35, 3),
    }


def fig_core_receive(n: int, rounds: int) -> list[Figure]:
    """Pushes -> typed NewEvent, per dialect, vs bare json.loads / orjson.loads of the bytes.

    The stdlib row is the plain install (stdlib json, no typed decoder); the orjson row the
    ``speedups`` extra (orjson, and msgspec's typed decoder of the push when installed).
    """
    figures = []
    previous = codec.use_orjson(False), codec.use_msgspec(False)
    try:
        for suffix, api, make in DIALECTS:
            messages = make(n)
            codec.use_orjson(False)
            codec.use_msgspec(False)
            _check_typed(messages, api)
            ratio, ours, baseline = paired(
                _receive_loop(messages, api), _loads_loop(json.loads, messages), rounds
            )
            figures.append(
                Figure(
                    f"core_receive_json{suffix}",
                    f"core (api {api}): incoming_event pushes -> NewEvent (stdlib json) vs "
                    "json.loads",
                    ">= 0.5x",
                    ratio,
                    n / ours,
                    n / baseline,
                    ok=ratio >= 0.5,
                )
            )
            if not codec._ORJSON_AVAILABLE:
                continue
            import orjson

            codec.use_orjson(True)
            with_msgspec = codec._MSGSPEC_AVAILABLE
            codec.use_msgspec(with_msgspec)
            _check_typed(messages, api)
            ratio, ours, baseline = paired(
                _receive_loop(messages, api), _loads_loop(orjson.loads, messages), rounds
            )
            notes, split = "orjson (no msgspec)", {}
            if with_msgspec:
                split = _split(messages, api, baseline, rounds)
                split["core_us"] = round(ours / n * 1e6, 3)
                split["engine_us"] = round(split["core_us"] - split["typed_decoder_us"], 3)
                notes = (
                    "orjson + msgspec typed decoder; us/push: decode {decode_us:.2f}, "
                    "timestamp {timestamp_us:.2f}, decoder whole {typed_decoder_us:.2f}, "
                    "engine {engine_us:.2f}, core {core_us:.2f}; 0.35x needs {needs_us:.2f}"
                ).format(**split)
            figures.append(
                Figure(
                    f"core_receive_orjson{suffix}",
                    f"core (api {api}): incoming_event pushes -> NewEvent (orjson) vs orjson.loads",
                    ">= 0.35x",
                    ratio,
                    n / ours,
                    n / baseline,
                    ok=ratio >= 0.35,
                    notes=notes,
                    extra=split,
                )
            )
    finally:
        codec.use_orjson(previous[0])
        codec.use_msgspec(previous[1])
    return figures


def fig_core_send(n: int, rounds: int) -> list[Figure]:
    """send_message -> Send output vs json.dumps of the same request dicts (stdlib json)."""
    texts = [f"Hello, this is customer message number {i}." for i in range(n)]
    config = Config(max_pending_requests=n + 10)
    figures = []
    previous = codec.use_orjson(False)
    try:
        for suffix, api, _ in DIALECTS:
            sample = ready_core(config, api)
            sample._cap = n + 10
            sample.send_message("CHAT1", texts[0], 1.0)
            (send,) = sample.outputs()
            assert isinstance(send, Send)
            request = json.loads(send.data)
            first = int(request["request_id"])
            payload = request["payload"]
            dicts = [
                {
                    **request,
                    "request_id": str(first + i),
                    "payload": {**payload, "event": {**payload["event"], "text": text}},
                }
                for i, text in enumerate(texts)
            ]

            def ours(api: str = api) -> float:
                core = ready_core(config, api)
                # v3 keeps at most 10 requests in flight and queues the rest (v3.md section 2);
                # nothing answers them here, so the cap is lifted: the figure is the write path.
                core._cap = n + 10
                send_message, outputs = core.send_message, core.outputs
                sent = 0
                start = time.perf_counter()
                for text in texts:
                    send_message("CHAT1", text, 1.0)
                    for _ in outputs():
                        sent += 1
                elapsed = time.perf_counter() - start
                assert sent == n, sent  # one Send each, none queued
                return elapsed

            def base(dicts: list[dict] = dicts) -> float:
                dumps = json.dumps
                start = time.perf_counter()
                for item in dicts:
                    dumps(item, separators=(",", ":"), ensure_ascii=False).encode()
                return time.perf_counter() - start

            ratio, t_ours, t_base = paired(ours, base, rounds)
            figures.append(
                Figure(
                    f"core_send{suffix}",
                    f"core (api {api}): send_message -> Send (stdlib json) vs json.dumps of the "
                    "same dicts",
                    ">= 0.5x",
                    ratio,
                    n / t_ours,
                    n / t_base,
                    ok=ratio >= 0.5,
                )
            )
    finally:
        codec.use_orjson(previous)
    return figures


def _accept_response(request_bytes: bytes) -> bytes:
    key = b""
    for line in request_bytes.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def _frames(messages: list[bytes], chunk: int = 65536) -> list[bytes]:
    from bench.pushserver import frame

    stream = b"".join(frame(data) for data in messages)
    return [stream[i : i + chunk] for i in range(0, len(stream), chunk)]


def _ours(cls: type, chunks: list[bytes], n: int) -> Callable[[], float]:
    def ours() -> float:
        client = cls(host="127.0.0.1:8080", license_id=1, bh="")
        client.receive_data(_accept_response(client.data_to_send()))
        list(client.events())
        receive, events = client.receive_data, client.events
        count = 0
        start = time.perf_counter()
        for chunk in chunks:
            receive(chunk)
            for _ in events():
                count += 1
        elapsed = time.perf_counter() - start
        assert count == n, count
        return elapsed

    return ours


def fig_transport(n: int, rounds: int) -> list[Figure]:
    chunks = _frames(push_messages(n))
    ours = _ours(WebSocketClient, chunks, n)

    def base() -> float:
        ws = WSConnection(ConnectionType.CLIENT)
        response = _accept_response(ws.send(WsRequest(host="127.0.0.1:8080", target="/")))
        ws.receive_data(response)
        list(ws.events())
        receive, events = ws.receive_data, ws.events
        count = 0
        start = time.perf_counter()
        for chunk in chunks:
            receive(chunk)
            for event in events():
                if event.message_finished:  # type: ignore[attr-defined]
                    count += 1
        elapsed = time.perf_counter() - start
        assert count == n, count
        return elapsed

    ratio, t_ours, t_base = paired(ours, base, rounds)
    figures = [
        Figure(
            "transport_receive",
            "transport: text frames parsed, WebSocketClient vs bare wsproto (client role)",
            ">= 0.9x",
            ratio,
            n / t_ours,
            n / t_base,
            ok=ratio >= 0.9,
        )
    ]
    if FastWebSocketClient is None:
        return figures
    fast = _ours(FastWebSocketClient, chunks, n)

    def ws_base() -> float:
        proto = WsClientProtocol(parse_uri("ws://127.0.0.1:8080/"), max_size=1 << 20)
        proto.send_request(proto.connect())
        proto.receive_data(_accept_response(b"".join(proto.data_to_send())))
        proto.events_received()
        receive, events = proto.receive_data, proto.events_received
        count = 0
        start = time.perf_counter()
        for chunk in chunks:
            receive(chunk)
            for frame in events():
                if frame.fin:  # type: ignore[union-attr]
                    count += 1
        elapsed = time.perf_counter() - start
        assert count == n, count
        return elapsed

    ratio, t_fast, t_ws = paired(fast, ws_base, rounds)
    speedup, _, _ = paired(fast, ours, rounds)
    figures.append(
        Figure(
            "transport_receive_fast",
            "transport: FastWebSocketClient vs bare websockets ClientProtocol (client role)",
            ">= 0.8x",
            ratio,
            n / t_fast,
            n / t_ws,
            ok=ratio >= 0.8,
            notes=f"{speedup:.2f}x WebSocketClient (wsproto)",
        )
    )
    return figures
