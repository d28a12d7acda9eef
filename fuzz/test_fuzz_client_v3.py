"""Stateful fuzzing of a LiveChat v3.6 client core (``spec/v3.md``) against a model.

The machine of :mod:`fuzz.test_fuzz_client` with :class:`fuzz.driver_v3.V3Driver`: the same
user commands, answers, drops, timers and mutations, v3 pushes and the section 8 reasons.
Besides the shared invariants, the v3 driver checks the 10-request cap after every input.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from customer_protocol.dialects.v3_errors import DISCONNECT_REASONS
from fuzz import samples
from fuzz.driver_v3 import V3Driver
from fuzz.test_fuzz_client import ClientMachine

V3_REASONS = st.sampled_from(sorted({*DISCONNECT_REASONS, "a_new_reason"}))


class V3ClientMachine(ClientMachine):
    """:class:`ClientMachine` speaking v3.6."""

    driver_class = V3Driver
    lookup_action = "list_threads"
    not_supported = frozenset({"update_chat_scopes"})

    @precondition(lambda self: self.d.transport == "open")
    @rule(
        reason=V3_REASONS,
        data=st.one_of(
            st.none(),
            st.fixed_dictionaries({"timeout": st.integers(0, 5)}),
            st.fixed_dictionaries({"region": st.sampled_from(["fra", "BAD REGION"])}),
        ),
    )
    def kicked(self, reason: str, data: dict[str, Any] | None) -> None:  # type: ignore[override]
        payload: dict[str, Any] = {"reason": reason}
        if data is not None:
            payload["data"] = data
        mark = len(self.d.stream)
        self.d.receive(samples.push("customer_disconnected", payload))
        assert self.d.transport is None, "kicked, but the transport was not closed"
        assert f"Disconnected(reason={reason!r})" in self.d.stream[mark:]

    @precondition(lambda self: self.d.transport == "open")
    @rule(
        data=st.data(),
        wrong=st.sampled_from(["1", "", True, 5, {}, [], "2024-13-45T00:00:00Z"]),
    )
    def wrong_typed_timestamp(self, data: st.DataObject, wrong: Any) -> None:  # type: ignore[override]
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

    @precondition(lambda self: self.d.transport == "open")
    @rule(data=st.data())
    def v3_push(self, data: st.DataObject) -> None:
        """Pushes of v3's own concepts, and a ``ping`` answered by the server."""
        chat = self._chat(data)
        message = data.draw(
            st.sampled_from(
                [
                    samples.push(
                        "customer_side_storage_updated", {"customer_side_storage": {"k": "v"}}
                    ),
                    samples.push(
                        "queue_position_updated",
                        {"chat_id": chat, "thread_id": "t1", "queue": {"position": 1}},
                    ),
                    samples.push(
                        "events_marked_as_seen",
                        {
                            "chat_id": chat,
                            "user_id": "agent1",
                            "seen_up_to": "2024-01-01T00:00:00Z",
                        },
                    ),
                    samples.push("incoming_event", {"chat_id": chat, "event": {}}, "999"),
                ]
            )
        )
        self.d.receive(message)

    @rule(data=st.data(), which=st.sampled_from(["chat", "thread", "scopes", "seen", "customer"]))
    def update(self, data: st.DataObject, which: str) -> None:
        chat, now = self._chat(data), self.d.now
        if which == "seen":
            self._sdk("update_last_seen_timestamp", chat, now, wall_ms=1_700_000_000_000)
        else:
            super().update(data, which)


V3ClientMachine.TestCase.settings = settings(
    V3ClientMachine.TestCase.settings, stateful_step_count=60
)
TestV3ClientMachine = V3ClientMachine.TestCase
