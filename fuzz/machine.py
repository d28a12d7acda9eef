"""The rules every dialect's client state machine shares (fuzz/test_fuzz_client*.py).

:class:`ClientMachineBase` drives a :class:`fuzz.driver.Driver` (or a dialect's subclass of it)
with the lifecycle inputs (connect/disconnect, token answers and failures, transport results
and drops, pongs, timers), the scripted server's answers to written requests, garbage, and the
seed's methods, which every dialect keeps with the same Python signature. A dialect's machine
subclasses it, picks its driver (:meth:`ClientMachineBase.make_driver`) and error types, and
adds the pushes, kicks and calls of its own dialect. The driver checks the per-input
invariants; the teardown destroys the client and checks that every call ended, that nothing
is left scheduled, and that replaying the recorded inputs gives an identical output stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    ConnectionLostError,
    InvalidArgumentsError,
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
TEXT = st.text(max_size=5)


class ClientMachineBase(RuleBasedStateMachine):
    """A client core under random inputs, valid for its phase (shared by the dialects)."""

    error_types: Sequence[str] = samples.ERROR_TYPES
    """The error types the scripted server answers with."""
    requests_per_call = 1
    """The most requests one call of the machine queues at once (v3's ``get_chat_threads``
    sends one ``get_chat`` per thread id, the rules ask for two)."""

    def __init__(self) -> None:
        super().__init__()
        self.d = self.make_driver(1)
        self.seq = 0
        self.cursors: list[int] = []

    def make_driver(self, seed: int) -> Driver:
        """The driver of one run (a dialect's machine returns its own)."""
        return Driver(seed=seed)

    @initialize(seed=st.integers(0, 2**32), how=st.sampled_from(["idle", "connect", "ready"]))
    def start(self, seed: int, how: str) -> None:
        self.begin(seed, how)

    def begin(self, seed: int, how: str) -> None:
        """A fresh driver, idle, connecting or connected."""
        self.d = self.make_driver(seed)
        if how != "idle":
            self.connect()
        if how == "ready":
            self.d.settle()

    # -- helpers ---------------------------------------------------------------------------

    def _chat(self, data: st.DataObject) -> str:
        known = sorted(self.d.server.chats)
        return data.draw(st.sampled_from([*known, "c-unknown"]) if known else st.just("c1"))

    def _sdk(self, name: str, /, *args: Any, invalid: bool = False, **kwargs: Any) -> int | None:
        """Call an SDK method; only documented exceptions may escape, and only when due."""
        try:
            return self.d.call(name, *args, **kwargs)
        except InvalidArgumentsError:
            assert invalid, f"{name}{args} raised InvalidArgumentsError"
        except ConnectionLostError:
            assert self.d.client.phase is Phase.STOPPED and self.d.started
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
        error = data.draw(st.sampled_from(self.error_types))
        self.d.answer(index, mode, order, error)

    @precondition(lambda self: self.d.transport == "open")
    @rule(raw=st.binary(max_size=40))
    def garbage(self, raw: bytes) -> None:
        self.d.receive(raw)

    # -- user commands: the seed's methods, the same in every dialect ------------------------

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
        queued = len(client._outbox) + len(client._reconciler.held)
        assert queued <= issued * self.requests_per_call
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
