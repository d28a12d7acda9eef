"""Stateful fuzzing of a v3 (``api="3.6"``) client core against a model (``spec/v3.md``).

The shared rules (:class:`fuzz.machine.ClientMachineBase`: lifecycle, token answers, transport
results and drops, timers, the scripted server's answers - with a push and a response in
either order, a response only (the 2 s fallback), a push only, an error of every v3 type
(``chat_inactive`` turns a send into ``resume_chat``), never, or stored but never answered -,
garbage, and the seed's methods) run against :class:`fuzz.driver_v3.V3FakeServer`; this module
adds the v3 pushes of section 9, ``customer_disconnected`` with every reason of the section 8
table (terminal, reconnect, fresh token, blocked for a while, misdirected to a region), drops
before and after the server stored a send, unanswered and answered protocol pings, bursts past
the 10-request cap, the methods new in v3 and ``NOT_SUPPORTED``. :class:`fuzz.driver_v3.V3Driver`
checks the invariants after every input (exactly-once ends, login first, outbox order, no own
echo, the pending cap, keepalive, no duplicate send, fresh tokens, determinism replay).
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from customer_protocol import CallSucceeded, NotSupportedError, Phase
from fuzz import samples
from fuzz import samples_v3 as v3
from fuzz.driver_v3 import V3Driver
from fuzz.machine import MODES, TEXT, ClientMachineBase

HOSTS = st.sampled_from(["api.livechatinc.com", "api-fra.livechatinc.com", "127.0.0.1", None])
KICK_DATA = st.one_of(
    st.none(),
    st.fixed_dictionaries({"timeout": st.one_of(st.integers(0, 90), st.just(-1), st.just("x"))}),
    st.fixed_dictionaries(
        {"region": st.sampled_from(["fra", "dal", "eu-west-1", "Not A Region", "", 5])}
    ),
)
PLAIN_PUSHES = sorted(set(v3.PUSHES) - {"customer_disconnected"})


def _ready(machine: V3ClientMachine) -> bool:
    return machine.d.client.phase is Phase.READY and machine.d.transport == "open"


class V3ClientMachine(ClientMachineBase):
    """The v3.6 client core under random inputs, valid for its phase."""

    error_types = v3.ERROR_TYPES
    requests_per_call = 2
    d: V3Driver

    def __init__(self) -> None:
        self.host: str | None = "api.livechatinc.com"
        self.kick_host = self.host
        """The client's API host now (a misdirected_connection may move it to a region)."""
        super().__init__()

    def make_driver(self, seed: int) -> V3Driver:
        return V3Driver(seed=seed, host=self.host)

    @initialize(
        seed=st.integers(0, 2**32), how=st.sampled_from(["idle", "connect", "ready"]), host=HOSTS
    )
    def start(self, seed: int, how: str, host: str | None) -> None:  # type: ignore[override]
        self.host = self.kick_host = host
        self.begin(seed, how)

    # -- pushes, kicks, broken messages ------------------------------------------------------

    @precondition(lambda self: self.d.transport == "open")
    @rule(data=st.data(), kind=st.sampled_from(["message", "close", "any", "any"]))
    def agent_push(self, data: st.DataObject, kind: str) -> None:
        message: dict[str, Any] | None
        if kind == "message":
            message = self.d.server.agent_event(self._chat(data), data.draw(TEXT))
        elif kind == "close":
            message = self.d.server.agent_close(self._chat(data))
        else:
            name = data.draw(st.sampled_from(PLAIN_PUSHES))
            rids = [None, "999", *(str(r["request_id"]) for r in self.d.pending)]
            message = samples.push(name, v3.PUSHES[name], data.draw(st.sampled_from(rids)))
        if message is not None:
            self.d.receive(message)

    @precondition(lambda self: self.d.transport == "open")
    @rule(reason=st.sampled_from(v3.ALL_REASONS), data=KICK_DATA)
    def kicked(self, reason: str, data: dict[str, Any] | None) -> None:
        """Section 8's table, as the model writes it (fuzz/samples_v3.expected_kick)."""
        payload: dict[str, Any] = {"reason": reason}
        if data is not None:
            payload["data"] = data
        kind, detail = v3.expected_kick(reason, data, self.kick_host)
        mark = len(self.d.stream)
        self.d.receive(samples.push("customer_disconnected", payload))
        after = self.d.stream[mark:]
        client = self.d.client
        assert self.d.transport is None, "kicked, but the transport was not closed"
        assert after.count(f"Disconnected(reason={reason!r})") == 1, after
        if kind == "terminal":
            assert client.phase is Phase.STOPPED, (reason, data, client.phase)
            assert client.pending_calls == 0 and client.next_deadline() is None
            return
        assert client.phase is Phase.BACKOFF, (reason, data, client.phase)
        delay = detail if kind == "reconnect" and detail is not None else 0.1
        assert client._timers.when(("phase",)) == self.d.now + delay, (reason, data, delay)
        switched = [line for line in after if line.startswith("SwitchHost(")]
        if kind == "redirect":
            assert switched == [f"SwitchHost(host={detail!r})"], after
            self.kick_host = str(detail)
        else:
            assert not switched, after
        if kind == "fresh_token":
            self.d.expect_fresh = True

    @precondition(lambda self: self.d.transport == "open")
    @rule(data=st.data())
    def mutated(self, data: st.DataObject) -> None:
        """A valid v3 message of any kind, routed to a written request when there is one, then
        broken. (A mutated answer may lie to the exactly-once lookup: that check stops.)"""
        rid = "999"
        if self.d.pending:
            rid = str(data.draw(st.sampled_from(self.d.pending)).get("request_id"))
        base = data.draw(st.sampled_from(v3.valid_messages(rid)))
        self.d.honest = False
        self.d.receive(data.draw(samples.mutated_bytes(base)))

    @precondition(lambda self: self.d.transport == "open")
    @rule(
        data=st.data(),
        wrong=st.sampled_from(["1", "", True, 5, {}, [], "2024-13-45T00:00:00Z"]),
    )
    def wrong_typed_timestamp(self, data: st.DataObject, wrong: Any) -> None:
        """A v3 event whose ``created_at`` is not RFC 3339 drops the whole push."""
        chat = self._chat(data)
        event = {"id": "e-bad", "type": "message", "text": "x", "created_at": wrong}
        message = samples.push(
            "incoming_event", {"chat_id": chat, "thread_id": "t1", "event": event}
        )
        mark = len(self.d.stream)
        self.d.receive(message)
        dropped = self.d.stream[mark + 1 :]
        assert len(dropped) == 1 and dropped[0].startswith("ProtocolErrorReport("), dropped

    # -- exactly-once across drops -----------------------------------------------------------

    @precondition(lambda self: _ready(self) and self.d.server.chats)
    @rule(data=st.data(), stored=st.booleans(), claim=st.booleans())
    def drop_around_a_send(self, data: st.DataObject, stored: bool, claim: bool) -> None:
        """The link drops with a send written and unanswered, after the server stored it or
        before. After the reconnect the send ends once, as a success; a stored send is never
        written again (found by the lookup, or claimed by its push reaching the new
        connection first), a lost one is written again exactly once."""
        chat = data.draw(st.sampled_from(sorted(self.d.server.chats)))
        custom_id = f"m{self._next()}"
        call = self._sdk("send_message", chat, "x", self.d.now, custom_id=custom_id)
        pending = self.d.pending
        if call is None or not pending or f"'{custom_id}'" not in str(pending[-1].get("payload")):
            return  # queued behind the cap or a lookup: not on the wire yet
        request = pending[-1]
        result, pushes = None, []
        if stored:
            result, pushes = self.d.server.run(request["action"], request.get("payload") or {})
        del pending[-1]
        self.d.closed()
        start = len(self.d.stream)
        for _ in range(200):
            if claim and pushes and self.d.client.phase is Phase.READY:
                name, payload = pushes.pop()
                self.d.receive(samples.push(name, payload))  # without our request_id
            if not self.d.step():
                break
        if not self.d.honest or isinstance(result, str):
            return  # a lying server, or it refused the send: nothing more to say
        assert isinstance(self.d.ended.get(call), CallSucceeded), self.d.ended.get(call)
        assert self.d.server.count(custom_id) == 1, "the send was stored twice (or never)"
        wire = f'"custom_id":"{custom_id}"'
        writes = [
            line for line in self.d.stream[start:] if line.startswith("Send(") and wire in line
        ]
        assert not stored or not writes, writes

    @precondition(lambda self: _ready(self) and self.d.server.chats)
    @rule(data=st.data(), known=st.booleans(), mode=MODES)
    def send_to_an_inactive_chat(self, data: st.DataObject, known: bool, mode: str) -> None:
        """A send to a chat whose thread ended: known to the client (``chat_deactivated``), it
        goes out as ``resume_chat`` at once; unknown, ``send_event`` meets ``chat_inactive``
        and the client resumes the chat with the same event."""
        chat = data.draw(st.sampled_from(sorted(self.d.server.chats)))
        if known:
            message = self.d.server.agent_close(chat)
            if message is None:
                return  # already inactive (and perhaps not known to be)
            self.d.receive(message)
        else:
            for thread in self.d.server.chats[chat]:
                thread["active"] = False
        custom_id = f"m{self._next()}"
        call = self._sdk("send_message", chat, "again", self.d.now, custom_id=custom_id)
        for _ in range(3):  # send_event -> chat_inactive -> resume_chat -> answered
            mine = [
                index
                for index, request in enumerate(self.d.pending)
                if f"'{custom_id}'" in str(request.get("payload"))
            ]
            if call is None or call in self.d.ended or not mine or self.d.transport != "open":
                return
            action = self.d.pending[mine[0]]["action"]
            assert action == "resume_chat" or not known, "a send to a known-inactive chat"
            self.d.answer(mine[0], mode, data.draw(st.booleans()))
            mode = "ok"

    # -- keepalive: the protocol ping --------------------------------------------------------

    @precondition(_ready)
    @rule()
    def pings_unanswered(self) -> None:
        """Nothing comes back for 31 s: the link is lost (keepalive timeout)."""
        mark = len(self.d.stream)
        self.d.advance(31.0)
        assert self.d.transport != "open", "31 s of silence and the link is still up"
        closes = [line for line in self.d.stream[mark:] if line.startswith("CloseTransport(")]
        assert closes and "keepalive timeout" in closes[0], closes

    @precondition(_ready)
    @rule(rounds=st.integers(1, 5))
    def pings_answered(self, rounds: int) -> None:
        """The server answers everything (pings included) within 14 s: the link stays up."""
        self._answer_all()
        for _ in range(rounds):
            self.d.advance(14.0)
            self._answer_all()
        assert self.d.transport == "open", "answered pings, yet the link was dropped"

    def _answer_all(self) -> None:
        for _ in range(100):
            if not self.d.pending or self.d.transport != "open":
                return
            self.d.answer(0, "ok")

    # -- user commands new in v3 ---------------------------------------------------------------

    @rule(count=st.integers(5, 14))
    def burst(self, count: int) -> None:
        """More calls at once than the cap: the rest wait in the outbox, in call order."""
        for _ in range(count):
            self._sdk("update_chat_properties", "CH0", {"fz": {"seq": self._next()}}, self.d.now)

    @rule(data=st.data(), which=st.sampled_from(["chat", "thread", "seen", "customer", "cancel"]))
    def update(self, data: st.DataObject, which: str) -> None:
        chat, now = self._chat(data), self.d.now
        if which == "chat":
            self._sdk("update_chat_properties", chat, {"fz": {"seq": self._next()}}, now)
        elif which == "thread":
            threads = self.d.server.chats.get(chat) or [{"id": "t0"}]
            self._sdk(
                "update_chat_thread_properties", chat, threads[-1]["id"], {"a": {"b": 1}}, now
            )
        elif which == "seen":
            self._sdk("update_last_seen_timestamp", chat, now, wall_ms=1_709_287_300_000)
        elif which == "customer":
            self._sdk("update_customer", now, name="n", fields={"seq": str(self._next())})
        else:
            self._sdk("cancel_rate", chat, now)

    @rule(data=st.data())
    def v3_call(self, data: st.DataObject) -> None:
        chat, now = self._chat(data), self.d.now
        threads = self.d.server.chats.get(chat) or [{"id": "T0"}]
        thread = threads[-1]["id"]
        name, args, kwargs = data.draw(
            st.sampled_from(
                [
                    ("list_chats", (now,), {}),
                    ("list_chats", (now,), {"limit": 1}),
                    ("list_threads", (chat, now), {"limit": 1}),
                    ("list_threads", (chat, now), {"min_events_count": 2}),
                    ("get_chat", (chat, now), {}),
                    ("get_chat", (chat, now), {"thread": thread}),
                    ("resume_chat", (chat, now), {"events": [{"type": "message", "text": "r"}]}),
                    ("deactivate_chat", (chat, now), {}),
                    ("delete_event", (chat, thread, f"{thread}_1", now), {}),
                    ("delete_chat_properties", (chat, {"ns": ["k"]}, now), {}),
                    ("get_customer", (now,), {}),
                    ("set_customer_session_fields", ({"a": "b"}, now), {}),
                    ("update_customer_page", ("https://example.test", now), {}),
                    ("list_group_statuses", (now,), {}),
                    ("list_group_statuses", (now,), {"group_ids": [0, 1]}),
                    ("get_form", (0, "prechat", now), {}),
                    ("get_predicted_agent", (now,), {}),
                    ("get_url_info", ("https://example.test", now), {}),
                    ("mark_events_as_seen", (chat, 1_709_287_300_000, now), {}),
                    ("accept_greeting", (7, "GR1", now), {}),
                    ("cancel_greeting", ("GR1", now), {}),
                    ("send_greeting_button_clicked", ("GR1", "b1", now), {}),
                    ("request_welcome_message", (now,), {}),
                ]
            )
        )
        self._sdk(name, *args, **kwargs)

    @rule()
    def not_supported(self) -> None:
        before = self.d.client.pending_calls
        try:
            self.d.call("update_chat_scopes", "CH1", self.d.now)
        except NotSupportedError:
            pass
        else:
            raise AssertionError("update_chat_scopes did not raise NOT_SUPPORTED in v3")
        assert self.d.client.pending_calls == before


V3ClientMachine.TestCase.settings = settings(
    V3ClientMachine.TestCase.settings, stateful_step_count=60
)
TestV3ClientMachine = V3ClientMachine.TestCase


def test_two_sends_to_a_closed_chat_both_arrive() -> None:
    """Regression (found by the v3 machine): two sends to a chat known inactive both went out
    as ``resume_chat``; the first reopened the chat, the server refused the second (the chat
    is active again: ``validation``) and the second call failed. It is sent to the reopened
    chat instead, as a v0.3 client's second send would be."""
    driver = V3Driver(seed=1)
    driver.feed("connect", driver.now)
    driver.settle()
    closed = driver.server.agent_close("CH0")
    assert closed is not None
    driver.receive(closed)
    first = driver.call("send_message", "CH0", "one", driver.now, custom_id="m1")
    second = driver.call("send_message", "CH0", "two", driver.now, custom_id="m2")
    assert [r["action"] for r in driver.pending] == ["resume_chat", "resume_chat"]
    driver.settle()
    assert isinstance(driver.ended.get(first), CallSucceeded), driver.ended.get(first)
    assert isinstance(driver.ended.get(second), CallSucceeded), driver.ended.get(second)
    assert driver.server.count("m1") == driver.server.count("m2") == 1
    threads = driver.server.chats["CH0"]
    assert [e.get("custom_id") for e in threads[-1]["events"]] == ["m1", "m2"]


def test_a_refused_resume_goes_to_the_reopened_chat_once() -> None:
    """The fallback above happens once per send: a server that keeps flipping the chat gets
    resume_chat, send_event, resume_chat, and then the call fails with its answer."""
    driver = V3Driver(seed=1)
    driver.feed("connect", driver.now)
    driver.settle()
    closed = driver.server.agent_close("CH0")
    assert closed is not None
    driver.receive(closed)
    reopened = samples.push("incoming_chat", {"chat": driver.server._view("CH0", v3.s.thread())})
    call = driver.call("send_message", "CH0", "one", driver.now, custom_id="m1")
    written = []
    for error in ("validation", "chat_inactive", "validation"):
        written.append(driver.pending[-1]["action"])
        if error == "validation":
            driver.receive(reopened)  # someone else reopened the chat
        driver.answer(len(driver.pending) - 1, "error", error=error)
    assert written == ["resume_chat", "send_event", "resume_chat"]
    ended = driver.ended.get(call)
    assert ended is not None and not isinstance(ended, CallSucceeded)
    assert ended.error.type == "validation" and not driver.pending
