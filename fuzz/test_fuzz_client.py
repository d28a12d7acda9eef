"""Stateful fuzzing of the client core against a model (fuzz/driver.py).

Hypothesis interleaves user commands, valid, mutated and garbage server messages, transport
drops, token answers and failures, uploads and timer firings. :class:`fuzz.driver.Driver`
checks the per-input invariants; the rules below check that only documented exceptions
escape, and the teardown destroys the client and checks that every call ended, that nothing
is left scheduled, and that replaying the recorded inputs gives an identical output stream.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from customer_protocol import (
    AuthenticationError,
    CallSucceeded,
    ConnectionLostError,
    InvalidArgumentsError,
    NotSupportedError,
    Phase,
    RequestFailedError,
    SDKDestroyedError,
    Token,
)
from fuzz import samples
from fuzz.driver import TOKEN, TRANSPORT_PHASES, Driver

LIVE = frozenset(Phase) - {Phase.DESTROYED}
MODES = st.sampled_from(
    ["ok", "ok", "ok", "no_push", "push_only", "error", "silent", "stored_silent"]
)
REASONS = st.sampled_from(
    ["internal_error", "customer_banned", "too_many_connections", "license_not_found", "other"]
)
TEXT = st.text(max_size=5)


class ClientMachine(RuleBasedStateMachine):
    """The client core under random inputs, valid for its phase."""

    driver_class: type[Driver] = Driver
    lookup_action = "get_chat_threads_summary"
    """The first request of the exactly-once lookup."""
    not_supported: frozenset[str] = frozenset()
    """Methods the dialect does not have (they raise ``NotSupportedError``)."""

    def __init__(self) -> None:
        super().__init__()
        self.d = self.driver_class(seed=1)
        self.seq = 0
        self.cursors: list[int] = []

    @initialize(seed=st.integers(0, 2**32), how=st.sampled_from(["idle", "connect", "ready"]))
    def start(self, seed: int, how: str) -> None:
        self.d = self.driver_class(seed=seed)
        if how != "idle":
            self.connect()
        if how == "ready":
            self.d.settle()

    # -- helpers ---------------------------------------------------------------------------

    def _chat(self, data: st.DataObject) -> str:
        known = sorted(self.d.server.chats)
        return data.draw(st.sampled_from([*known, "c-unknown"]) if known else st.just("c1"))

    def _sdk(self, name: str, *args: Any, invalid: bool = False, **kwargs: Any) -> int | None:
        """Call an SDK method; only documented exceptions may escape, and only when due."""
        try:
            return self.d.call(name, *args, **kwargs)
        except InvalidArgumentsError:
            assert invalid, f"{name}{args} raised InvalidArgumentsError"
        except ConnectionLostError:
            assert self.d.client.phase is Phase.STOPPED and self.d.started
        except NotSupportedError:
            assert name in self.not_supported, f"{name} raised NotSupportedError"
        return None

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    # -- lifecycle ---------------------------------------------------------------------------

    @rule()
    def connect(self) -> None:
        self.d.feed("connect", self.d.now)

    @rule()
    def disconnect(self) -> None:
        self.d.feed("disconnect", self.d.now)
        self.d.uploads.clear()
        assert self.d.client.pending_calls == 0

    @precondition(lambda self: self.d.token_wanted)
    @rule(kind=st.sampled_from(["ok", "ok", "ok", "short", "auth", "network"]))
    def token_answer(self, kind: str) -> None:
        if kind == "ok":
            self.d.token(TOKEN)
        elif kind == "short":
            self.d.token(Token(access_token="short", expires_in=61, customer_id="cust"))
        elif kind == "auth":
            self.d.token_error(AuthenticationError("rejected", type="authentication"))
        else:
            self.d.token_error(RequestFailedError("network down", type="network"))

    @precondition(lambda self: not self.d.token_wanted)
    @rule(kind=st.sampled_from(["ok", "auth"]))
    def stale_token_answer(self, kind: str) -> None:
        # A late answer: valid in every live phase, and ignored.
        if kind == "ok":
            self.d.feed("token_received", TOKEN, self.d.now)
        else:
            self.d.feed("token_failed", AuthenticationError("late"), self.d.now)

    @precondition(lambda self: self.d.transport == "opening")
    @rule(ok=st.booleans())
    def transport_result(self, ok: bool) -> None:
        if ok:
            self.d.opened()
        else:
            self.d.closed()

    @rule(steps=st.integers(1, 8))
    def progress(self, steps: int) -> None:
        """Move toward READY (so that the interesting phases are reached often)."""
        for _ in range(steps):
            if not self.d.step():
                return

    @precondition(lambda self: self.d.transport == "open")
    @rule()
    def drop(self) -> None:
        self.d.closed()

    @precondition(lambda self: self.d.transport == "open")
    @rule()
    def pong(self) -> None:
        self.d.feed("pong_received", self.d.now)

    @rule(seconds=st.one_of(st.just(0.0), st.floats(0, 40)), jump=st.booleans())
    def timer(self, seconds: float, jump: bool) -> None:
        if jump:
            self.d.to_deadline()
        else:
            self.d.advance(seconds)

    # -- the server ------------------------------------------------------------------------

    @precondition(lambda self: self.d.transport == "open" and self.d.pending)
    @rule(data=st.data(), mode=MODES, order=st.booleans())
    def answer(self, data: st.DataObject, mode: str, order: bool) -> None:
        index = data.draw(st.integers(0, len(self.d.pending) - 1))
        error = data.draw(st.sampled_from(samples.ERROR_TYPES))
        self.d.answer(index, mode, order, error)

    @precondition(lambda self: self.d.transport == "open")
    @rule(data=st.data(), kind=st.sampled_from(["message", "close", "typing", "users", "other"]))
    def agent_push(self, data: st.DataObject, kind: str) -> None:
        chat = self._chat(data)
        message: dict[str, Any] | None
        if kind == "message":
            message = self.d.server.agent_event(chat, data.draw(TEXT))
        elif kind == "close":
            message = self.d.server.agent_close(chat)
        elif kind == "typing":
            indicator = {
                "author_id": "agent1",
                "timestamp": 1,
                "is_typing": data.draw(st.booleans()),
            }
            payload = {"chat_id": chat, "typing_indicator": indicator}
            message = samples.push("incoming_typing_indicator", payload)
        elif kind == "users":
            message = samples.push("chat_users_updated", samples.PUSHES["chat_users_updated"])
        else:
            message = data.draw(st.sampled_from([{"action": "ping"}, samples.push("x_new", {})]))
        if message is not None:
            self.d.receive(message)

    @precondition(lambda self: self.d.transport == "open")
    @rule(
        data=st.data(),
        wrong=st.sampled_from(["1", "", True, False, {}, {"s": 1}, [], [1]]),
        where=st.sampled_from(["event", "typing", "last_seen", "user"]),
    )
    def wrong_typed_timestamp(self, data: st.DataObject, wrong: Any, where: str) -> None:
        """The model of sdk.md section 5: a wrong-typed timestamp drops the whole push."""
        chat = self._chat(data)
        if where == "event":
            event = samples.message("e-bad", 1, timestamp=wrong)
            message = samples.push(
                "incoming_event", {"chat_id": chat, "thread_id": "t1", "event": event}
            )
        elif where == "typing":
            indicator = {"author_id": "agent1", "timestamp": wrong, "is_typing": True}
            message = samples.push(
                "incoming_typing_indicator", {"chat_id": chat, "typing_indicator": indicator}
            )
        elif where == "last_seen":
            payload = {"user_id": "agent1", "chat_id": chat, "timestamp": wrong}
            message = samples.push("last_seen_timestamp_updated", payload)
        else:
            added = [dict(samples.agent("agent2"), last_seen_timestamp=wrong)]
            payload = {"chat_id": chat, "updated_users": {"added": added, "removed_ids": []}}
            message = samples.push("chat_users_updated", payload)
        mark = len(self.d.stream)
        self.d.receive(message)
        dropped = self.d.stream[mark + 1 :]  # after the repr of receive()'s result
        assert len(dropped) == 1 and dropped[0].startswith("ProtocolErrorReport("), dropped

    @precondition(lambda self: self.d.client.phase is Phase.READY and self.d.server.chats)
    @rule(data=st.data(), when=st.sampled_from(["before_the_summary", "during_the_lookup"]))
    def stored_send_pushed_after_a_drop(self, data: st.DataObject, when: str) -> None:
        """The link drops after the server stored a send; the new connection gets its push
        without our request_id, before or during the lookup: it resolves the send, no
        new_event, and the lookup then neither resends nor resolves it again."""
        chat = data.draw(st.sampled_from(sorted(self.d.server.chats)))
        custom_id = f"m{self._next()}"
        call = self._sdk("send_message", chat, "x", self.d.now, custom_id=custom_id)
        if call is None or not self.d.pending or self.d.pending[-1]["action"] != "send_event":
            return
        written = (self.d.pending[-1].get("payload") or {}).get("event", {})
        if written.get("custom_id") != custom_id:
            return  # still in the outbox (v3: 10 requests in flight), not written yet
        mark = len(self.d.stored_unanswered)
        self.d.answer(len(self.d.pending) - 1, "stored_silent")
        if len(self.d.stored_unanswered) == mark:
            return  # the server refused it (an unknown chat)
        _, (action, payload) = self.d.stored_unanswered.pop()
        self.d.closed()
        for _ in range(60):
            phase = self.d.client.phase
            if when == "before_the_summary" and phase is Phase.SUMMARY:
                break
            lookup = [r for r in self.d.pending if r["action"] == self.lookup_action]
            if when == "during_the_lookup" and phase is Phase.READY and lookup:
                break
            if not self.d.step():
                return
        else:
            return
        if call in self.d.ended:
            return
        start = len(self.d.stream)
        self.d.receive(samples.push(action, payload))
        assert isinstance(self.d.ended.get(call), CallSucceeded), "the push did not resolve it"
        news = [line for line in self.d.stream[start:] if line.startswith("NewEvent(")]
        assert not any(f"custom_id={custom_id!r}" in line for line in news), news
        self.d.settle()
        again = f'"custom_id":"{custom_id}"'
        assert not any(line.startswith("Send(") and again in line for line in self.d.stream[start:])

    @precondition(lambda self: self.d.transport == "open")
    @rule(reason=REASONS)
    def kicked(self, reason: str) -> None:
        mark = len(self.d.stream)
        self.d.receive(samples.push("customer_disconnected", {"reason": reason}))
        assert self.d.transport is None, "kicked, but the transport was not closed"
        assert f"Disconnected(reason={reason!r})" in self.d.stream[mark:]

    @precondition(lambda self: self.d.transport == "open")
    @rule(data=st.data())
    def mutated(self, data: st.DataObject) -> None:
        """A valid message of any kind, routed to a written request when there is one, then
        broken."""
        rid = "999"
        if self.d.pending:
            rid = str(data.draw(st.sampled_from(self.d.pending)).get("request_id"))
        base = data.draw(st.sampled_from(samples.valid_messages(rid)))
        self.d.receive(data.draw(samples.mutated_bytes(base)))

    @precondition(lambda self: self.d.transport == "open")
    @rule(raw=st.binary(max_size=40))
    def garbage(self, raw: bytes) -> None:
        self.d.receive(raw)

    # -- user commands -----------------------------------------------------------------------

    @rule(data=st.data(), with_event=st.booleans())
    def start_chat(self, data: st.DataObject, with_event: bool) -> None:
        seq = self._next()
        events = [{"type": "message", "text": data.draw(TEXT), "custom_id": f"s{seq}"}]
        events = events if with_event else []
        self._sdk("start_chat", self.d.now, events=events, properties={"fz": {"seq": seq}})

    @rule(data=st.data())
    def send_message(self, data: st.DataObject) -> None:
        chat, text = self._chat(data), data.draw(TEXT)
        self._sdk("send_message", chat, text, self.d.now, custom_id=f"m{self._next()}")

    @rule(data=st.data())
    def send_custom_event(self, data: st.DataObject) -> None:
        event = {"type": "custom", "content": {"n": 1}, "custom_id": f"m{self._next()}"}
        self._sdk("send_event", self._chat(data), event, self.d.now)

    @rule(data=st.data())
    def close_thread(self, data: st.DataObject) -> None:
        self._sdk("close_thread", self._chat(data), self.d.now)

    @rule()
    def get_chats_summary(self) -> None:
        self._sdk("get_chats_summary", self.d.now)

    @rule(data=st.data())
    def get_chat_threads(self, data: st.DataObject) -> None:
        chat = self._chat(data)
        ids = [t["id"] for t in self.d.server.chats.get(chat, [])][:2] or ["t0"]
        self._sdk("get_chat_threads", chat, ids, self.d.now)

    @rule(data=st.data())
    def get_chat_threads_summary(self, data: st.DataObject) -> None:
        self._sdk("get_chat_threads_summary", self._chat(data), self.d.now)

    @rule(data=st.data())
    def new_cursor(self, data: st.DataObject) -> None:
        try:
            self.cursors.append(self.d.feed("get_chat_history", self._chat(data)))
        except ConnectionLostError:
            assert self.d.client.phase is Phase.STOPPED and self.d.started

    @precondition(lambda self: self.cursors)
    @rule(data=st.data())
    def cursor_next(self, data: st.DataObject) -> None:
        self._sdk("history_next", data.draw(st.sampled_from(self.cursors)), self.d.now)

    @rule(data=st.data(), good=st.booleans())
    def send_rating(self, data: st.DataObject, good: bool) -> None:
        self._sdk("send_rating", self._chat(data), "good" if good else "bad", self.d.now)

    @rule(data=st.data())
    def sneak_peek(self, data: st.DataObject) -> None:
        self.d.feed("set_sneak_peek", self._chat(data), data.draw(TEXT), self.d.now)

    @rule(data=st.data(), which=st.sampled_from(["chat", "thread", "scopes", "seen", "customer"]))
    def update(self, data: st.DataObject, which: str) -> None:
        chat, now = self._chat(data), self.d.now
        if which == "chat":
            self._sdk("update_chat_properties", chat, {"fz": {"seq": self._next()}}, now)
        elif which == "thread":
            threads = self.d.server.chats.get(chat) or [{"id": "t0"}]
            self._sdk(
                "update_chat_thread_properties", chat, threads[-1]["id"], {"a": {"b": 1}}, now
            )
        elif which == "scopes":
            self._sdk("update_chat_scopes", chat, now)
        elif which == "seen":
            self._sdk("update_last_seen_timestamp", chat, now)
        else:
            self._sdk("update_customer", now, fields={"seq": str(self._next())})

    @rule(data=st.data())
    def send_file(self, data: st.DataObject) -> None:
        self._sdk("send_file", self._chat(data), b"abc", self.d.now)

    @precondition(lambda self: self.d.uploads)
    @rule(ok=st.booleans(), url=st.booleans())
    def upload_done(self, ok: bool, url: bool) -> None:
        call = self.d.uploads.pop(0)
        if ok:
            self.d.feed("upload_finished", call, {"url": "/f"} if url else {}, self.d.now)
        else:
            self.d.feed("upload_failed", call, RequestFailedError("io"), self.d.now)

    @rule(data=st.data())
    def invalid_call(self, data: st.DataObject) -> None:
        now = self.d.now
        name, args, kwargs = data.draw(
            st.sampled_from(
                [
                    ("send_message", ("", "x", now), {}),
                    ("send_message", ("c1", 5, now), {}),
                    ("send_event", ("c1", {"text": "no type"}, now), {}),
                    ("get_chats_summary", (now,), {"offset": -1}),
                    ("get_chat_threads_summary", ("c1", now), {"limit": 0}),
                    ("send_rating", ("c1", "meh", now), {}),
                    ("history_next", (10**6, now), {}),
                    ("start_chat", (now,), {"properties": {"x": float("nan")}}),
                ]
            )
        )
        before = self.d.client.pending_calls
        self._sdk(name, *args, invalid=True, **kwargs)
        assert self.d.client.pending_calls == before

    # -- invariants and the end --------------------------------------------------------------

    @invariant()
    def bounded(self) -> None:
        client = self.d.client
        assert client.phase in LIVE
        # Internal structures are bounded by what the model issued (plus sneak peeks and the
        # login handshake, at most a few per connection).
        issued = len(self.d.issued)
        assert len(client._outbox) + len(client._reconciler.held) <= issued
        assert len(client._inflight) <= issued + len(self.d.server.chats) + 8 + self.seq
        assert len(client._settled) <= len(client._inflight) + issued + 8
        if client.phase not in TRANSPORT_PHASES:
            assert not client._inflight

    def teardown(self) -> None:
        d = self.d
        d.feed("destroy")
        assert set(d.ended) == d.issued, "a call never ended"
        assert d.client.next_deadline() is None
        assert d.client.outputs() == []
        try:
            d.client.get_chats_summary(d.now)
        except SDKDestroyedError:
            pass
        else:
            raise AssertionError("a call after destroy() did not raise SDKDestroyedError")
        assert d.replay() == d.stream, "replaying the same inputs gave other outputs"


ClientMachine.TestCase.settings = settings(ClientMachine.TestCase.settings, stateful_step_count=60)
TestClientMachine = ClientMachine.TestCase
