"""Stateful fuzzing of the v0.3 client core against a model (fuzz/driver.py, fuzz/machine.py).

Hypothesis interleaves user commands, valid, mutated and garbage server messages, transport
drops, token answers and failures, uploads and timer firings. :class:`fuzz.driver.Driver`
checks the per-input invariants; the shared rules (:class:`fuzz.machine.ClientMachineBase`)
check that only documented exceptions escape, and the teardown destroys the client and checks
that every call ended, that nothing is left scheduled, and that replaying the recorded inputs
gives an identical output stream. This module adds the v0.3 pushes, kicks and calls.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from customer_protocol import CallSucceeded, Phase
from fuzz import samples
from fuzz.machine import TEXT, ClientMachineBase

REASONS = st.sampled_from(
    ["internal_error", "customer_banned", "too_many_connections", "license_not_found", "other"]
)


class ClientMachine(ClientMachineBase):
    """The v0.3 client core under random inputs, valid for its phase."""

    # -- the server ------------------------------------------------------------------------

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
            lookup = [r for r in self.d.pending if r["action"] == "get_chat_threads_summary"]
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

    # -- user commands -----------------------------------------------------------------------

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


ClientMachine.TestCase.settings = settings(ClientMachine.TestCase.settings, stateful_step_count=60)
TestClientMachine = ClientMachine.TestCase
