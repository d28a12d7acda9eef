"""A checking driver for the client core and a small scripted server that answers it.

:class:`Driver` owns one :class:`ClientProtocol`, a fake clock and a :class:`FakeServer`. Every
input goes through :meth:`Driver.feed`, which records it (for the determinism replay), drains
the outputs and checks the invariants that must hold after *any* input:

* every call id ends exactly once (``CallSucceeded``/``CallFailed``), and ``pending_calls``
  is exactly the number of calls issued and not ended;
* transports are opened only when none is open, and ``Send``/``SendPing`` happen only on an
  open transport; the first ``Send`` of each connection is ``login``, and no request but the
  login handshake is written before ``connected``/``connection_restored`` on that connection;
* requests carrying an order marker are written for the first time in call order;
* a push that echoes our own request (it carries our ``request_id``) emits no ``new_event``;
* the model's idea of the transport agrees with ``client.phase``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    CloseTransport,
    Config,
    Connected,
    ConnectionRestored,
    FetchToken,
    NewEvent,
    OpenTransport,
    Phase,
    SeededRandom,
    Send,
    SendPing,
    Token,
    UploadFile,
)
from fuzz import samples

TRANSPORT_PHASES = frozenset({Phase.LOGIN, Phase.REAUTH, Phase.SUMMARY, Phase.READY})
TOKEN = Token(access_token="fuzz-token", expires_in=3600)


def marker(request: dict[str, Any]) -> int | None:
    """The order marker the fuzz machine put in a request, if any."""
    payload = request.get("payload") or {}
    action = request["action"]
    if action == "send_event":
        custom_id = payload.get("event", {}).get("custom_id", "")
        return int(custom_id[1:]) if custom_id.startswith("m") else None
    if action in ("update_chat_properties", "start_chat"):
        return payload.get("properties", {}).get("fz", {}).get("seq")  # type: ignore[no-any-return]
    if action == "update_customer":
        seq = payload.get("customer", {}).get("fields", {}).get("seq")
        return None if seq is None else int(seq)
    return None


class FakeServer:
    """Just enough of a server: chats, threads and events, answering one request at a time."""

    def __init__(self) -> None:
        self.chats: dict[str, list[dict[str, Any]]] = {}  # chat id -> threads, oldest first
        self.counter = 0

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _active(self, chat: str) -> dict[str, Any] | None:
        threads = self.chats.get(chat) or []
        return threads[-1] if threads and threads[-1]["active"] else None

    def _new_thread(self, chat: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        threads = self.chats.setdefault(chat, [])
        thread = {
            "id": self._id("t"),
            "active": True,
            "order": len(threads) + 1,
            "user_ids": ["cust", "agent1"],
            "events": [],
            "properties": {},
        }
        threads.append(thread)
        for event in events:
            self._store(thread, event)
        return thread

    def _store(self, thread: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        stored = dict(event)
        stored.update(
            id=self._id("e"), order=self.counter, author_id="cust", timestamp=1000 + self.counter
        )
        thread["events"].append(stored)
        return stored

    def _chat_view(self, chat: str, thread: dict[str, Any]) -> dict[str, Any]:
        users = [samples.customer(), samples.agent()]
        return {"id": chat, "users": users, "properties": {}, "scopes": {}, "thread": thread}

    def agent_event(self, chat: str, text: str) -> dict[str, Any] | None:
        """An agent's message in ``chat``'s active thread (an ordinary push), if it has one."""
        thread = self._active(chat)
        if thread is None:
            return None
        event = self._store(thread, {"type": "message", "text": text})
        event["author_id"] = "agent1"
        return samples.push(
            "incoming_event", {"chat_id": chat, "thread_id": thread["id"], "event": event}
        )

    def agent_close(self, chat: str) -> dict[str, Any] | None:
        thread = self._active(chat)
        if thread is None:
            return None
        thread["active"] = False
        return samples.push(
            "thread_closed", {"chat_id": chat, "thread_id": thread["id"], "user_id": "agent1"}
        )

    def run(self, action: str, payload: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
        """Carry out a request: ``(response payload or error type, [(push, payload)])``.

        A ``str`` result is an error type; anything else is the success payload.
        """
        chat = payload.get("chat_id")
        if action == "login":
            return {"customer_id": "cust", "static_config_path": "/s.json"}, []
        if action == "get_chats_summary":
            items = [
                {
                    "id": cid,
                    "order": index,
                    "users": [samples.customer()],
                    "properties": {},
                    "scopes": {},
                    "last_event_per_type": {"thread_id": threads[-1]["id"], "events": []},
                }
                for index, (cid, threads) in enumerate(self.chats.items())
                if threads
            ]
            return {"chats_summary": items[:10], "total_chats": len(items)}, []
        if action == "start_chat":
            chat = self._id("c")
            thread = self._new_thread(chat, payload.get("events", []))
            view = self._chat_view(chat, thread)
            return {"chat": view}, [("incoming_chat_thread", {"chat": view})]
        if action == "update_customer":
            pushes = [
                ("customer_updated", {"chat_id": cid, "customer": samples.customer()})
                for cid in self.chats
                if self._active(cid) is not None
            ]
            return {"customer": samples.customer()}, pushes
        if action == "send_sneak_peek":
            return {}, []
        if chat not in self.chats:
            return "validation", []
        threads = self.chats[chat]
        if action == "send_event":
            thread = self._active(chat)
            if thread is None:
                thread = self._new_thread(chat, [payload["event"]])
                event = thread["events"][-1]
                view = self._chat_view(chat, thread)
                push = ("incoming_chat_thread", {"chat": view})
            else:
                event = self._store(thread, payload["event"])
                push = (
                    "incoming_event",
                    {"chat_id": chat, "thread_id": thread["id"], "event": event},
                )
            return {"thread_id": thread["id"], "event": event}, [push]
        if action == "close_thread":
            thread = self._active(chat)
            if thread is None:
                return "validation", []
            thread["active"] = False
            return {}, [("thread_closed", {"chat_id": chat, "thread_id": thread["id"]})]
        if action == "get_chat_threads_summary":
            offset, limit = payload.get("offset", 0), payload.get("limit", 25)
            newest_first = threads[::-1][offset : offset + limit]
            items = [
                {"id": t["id"], "order": t["order"], "total_events": len(t["events"])}
                for t in newest_first
            ]
            return {"threads_summary": items, "total_threads": len(threads)}, []
        if action == "get_chat_threads":
            wanted = set(payload.get("thread_ids", []))
            view = self._chat_view(chat, threads[-1])
            del view["thread"]
            view["threads"] = [t for t in threads if t["id"] in wanted]
            return {"chat": view}, []
        if action == "update_last_seen_timestamp":
            stamp = payload.get("timestamp", 5000)
            push = {"user_id": "cust", "chat_id": chat, "timestamp": stamp}
            return {"timestamp": stamp}, [("last_seen_timestamp_updated", push)]
        if action == "update_chat_thread_properties":
            push = {"chat_id": chat, "thread_id": payload["thread_id"], "properties": {}}
            return {}, [("chat_thread_properties_updated", push)]
        if action == "update_chat_properties":
            return {}, [("chat_properties_updated", {"chat_id": chat, "properties": {}})]
        if action == "update_chat_scopes":
            push = {"chat_id": chat, "scopes_added": {}, "scopes_removed": {}}
            return {}, [("chat_scopes_updated", push)]
        return "validation", []


class Driver:
    """Drives a client against :class:`FakeServer`, recording inputs and checking invariants."""

    def __init__(self, seed: int = 1, config: Config | None = None) -> None:
        self.seed = seed
        self.config = config or Config()
        self.client = self.fresh()
        self.server = self.new_server()
        self.now = 0.0
        self.inputs: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.stream: list[str] = []
        self.issued: set[int] = set()
        self.ended: dict[int, CallSucceeded | CallFailed] = {}
        self.transport: str | None = None  # None, "opening", "open"
        self.pending: list[dict[str, Any]] = []  # requests written on this connection
        self.login_sent = False
        self.ready = False  # connected/connection_restored seen on this connection
        self.token_wanted = False
        self.uploads: list[int] = []
        self.written_markers: list[int] = []
        self.connections = 0
        self.echo = False
        self.stored_unanswered: list[tuple[int, tuple[str, Any]]] = []
        """Sends the server stored without answering: (connection number, (push, payload))."""
        self.started = False  # connect() or disconnect() was called: calls may fail at once

    # -- inputs --------------------------------------------------------------------------------

    def feed(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``client.<name>(*args, **kwargs)``, record it, drain and check the outputs.

        Returns the method's result; exceptions propagate (and are recorded).
        """
        return self._input(name, args, kwargs, issues=False)

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> int:
        """An SDK method that returns a call id (registered before the outputs are checked)."""
        return self._input(name, args, kwargs, issues=True)  # type: ignore[no-any-return]

    def _input(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], issues: bool) -> Any:
        self.inputs.append((name, args, kwargs))
        if name in ("connect", "disconnect"):
            self.started = True
        try:
            result = getattr(self.client, name)(*args, **kwargs)
        except Exception as exc:
            self.stream.append(repr(exc))
            self.drain()
            raise
        self.stream.append(repr(result))
        if issues:
            assert isinstance(result, int) and result not in self.issued, result
            self.issued.add(result)
        self.drain()
        return result

    def receive(self, message: Any, *, echo: bool = False) -> None:
        """Feed one server message (a dict is encoded; bytes are fed as they are)."""
        data = message if isinstance(message, bytes) else samples.encode(message)
        self.echo = echo
        try:
            self.feed("receive", data, self.now)
        finally:
            self.echo = False

    def answer(self, index: int, mode: str, order: bool = True, error: str = "internal") -> None:
        """Answer written request ``index`` (``mode``: ok, no_push, push_only, error, silent,
        stored_silent)."""
        request = self.pending.pop(index)
        rid, action = request.get("request_id"), request["action"]
        if mode == "error":
            self.receive(samples.response(rid, action, samples.error_payload(error), success=False))
            return
        if mode == "silent":
            return
        result, pushes = self.server.run(action, request.get("payload") or {})
        if mode == "stored_silent":
            if action == "send_event" and pushes:  # the server may push it to a new connection
                self.stored_unanswered.append((self.connections, pushes[0]))
            return
        if isinstance(result, str):
            self.receive(
                samples.response(rid, action, samples.error_payload(result), success=False)
            )
            return
        messages: list[tuple[dict[str, Any], bool]] = [
            (samples.push(name, payload, rid), True) for name, payload in pushes
        ]
        if mode == "no_push" or not messages:
            messages = []
        reply = (samples.response(rid, action, result), False)
        if mode != "push_only" or not messages:
            messages.insert(len(messages) if order else 0, reply)
        for message, echo in messages:
            if self.transport != "open":
                return  # the client gave up on this connection meanwhile
            self.receive(message, echo=echo)

    # -- outputs -------------------------------------------------------------------------------

    def drain(self) -> None:
        outputs = self.client.outputs()
        self.stream.extend(map(repr, outputs))
        for output in outputs:
            self.check(output)
        phase = self.client.phase
        assert (self.transport == "open") == (phase in TRANSPORT_PHASES), (self.transport, phase)
        if self.transport == "opening":
            assert phase is Phase.OPENING, phase
        assert self.client.pending_calls == len(self.issued) - len(self.ended)

    def check(self, output: Any) -> None:
        if isinstance(output, OpenTransport):
            assert self.transport is None, "OpenTransport while a transport is open"
            self.transport = "opening"
            self.connections += 1
            self.pending, self.login_sent, self.ready = [], False, False
        elif isinstance(output, CloseTransport):
            assert self.transport is not None, "CloseTransport with no transport"
            self.transport, self.pending = None, []
        elif isinstance(output, Send):
            assert self.transport == "open", "Send with no open transport"
            request = json.loads(output.data)
            action = request["action"]
            if not self.login_sent:
                assert action == "login", f"first Send of a connection is {action}"
                self.login_sent = True
            if not self.handshake(request):
                assert self.ready, f"{action} written before the login handshake finished"
            seq = self.marker(request)
            if seq is not None and seq not in self.written_markers:
                assert not self.written_markers or seq > self.written_markers[-1], (
                    f"request {seq} overtook {self.written_markers[-1]}"
                )
                self.written_markers.append(seq)
            self.pending.append(request)
        elif isinstance(output, SendPing):
            assert self.transport == "open"
        elif isinstance(output, FetchToken):
            self.token_wanted = True
        elif isinstance(output, UploadFile):
            self.uploads.append(output.call)
        elif isinstance(output, CallSucceeded | CallFailed):
            assert output.call in self.issued, f"unknown call {output.call} ended"
            assert output.call not in self.ended, f"call {output.call} ended twice"
            self.ended[output.call] = output
        elif isinstance(output, Connected | ConnectionRestored):
            assert self.transport == "open"
            self.ready = True
        elif isinstance(output, NewEvent):
            assert not self.echo, "new_event for our own echo push"

    # -- transport and token helpers -------------------------------------------------------------

    def opened(self) -> None:
        assert self.transport == "opening"
        self.transport = "open"
        self.feed("transport_opened", self.now)

    def closed(self) -> None:
        self.transport, self.pending = None, []
        self.feed("transport_closed", self.now, 1006, "")

    def token(self, token: Any) -> None:
        self.token_wanted = False
        self.feed("token_received", token, self.now)

    def token_error(self, error: Any) -> None:
        self.token_wanted = False
        self.feed("token_failed", error, self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.feed("handle_timer", self.now)

    def to_deadline(self) -> None:
        deadline = self.client.next_deadline()
        if deadline is not None:
            self.now = max(self.now, deadline)
        self.feed("handle_timer", self.now)

    def step(self) -> bool:
        """Take the natural next step toward READY with nothing pending on the wire (answer
        the token, open the transport, answer the oldest request well, or fire the next
        timer). Returns ``False`` when there is nothing left to do."""
        phase = self.client.phase
        if phase is Phase.READY and not self.pending:
            return False
        if phase is Phase.STOPPED:
            self.feed("connect", self.now)
        elif phase in (Phase.TOKEN, Phase.REAUTH) and self.token_wanted:
            self.token(TOKEN)
        elif phase is Phase.OPENING and self.transport == "opening":
            self.opened()
        elif self.transport == "open" and self.pending:
            self.answer(0, "ok")
        else:
            self.to_deadline()
        return True

    def settle(self, max_steps: int = 200) -> None:
        """Drive the client to READY with nothing pending on the wire, from any live phase."""
        for _ in range(max_steps):
            if not self.step():
                return
        raise AssertionError(f"the client did not settle: {self.client!r}")

    # -- determinism ---------------------------------------------------------------------------

    def replay(self, factory: Callable[[], ClientProtocol] | None = None) -> list[str]:
        """Feed the recorded inputs to a fresh client with the same seed; its output stream."""
        client = (factory or self.fresh)()
        stream: list[str] = []
        for name, args, kwargs in self.inputs:
            try:
                result = getattr(client, name)(*args, **kwargs)
            except Exception as exc:
                stream.append(repr(exc))
            else:
                stream.append(repr(result))
            stream.extend(map(repr, client.outputs()))
        return stream

    # -- what a dialect's driver overrides ------------------------------------------------------

    def fresh(self) -> ClientProtocol:
        """A new client with this driver's seed and config."""
        return ClientProtocol(license_id=1, config=self.config, rng=SeededRandom(self.seed))

    def new_server(self) -> Any:
        """The scripted server that answers the client's requests."""
        return FakeServer()

    def marker(self, request: dict[str, Any]) -> int | None:
        """The order marker the fuzz machine put in a written request, if any."""
        return marker(request)

    def handshake(self, request: dict[str, Any]) -> bool:
        """Whether a written request belongs to the login handshake (login, the summary)."""
        action = request["action"]
        return action == "login" or (action == "get_chats_summary" and "payload" not in request)
