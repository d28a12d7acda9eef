"""A scripted server for driving the sans-IO client core with no I/O and no sleep.

:class:`Harness` owns one :class:`ClientProtocol` and a fake clock (``now``); every output the
client produces is drained into ``log``. Tests play the server: they read what the client wrote
(:meth:`Harness.sent`) and feed responses and pushes back (:meth:`Harness.respond`,
:meth:`Harness.push`). Helpers at module level build server objects in their wire shapes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    CloseTransport,
    Config,
    CustomerSDKError,
    FetchToken,
    MessageDropped,
    OpenTransport,
    SeededRandom,
    Send,
    SendPing,
    Token,
    UploadFile,
)
from customer_protocol.outputs import Output

TOKEN = Token(access_token="secret-access-token", expires_in=3600, customer_id=None)

DRIVER_OUTPUTS = (
    OpenTransport,
    CloseTransport,
    Send,
    SendPing,
    FetchToken,
    UploadFile,
    CallSucceeded,
    CallFailed,
    MessageDropped,
)
"""Output classes that are not SDK events."""


@dataclass
class Sent:
    """A request the client wrote, decoded."""

    request_id: str | None
    action: str
    payload: dict[str, Any] | None


# --------------------------------------------------------------------------------------------
# Server objects (wire shapes)


def user(uid: str, kind: str = "agent", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": uid, "type": kind, "present": True, "last_seen_timestamp": 100}
    if kind == "agent":
        base.update(name="Agent " + uid, avatar="a.png")
    else:
        base.update(fields={})
    base.update(extra)
    return base


def message(
    eid: str, order: int, text: str = "hi", author: str = "agent1", **extra: Any
) -> dict[str, Any]:
    event = {
        "id": eid,
        "order": order,
        "type": "message",
        "author_id": author,
        "timestamp": 1000 + order,
        "text": text,
    }
    event.update(extra)
    return event


def thread(
    tid: str, order: int, events: list[dict[str, Any]] | None = None, active: bool = True
) -> dict[str, Any]:
    return {
        "id": tid,
        "active": active,
        "order": order,
        "user_ids": ["cust", "agent1"],
        "events": events or [],
        "properties": {},
    }


def chat(
    cid: str, one_thread: dict[str, Any], users: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A chat as carried by ``start_chat`` and ``incoming_chat_thread`` (one ``thread``)."""
    return {
        "id": cid,
        "users": users if users is not None else [user("cust", "customer"), user("agent1")],
        "properties": {},
        "scopes": {},
        "thread": one_thread,
    }


def threads_chat(
    cid: str, threads: list[dict[str, Any]], users: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A ``get_chat_threads`` response payload."""
    return {
        "chat": {
            "id": cid,
            "users": users if users is not None else [user("cust", "customer"), user("agent1")],
            "properties": {},
            "scopes": {},
            "threads": threads,
        }
    }


def summaries(items: Iterable[tuple[str, int, int]], total: int) -> dict[str, Any]:
    """A ``get_chat_threads_summary`` payload from ``(id, order, total_events)`` items."""
    return {
        "threads_summary": [
            {"id": tid, "order": order, "total_events": count} for tid, order, count in items
        ],
        "total_threads": total,
    }


# --------------------------------------------------------------------------------------------
# Output filters


DROP: Any = object()
"""A value for :func:`variant`: leave the key out."""


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` applied (a key set to :data:`DROP` removed)."""
    value = copy.deepcopy(base)
    for key, item in changes.items():
        if item is DROP:
            value.pop(key)
        else:
            value[key] = item
    return value


def events(outputs: Iterable[Output]) -> list[Any]:
    """The SDK events among ``outputs``, in order."""
    return [o for o in outputs if not isinstance(o, DRIVER_OUTPUTS)]


def names(outputs: Iterable[Output]) -> list[str]:
    """The names of the SDK events among ``outputs``, in order."""
    return [e.name for e in events(outputs)]


def ended(outputs: Iterable[Output]) -> dict[int, CallSucceeded | CallFailed]:
    """Every call that ended in ``outputs``, by call id (asserts each ended once)."""
    result: dict[int, CallSucceeded | CallFailed] = {}
    for out in outputs:
        if isinstance(out, CallSucceeded | CallFailed):
            assert out.call not in result, f"call {out.call} ended twice"
            result[out.call] = out
    return result


def value(outputs: Iterable[Output], call: int) -> Any:
    """The result of ``call`` (asserts it succeeded in ``outputs``)."""
    end = ended(outputs).get(call)
    assert isinstance(end, CallSucceeded), end
    return end.value


def error(outputs: Iterable[Output], call: int) -> CustomerSDKError:
    """The error of ``call`` (asserts it failed in ``outputs``)."""
    end = ended(outputs).get(call)
    assert isinstance(end, CallFailed), end
    return end.error


def of(outputs: Iterable[Output], cls: type) -> list[Any]:
    """The outputs of class ``cls``."""
    return [o for o in outputs if isinstance(o, cls)]


# --------------------------------------------------------------------------------------------
# The harness


class Harness:
    """Owns a client and a fake clock; records every output."""

    def __init__(self, config: Config | None = None, seed: int = 7, **kwargs: Any) -> None:
        self.client = ClientProtocol(
            license_id=1, config=config or Config(), rng=SeededRandom(seed), **kwargs
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

    def advance_to(self, when: float) -> list[Output]:
        return self.advance(when - self.now)

    def feed(self, msg: dict[str, Any] | bytes | str) -> list[Output]:
        data = msg if isinstance(msg, bytes | str) else json.dumps(msg)
        self.client.receive(data, self.now)
        return self.drain()

    def respond(
        self, sent: Sent, payload: dict[str, Any] | None = None, *, success: bool = True
    ) -> list[Output]:
        return self.feed(
            {
                "request_id": sent.request_id,
                "action": sent.action,
                "type": "response",
                "success": success,
                "payload": payload or {},
            }
        )

    def error(self, sent: Sent, kind: str, text: str = "nope") -> list[Output]:
        return self.respond(sent, {"error": {"type": kind, "message": text}}, success=False)

    def push(
        self, action: str, payload: dict[str, Any], request_id: str | None = None
    ) -> list[Output]:
        msg: dict[str, Any] = {"action": action, "type": "push", "payload": payload}
        if request_id is not None:
            msg["request_id"] = request_id
        return self.feed(msg)

    def call(self, method: str, *args: Any, **kwargs: Any) -> tuple[int, list[Output]]:
        """Call an SDK method that takes ``now`` last; returns its call id and the outputs."""
        call = getattr(self.client, method)(*args, self.now, **kwargs)
        return call, self.drain()

    # helpers ---------------------------------------------------------------------------------
    @staticmethod
    def sent(outputs: Iterable[Output]) -> list[Sent]:
        result = []
        for out in outputs:
            if isinstance(out, Send):
                msg = json.loads(out.data)
                result.append(Sent(msg.get("request_id"), msg["action"], msg.get("payload")))
        return result

    def one(self, outputs: Iterable[Output], action: str | None = None) -> Sent:
        sent = self.sent(outputs)
        assert len(sent) == 1, sent
        if action is not None:
            assert sent[0].action == action, sent[0]
        return sent[0]

    def connect(
        self, summary: dict[str, Any] | None = None, *, customer_id: str = "cust"
    ) -> list[Output]:
        """connect() through login and the chats summary; returns every output."""
        outputs: list[Output] = []
        if self.client.phase.value == "stopped":
            self.client.connect(self.now)
            outputs += self.drain()
        if self.client.phase.value == "token":
            self.client.token_received(TOKEN, self.now)
            outputs += self.drain()
        return outputs + self.open_and_login(summary, customer_id=customer_id)

    def open_and_login(
        self, summary: dict[str, Any] | None = None, *, customer_id: str = "cust"
    ) -> list[Output]:
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

    def drop(self) -> list[Output]:
        """The transport closed under the client."""
        self.client.transport_closed(self.now, 1006, "gone")
        return self.drain()

    def until_open(self, limit: float = 60.0) -> list[Output]:
        """Advance the clock to each deadline until the client asks to open a transport."""
        outputs: list[Output] = []
        start = self.now
        while not self.opened(outputs):
            deadline = self.client.next_deadline()
            assert deadline is not None and deadline - start <= limit, outputs
            out = self.advance_to(deadline)
            outputs += out
            if any(isinstance(o, FetchToken) for o in out):
                self.client.token_received(TOKEN, self.now)
                outputs += self.drain()
        return outputs

    def opened(self, outputs: Iterable[Output]) -> bool:
        return any(isinstance(o, OpenTransport) for o in outputs)
