"""A scripted server for driving the sans-IO client core with no I/O and no sleep."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from customer_protocol import (
    ClientProtocol,
    Config,
    FetchToken,
    OpenTransport,
    SeededRandom,
    Send,
    Token,
)
from customer_protocol.outputs import Output

TOKEN = Token(access_token="secret-access-token", expires_in=3600, customer_id=None)


@dataclass
class Sent:
    """A request the client wrote, decoded."""

    request_id: str | None
    action: str
    payload: dict[str, Any] | None


def user(uid: str, kind: str = "agent", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": uid, "type": kind, "present": True, "last_seen_timestamp": 100}
    if kind == "agent":
        base.update(name="Agent " + uid, avatar="a.png")
    else:
        base.update(fields={})
    base.update(extra)
    return base


def message(eid: str, order: int, text: str = "hi", author: str = "agent1", **extra: Any) -> dict[str, Any]:
    event = {"id": eid, "order": order, "type": "message", "author_id": author,
             "timestamp": 1000 + order, "text": text}
    event.update(extra)
    return event


def thread(tid: str, order: int, events: list[dict[str, Any]] | None = None, active: bool = True) -> dict[str, Any]:
    return {"id": tid, "active": active, "order": order, "user_ids": ["cust", "agent1"],
            "events": events or [], "properties": {}}


class Harness:
    """Owns a client and a fake clock; records every output."""

    def __init__(self, config: Config | None = None, **kwargs: Any) -> None:
        self.client = ClientProtocol(
            license_id=1, config=config or Config(), rng=SeededRandom(7), **kwargs
        )
        self.now = 0.0
        self.log: list[Output] = []

    # inputs ----------------------------------------------------------------------------------
    def drain(self) -> list[Output]:
        out = self.client.outputs()
        self.log.extend(out)
        return out

    def advance(self, seconds: float) -> list[Output]:
        self.now += seconds
        self.client.handle_timer(self.now)
        return self.drain()

    def feed(self, message: dict[str, Any] | bytes | str) -> list[Output]:
        data = message if isinstance(message, bytes | str) else json.dumps(message)
        self.client.receive(data, self.now)
        return self.drain()

    def respond(self, sent: Sent, payload: dict[str, Any] | None = None, *, success: bool = True) -> list[Output]:
        return self.feed({"request_id": sent.request_id, "action": sent.action, "type": "response",
                          "success": success, "payload": payload or {}})

    def error(self, sent: Sent, kind: str, message: str = "nope") -> list[Output]:
        return self.respond(sent, {"error": {"type": kind, "message": message}}, success=False)

    def push(self, action: str, payload: dict[str, Any], request_id: str | None = None) -> list[Output]:
        msg: dict[str, Any] = {"action": action, "type": "push", "payload": payload}
        if request_id is not None:
            msg["request_id"] = request_id
        return self.feed(msg)

    # helpers ---------------------------------------------------------------------------------
    @staticmethod
    def sent(outputs: list[Output]) -> list[Sent]:
        result = []
        for out in outputs:
            if isinstance(out, Send):
                msg = json.loads(out.data)
                result.append(Sent(msg.get("request_id"), msg["action"], msg.get("payload")))
        return result

    def one(self, outputs: list[Output], action: str | None = None) -> Sent:
        sent = self.sent(outputs)
        assert len(sent) == 1, sent
        if action is not None:
            assert sent[0].action == action, sent[0]
        return sent[0]

    def connect(self, summary: dict[str, Any] | None = None, *, customer_id: str = "cust") -> list[Output]:
        """connect() through login and the chats summary; returns every output."""
        outputs: list[Output] = []
        if self.client.phase.value == "stopped":
            self.client.connect(self.now)
            outputs += self.drain()
        if any(isinstance(o, FetchToken) for o in outputs):
            self.client.token_received(TOKEN, self.now)
            outputs += self.drain()
        return outputs + self.open_and_login(summary, customer_id=customer_id)

    def open_and_login(self, summary: dict[str, Any] | None = None, *, customer_id: str = "cust") -> list[Output]:
        outputs: list[Output] = []
        self.client.transport_opened(self.now)
        out = self.drain()
        outputs += out
        login = self.one(out, "login")
        out = self.respond(login, {"customer_id": customer_id, "static_config_path": "/x"})
        outputs += out
        request = self.one(out, "get_chats_summary")
        outputs += self.respond(request, summary or {"chats_summary": [], "total_chats": 0})
        return outputs

    def opened(self, outputs: list[Output]) -> bool:
        return any(isinstance(o, OpenTransport) for o in outputs)
