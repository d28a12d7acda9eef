"""The state x input property test for the v3 lifecycle: every (Phase, Input) pair of a v3
client moves per TRANSITIONS or raises and stays; every reason of the section 8 table, the
ping's answer and the pending cap keep the lifecycle in a valid phase."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol import ClientState, LocalProtocolError, Phase, SDKDestroyedError
from customer_protocol.dialects.v3_errors import DISCONNECT_REASONS
from customer_protocol.state import TRANSITIONS
from tests.core.harness import TOKEN
from tests.core.test_state_table import FOLLOW_ON, PUBLIC
from tests.core.v3.harness3 import V3Harness, login_payload


def _into(phase: Phase) -> V3Harness:
    h = V3Harness()
    c = h.client
    if phase is Phase.BACKOFF:
        c.connect(h.now)
        c.token_received(TOKEN, h.now)
        c.transport_closed(h.now)
    elif phase is Phase.TOKEN:
        c.connect(h.now)
    elif phase is Phase.OPENING:
        c.connect(h.now)
        c.token_received(TOKEN, h.now)
    elif phase in (Phase.LOGIN, Phase.REAUTH, Phase.SUMMARY):
        c.connect(h.now)
        c.token_received(TOKEN, h.now)
        c.transport_opened(h.now)
        login = h.one(h.drain(), "login")
        if phase is Phase.REAUTH:
            h.error(login, "authentication")
        elif phase is Phase.SUMMARY:
            h.respond(login, login_payload())
    elif phase is Phase.READY:
        h.connect()
    elif phase is Phase.DESTROYED:
        c.destroy()
    h.drain()
    assert c.phase is phase
    return h


@given(phase=st.sampled_from(Phase), name=st.sampled_from(sorted(PUBLIC)))
def test_a_v3_client_moves_per_the_table_or_raises_and_stays(phase: Phase, name: str) -> None:
    h = _into(phase)
    event, feed = PUBLIC[name]
    if (phase, event) in TRANSITIONS:
        feed(h.client, h.now)
        expected = FOLLOW_ON.get((phase, event), {TRANSITIONS[phase, event]})
        assert h.client.phase in expected
    else:
        error = SDKDestroyedError if phase is Phase.DESTROYED else LocalProtocolError
        with pytest.raises(error):
            feed(h.client, h.now)
        assert h.client.phase is phase
        assert h.drain() == []


REASONS = sorted({*DISCONNECT_REASONS, "unknown_reason"})


@given(
    reason=st.sampled_from(REASONS),
    data=st.one_of(
        st.none(),
        st.fixed_dictionaries({"timeout": st.integers(0, 100)}),
        st.fixed_dictionaries({"region": st.sampled_from(["fra", "dal", "Not A Region"])}),
    ),
    host=st.sampled_from(["api.livechatinc.com", "127.0.0.1", None]),
)
def test_every_reason_leaves_the_client_reconnecting_or_stopped(
    reason: str, data: dict[str, object] | None, host: str | None
) -> None:
    h = V3Harness(host=host)
    h.connect()
    payload: dict[str, object] = {"reason": reason}
    if data is not None:
        payload["data"] = data
    out = h.push("customer_disconnected", payload)
    assert [e.name for e in out if getattr(e, "name", None) == "disconnected"] == ["disconnected"]
    if h.client.phase is Phase.STOPPED:
        assert h.client.state is ClientState.DISCONNECTED
        assert h.client.next_deadline() is None
    else:
        assert h.client.phase is Phase.BACKOFF
        deadline = h.client.next_deadline()
        assert deadline is not None
        h.until_open(limit=200.0)  # it does reconnect (after a blocking timeout of up to 100 s)


@given(
    steps=st.lists(st.sampled_from(["call", "answer", "push", "tick", "ping_answer"]), max_size=40)
)
def test_never_more_than_10_unanswered_requests(steps: list[str]) -> None:
    h = V3Harness()
    h.connect()
    unanswered: dict[str, dict[str, object]] = {}
    for step in steps:
        if step == "call":
            h.call("get_customer")
        elif step == "answer" and unanswered:
            request_id = next(iter(unanswered))
            h.feed({**unanswered.pop(request_id), "success": True, "type": "response"})
        elif step == "ping_answer":
            for request_id, message in list(unanswered.items()):
                if message["action"] == "ping":
                    h.feed({**unanswered.pop(request_id), "success": True, "type": "response"})
        elif step == "tick":
            h.advance(5.0)
        elif step == "push":
            h.push("queue_position_updated", {"chat_id": "CH1", "queue": {"position": 1}})
        if h.client.phase is not Phase.READY:
            return  # the link was lost (an unanswered ping): nothing more to count
        for sent in h.sent(h.log):
            if sent.request_id not in unanswered and sent.action not in ("login", "list_chats"):
                unanswered[sent.request_id] = {
                    "request_id": sent.request_id,
                    "action": sent.action,
                    "payload": {"id": "c", "type": "customer"} if sent.action != "ping" else {},
                }
        h.log.clear()
        assert len(unanswered) <= 10, json.dumps(sorted(unanswered))
