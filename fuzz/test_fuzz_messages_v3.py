"""Mutated v3 server messages (pushes and responses of ``spec/v3.md``) never break a v3.6
client core: each is dropped and reported, or fails only its own request; a normal request
works afterwards and nothing is left hanging."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from customer_protocol import CallSucceeded, Phase
from fuzz import samples
from fuzz.driver_v3 import V3Driver

T = "2024-03-01T10:00:00.123456Z"
CUSTOMER = {"id": "cust", "type": "customer", "name": "Bob", "session_fields": [{"k": "v"}]}
AGENT = {"id": "agent1", "type": "agent", "name": "Ada", "avatar": "a.png"}
EVENT = {
    "id": "t1_1",
    "custom_id": "x1",
    "type": "message",
    "text": "hi",
    "author_id": "agent1",
    "created_at": T,
    "properties": {"ns": {"k": 1}},
}
THREAD = {
    "id": "t1",
    "active": True,
    "user_ids": ["cust", "agent1"],
    "events": [EVENT],
    "properties": {},
    "access": {},
    "created_at": T,
}
CHAT = {"id": "c1", "users": [CUSTOMER, AGENT], "properties": {}, "access": {}, "thread": THREAD}
PUSHES: dict[str, Any] = {
    "incoming_chat": {"chat": CHAT},
    "incoming_event": {"chat_id": "c1", "thread_id": "t1", "event": EVENT},
    "chat_deactivated": {"chat_id": "c1", "thread_id": "t1", "user_id": "agent1"},
    "events_marked_as_seen": {"chat_id": "c1", "user_id": "agent1", "seen_up_to": T},
    "customer_side_storage_updated": {"customer_side_storage": {"visits": "2"}},
    "user_added_to_chat": {"chat_id": "c1", "thread_id": "t1", "user": AGENT, "reason": "manual"},
    "user_removed_from_chat": {"chat_id": "c1", "thread_id": "t1", "user_id": "agent1"},
    "incoming_typing_indicator": {
        "chat_id": "c1",
        "thread_id": "t1",
        "typing_indicator": {"author_id": "agent1", "timestamp": 1, "is_typing": True},
    },
    "thread_properties_updated": {"chat_id": "c1", "thread_id": "t1", "properties": {"a": {}}},
    "queue_position_updated": {"chat_id": "c1", "thread_id": "t1", "queue": {"position": 1}},
    "customer_disconnected": {"reason": "customer_temporarily_blocked", "data": {"timeout": 1}},
}
RESPONSES: dict[str, Any] = {
    "list_chats": {"chats_summary": [], "total_chats": 0},
    "list_threads": {"threads": [THREAD], "found_threads": 1, "next_page_id": "p1"},
    "get_chat": CHAT,
    "start_chat": {"chat_id": "c1", "thread_id": "t1", "event_ids": ["t1_1"]},
    "send_event": {"event_id": "t1_2"},
    "get_customer": CUSTOMER,
}
ISSUERS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "list_chats": ("get_chats_summary", ("now",), {}),
    "list_threads": ("get_chat_threads_summary", ("c1", "now"), {}),
    "get_chat": ("get_chat_threads", ("c1", ["t1"], "now"), {}),
    "start_chat": ("start_chat", ("now",), {}),
    "send_event": ("send_message", ("c1", "hi", "now"), {}),
    "get_customer": ("get_customer", ("now",), {}),
}


def ready() -> V3Driver:
    driver = V3Driver(seed=3)
    driver.feed("connect", driver.now)
    driver.settle()
    return driver


def assert_still_works(driver: V3Driver) -> None:
    driver.settle()
    call = driver.call("get_chats_summary", driver.now)
    driver.settle()
    assert isinstance(driver.ended.get(call), CallSucceeded), driver.ended.get(call)
    for _ in range(100):
        if driver.client.pending_calls == 0:
            break
        driver.step()
    assert driver.client.pending_calls == 0


@given(action=st.sampled_from(sorted(ISSUERS)), data=st.data())
def test_a_v3_client_survives_mutated_answers(action: str, data: st.DataObject) -> None:
    driver = ready()
    name, args, kwargs = ISSUERS[action]
    driver.call(name, *(driver.now if a == "now" else a for a in args), **kwargs)
    written = driver.pending[-1] if driver.pending else {"request_id": "1", "action": action}
    rid = str(written.get("request_id"))
    kind = data.draw(st.sampled_from(["response", "push"]))
    if kind == "response":
        base = samples.response(rid, written["action"], RESPONSES[action])
    else:
        push = data.draw(st.sampled_from(sorted(PUSHES)))
        base = samples.push(push, PUSHES[push], data.draw(st.sampled_from([rid, None, "999"])))
    raw = data.draw(samples.mutated_bytes(base))
    if driver.transport == "open":
        driver.feed("receive", raw, driver.now)
    assert_still_works(driver)


@given(
    st.lists(
        st.sampled_from(sorted(PUSHES)).flatmap(
            lambda name: samples.mutated_bytes(samples.push(name, PUSHES[name]))
        ),
        max_size=5,
    )
)
def test_a_v3_client_survives_mutated_pushes_in_any_phase(messages: list[bytes]) -> None:
    driver = V3Driver(seed=5)
    driver.feed("connect", driver.now)
    for raw in messages:
        while driver.transport != "open":
            driver.step()
        driver.feed("receive", raw, driver.now)
        if driver.client.phase is not Phase.READY and driver.pending and driver.transport == "open":
            driver.answer(0, "ok")
    assert_still_works(driver)


def test_the_v3_samples_are_valid() -> None:
    driver = ready()
    for name in sorted(set(PUSHES) - {"customer_disconnected"}):
        mark = len(driver.stream)
        driver.receive(samples.push(name, PUSHES[name]))
        assert not any("ProtocolErrorReport" in line for line in driver.stream[mark:]), name
