"""The checking driver for a v3 (``api="3.6"``) client core, and a scripted LiveChat v3 peer.

:class:`V3Driver` is :class:`fuzz.driver.Driver` (exactly-once ends, login first, nothing but the
login handshake before ``connected``, first writes in call order, no ``new_event`` for our own
echo, the transport agrees with the phase, determinism replay) with the v3 rules of
``spec/v3.md`` checked after every input as well:

* **the pending cap** (section 2): never more than 10 requests written on a connection and
  unanswered (no response, no push that resolves it, and not yet timed out by the client);
* **keepalive** (section 2): in READY the link never stays up 30 s (one ping interval plus the
  pong timeout) after the last inbound message, and it is never dropped for a missing ping answer
  sooner than the pong timeout after one;
* **exactly-once sends** (section 8): a ``send_event``/``resume_chat`` is never written with the
  ``custom_id`` of an event the server already stored (while the server is honest: the
  machine clears ``honest`` when it feeds mutated messages, which may lie to the lookup);
* **fresh tokens** (section 8): after ``access_token_expired``/``revoked`` the next attempt asks
  for a fresh token and opens no transport before it.

:class:`V3FakeServer` keeps chats, threads and events and answers one request at a time with
the v3 shapes (``login``, ``list_chats``, ``list_threads`` pages, ``start_chat``/``resume_chat``
with ``incoming_chat``, ``send_event`` with ``incoming_event`` or ``chat_inactive``, ...).
"""

from __future__ import annotations

import json
from typing import Any

from customer_protocol import (
    ClientProtocol,
    CloseTransport,
    Config,
    Connected,
    ConnectionRestored,
    FetchToken,
    OpenTransport,
    Phase,
    RemoteProtocolError,
    SeededRandom,
    Send,
)
from customer_protocol.codec import Push, Response, decode_message
from customer_protocol.rfc3339 import format_ms
from fuzz import samples_v3 as v3
from fuzz.driver import Driver

MAX_INFLIGHT = 10
"""v3.md section 2: at most this many requests pending per connection."""
RESOLVING_PUSH = {
    "start_chat": "incoming_chat",
    "resume_chat": "incoming_chat",
    "send_event": "incoming_event",
}
"""The push-resolved calls (v3.md section 2) and the push that answers each."""
EPOCH_MS = 1_709_287_200_000
EPSILON = 1e-6


def _custom_ids(request: dict[str, Any]) -> list[str]:
    """The ``custom_id`` of every event a ``send_event``/``resume_chat`` request carries."""
    payload = request.get("payload") or {}
    if request["action"] == "send_event":
        events = [payload.get("event") or {}]
    elif request["action"] == "resume_chat":
        events = payload.get("chat", {}).get("thread", {}).get("events") or []
    else:
        return []
    return [e["custom_id"] for e in events if isinstance(e.get("custom_id"), str)]


class V3FakeServer:
    """Just enough of a LiveChat v3.6 server: chats, threads (newest last) and events."""

    def __init__(self) -> None:
        self.chats: dict[str, list[dict[str, Any]]] = {}
        self.counter = 0
        self.stored: set[str] = set()
        """The ``custom_id`` of every event stored (the exactly-once check reads it)."""
        # The customer comes back to a chat of an earlier visit, with an agent's message.
        self._new_thread("CH0", [])
        self.agent_event("CH0", "hello again")

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _stamp(self) -> str:
        self.counter += 1
        return format_ms(EPOCH_MS + 1000 * self.counter)

    def _active(self, chat: str) -> dict[str, Any] | None:
        threads = self.chats.get(chat) or []
        return threads[-1] if threads and threads[-1]["active"] else None

    def _new_thread(self, chat: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        threads = self.chats.setdefault(chat, [])
        thread: dict[str, Any] = {
            "id": self._id("T"),
            "active": True,
            "user_ids": [v3.CUSTOMER_ID, v3.AGENT_ID],
            "events": [],
            "properties": {},
            "access": {"group_ids": [0]},
            "created_at": self._stamp(),
        }
        if threads:
            thread["previous_thread_id"] = threads[-1]["id"]
        threads.append(thread)
        for event in events:
            self._store(thread, event)
        return thread

    def _store(self, thread: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        stored = dict(event)
        stored.update(
            id=f"{thread['id']}_{len(thread['events']) + 1}",
            created_at=self._stamp(),
            author_id=v3.CUSTOMER_ID,
        )
        thread["events"].append(stored)
        if isinstance(stored.get("custom_id"), str):
            self.stored.add(stored["custom_id"])
        return stored

    def _view(self, chat: str, thread: dict[str, Any] | None) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": chat,
            "users": [v3.s.customer(), v3.s.agent()],
            "properties": {},
            "access": {"group_ids": [0]},
        }
        if thread is not None:
            view["thread"] = thread
        return view

    def count(self, custom_id: str) -> int:
        """How many stored events carry ``custom_id``."""
        return sum(
            event.get("custom_id") == custom_id
            for threads in self.chats.values()
            for thread in threads
            for event in thread["events"]
        )

    def agent_event(self, chat: str, text: str) -> dict[str, Any] | None:
        """An agent's message in ``chat``'s active thread (an ordinary push), if it has one."""
        thread = self._active(chat)
        if thread is None:
            return None
        event = self._store(thread, {"type": "message", "text": text})
        event["author_id"] = v3.AGENT_ID
        payload = {"chat_id": chat, "thread_id": thread["id"], "event": event}
        return v3.push("incoming_event", payload)

    def agent_close(self, chat: str) -> dict[str, Any] | None:
        thread = self._active(chat)
        if thread is None:
            return None
        thread["active"] = False
        payload = {"chat_id": chat, "thread_id": thread["id"], "user_id": v3.AGENT_ID}
        return v3.push("chat_deactivated", payload)

    # -- requests ------------------------------------------------------------------------------

    def _page(self, items: list[Any], payload: dict[str, Any], kind: str) -> tuple[list[Any], Any]:
        """A page of ``items`` by ``limit`` (or ``page_id``); the next page id or ``None``."""
        page_id = payload.get("page_id")
        if isinstance(page_id, str) and page_id.startswith(kind + ":"):
            offset, limit = (int(part) for part in page_id.split(":")[1:])
        else:
            offset, limit = 0, payload.get("limit") or 10
        if kind == "lt" and not page_id and payload.get("min_events_count"):
            wanted, limit = payload["min_events_count"], 0
            for thread in items:
                limit += 1
                wanted -= len(thread["events"])
                if wanted <= 0:
                    break
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        return page, f"{kind}:{offset + limit}:{limit}" if more else None

    def _list_chats(self, payload: dict[str, Any]) -> dict[str, Any]:
        summaries = [
            {
                "id": chat,
                "last_thread_id": threads[-1]["id"],
                "last_thread_created_at": threads[-1]["created_at"],
                "users": [v3.s.customer(), v3.s.agent()],
                "last_event_per_type": {},
                "properties": {},
                "access": {"group_ids": [0]},
                "active": threads[-1]["active"],
            }
            for chat, threads in reversed(self.chats.items())
            if threads
        ]
        page, next_page = self._page(summaries, payload, "lc")
        result: dict[str, Any] = {"chats_summary": page, "total_chats": len(summaries)}
        if next_page:
            result["next_page_id"] = next_page
        return result

    def run(self, action: str, payload: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
        """Carry out a request: ``(response payload or error type, [(push, payload)])``."""
        if action == "login":
            return v3.login_payload(), []
        if action == "list_chats":
            return self._list_chats(payload), []
        if action == "start_chat":
            chat = self._id("CH")
            events = payload.get("chat", {}).get("thread", {}).get("events", [])
            thread = self._new_thread(chat, events)
            result = {
                "chat_id": chat,
                "thread_id": thread["id"],
                "event_ids": [event["id"] for event in thread["events"]],
            }
            return result, [("incoming_chat", {"chat": self._view(chat, thread)})]
        if action == "update_customer":
            return {}, [("customer_updated", {"id": v3.CUSTOMER_ID, **payload})]
        if action not in ("resume_chat", "deactivate_chat", "update_chat_properties") and (
            "chat_id" not in payload
        ):
            return v3.RESPONSES.get(action, "validation"), []
        body = payload.get("chat") if action == "resume_chat" else payload
        chat = (body or {}).get("chat_id") or (body or {}).get("id")
        if chat not in self.chats:
            return "not_found", []
        threads = self.chats[chat]
        active = self._active(chat)
        if action == "resume_chat":
            if active is not None:
                return "validation", []
            thread = self._new_thread(chat, payload["chat"].get("thread", {}).get("events", []))
            result = {"thread_id": thread["id"], "event_ids": [e["id"] for e in thread["events"]]}
            return result, [("incoming_chat", {"chat": self._view(chat, thread)})]
        if action == "send_event":
            if active is None:
                return "chat_inactive", []
            event = self._store(active, payload["event"])
            push = {"chat_id": chat, "thread_id": active["id"], "event": event}
            return {"event_id": event["id"]}, [("incoming_event", push)]
        if action == "deactivate_chat":
            if active is None:
                return "validation", []
            active["active"] = False
            push = {"chat_id": chat, "thread_id": active["id"], "user_id": v3.CUSTOMER_ID}
            return {}, [("chat_deactivated", push)]
        if action == "list_threads":
            page, next_page = self._page(threads[::-1], payload, "lt")
            result = v3.threads_page(*page, next_page_id=next_page)
            result["found_threads"] = len(threads)
            return result, []
        if action == "get_chat":
            wanted = payload.get("thread_id")
            found = [t for t in threads if t["id"] == wanted] if wanted else threads[-1:]
            if not found:
                return "not_found", []
            return self._view(chat, found[0]), []
        if action == "update_chat_properties":
            push = {"chat_id": chat, "properties": payload.get("properties", {})}
            return {}, [("chat_properties_updated", push)]
        if action == "update_thread_properties":
            push = {**payload}
            return {}, [("thread_properties_updated", push)]
        if action == "mark_events_as_seen":
            push = {"user_id": v3.CUSTOMER_ID, **payload}
            return {}, [("events_marked_as_seen", push)]
        return v3.RESPONSES.get(action, "validation"), []


class V3Driver(Driver):
    """:class:`Driver` for a v3.6 client against :class:`V3FakeServer`, with the v3 checks."""

    def __init__(
        self, seed: int = 1, config: Config | None = None, host: str | None = "api.livechatinc.com"
    ) -> None:
        self.host = host
        self.outstanding: dict[str, tuple[float, str]] = {}
        """Requests written on this connection and unanswered: request id -> (when, action)."""
        self.last_inbound = 0.0
        self.honest = True
        self.expect_fresh = False
        super().__init__(seed, config)

    # -- the dialect's hooks -------------------------------------------------------------------

    def fresh(self) -> ClientProtocol:
        return ClientProtocol(
            api="3.6",
            organization_id=v3.ORGANIZATION_ID,
            host=self.host,
            config=self.config,
            rng=SeededRandom(self.seed),
        )

    def new_server(self) -> V3FakeServer:
        return V3FakeServer()

    def marker(self, request: dict[str, Any]) -> int | None:
        payload = request.get("payload") or {}
        action = request["action"]
        if action in ("send_event", "resume_chat"):
            ids = [cid for cid in _custom_ids(request) if cid.startswith("m")]
            return int(ids[0][1:]) if ids else None
        if action == "start_chat":
            properties = payload.get("chat", {}).get("properties", {})
            return properties.get("fz", {}).get("seq")  # type: ignore[no-any-return]
        if action == "update_chat_properties":
            return payload.get("properties", {}).get("fz", {}).get("seq")  # type: ignore[no-any-return]
        return None

    def handshake(self, request: dict[str, Any]) -> bool:
        action = request["action"]
        return action == "login" or (action == "list_chats" and not request.get("payload"))

    # -- inputs --------------------------------------------------------------------------------

    def receive(self, message: Any, *, echo: bool = False) -> None:
        # An echo is one only while its push-resolved request waits for it: v3 emits every
        # other push as an ordinary push, whatever request_id it carries (v3.md section 2).
        if echo and isinstance(message, dict):
            request = self.client._inflight.get(message.get("request_id") or "")
            echo = request is not None and request.indirect
        super().receive(message, echo=echo)

    def _input(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], issues: bool) -> Any:
        if name == "receive":
            self._inbound(args[0])
        return super()._input(name, args, kwargs, issues)

    def _inbound(self, data: Any) -> None:
        """What the server's message answers, as the server sees it (before the client reads
        it: an answer frees a slot, and the client may write from the outbox at once)."""
        self.last_inbound = self.now
        try:
            message = decode_message(data)
        except RemoteProtocolError:
            return
        entry = self.outstanding.get(message.request_id or "")
        if entry is None:
            return
        if isinstance(message, Response) or (
            isinstance(message, Push) and RESOLVING_PUSH.get(entry[1]) == message.action
        ):
            del self.outstanding[message.request_id or ""]

    def closed(self) -> None:
        self.outstanding.clear()
        super().closed()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass as a real driver does: wake at every deadline on the way."""
        target = self.now + seconds
        for _ in range(10_000):
            deadline = self.client.next_deadline()
            if deadline is None or deadline > target:
                break
            self.now = max(self.now, deadline)
            self.feed("handle_timer", self.now)
        self.now = target
        self.feed("handle_timer", self.now)

    # -- checks --------------------------------------------------------------------------------

    def drain(self) -> None:
        super().drain()
        if self.client.phase is Phase.READY and self.transport == "open":
            silent = self.now - self.last_inbound
            limit = self.config.keepalive_interval + self.config.pong_timeout
            # (<= with a margin: deadlines are sums of floats, the model's clock another sum)
            assert silent <= limit + EPSILON, f"the link stayed up {silent} s in silence"

    def check(self, output: Any) -> None:
        super().check(output)
        if isinstance(output, OpenTransport):
            assert not self.expect_fresh, "a transport opened before the fresh token came"
            self.outstanding.clear()
        elif isinstance(output, CloseTransport):
            self.outstanding.clear()
            if output.reason == "keepalive timeout":
                silent = self.now - self.last_inbound
                assert silent >= self.config.pong_timeout - EPSILON, f"dropped after {silent} s"
        elif isinstance(output, FetchToken):
            if self.expect_fresh:
                assert output.fresh, "the token after access_token_expired is not fresh"
                self.expect_fresh = False
        elif isinstance(output, Connected | ConnectionRestored):
            self.last_inbound = self.now
        elif isinstance(output, Send):
            request = json.loads(output.data)
            timeout = self.config.request_timeout
            for rid, (when, _) in list(self.outstanding.items()):
                if when + timeout <= self.now:
                    del self.outstanding[rid]
            self.outstanding[request["request_id"]] = (self.now, request["action"])
            assert len(self.outstanding) <= MAX_INFLIGHT, (
                f"{len(self.outstanding)} requests unanswered: {sorted(self.outstanding.values())}"
            )
            if self.honest:
                again = [cid for cid in _custom_ids(request) if cid in self.server.stored]
                assert not again, f"{again} written again although the server stored it"
