"""Mutated v3 server messages (pushes and responses of ``spec/v3.md``) never break a v3.6
client core: each is dropped and reported, or fails only its own request; a normal request
works afterwards and nothing is left hanging.

The second half takes a valid example of every push of section 9 and a response of every v3
action (``fuzz/samples_v3.py``), mutates them (``fuzz/samples.py``), and feeds them on both JSON
backends (stdlib and orjson): the codec answers with a message or ``RemoteProtocolError``;
``receive()`` never raises; a push the codec or its parser rejects is dropped with exactly one
``ProtocolErrorReport``; every call ends exactly once (``fuzz/driver_v3.py`` checks it after
every input, with the pending cap and the other v3 invariants)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol import CallFailed, CallSucceeded, Phase, RemoteProtocolError
from customer_protocol.codec import Push, Response, decode_message, use_orjson
from customer_protocol.dialects.v3_pushes import PUSHES_3_6, push_events
from fuzz import samples
from fuzz import samples_v3 as v3
from fuzz.driver_v3 import V3Driver
from fuzz.test_fuzz_messages import ready_driver as ready_v03

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


# --------------------------------------------------------------------------------------------
# Every push of section 9 and a response of every v3 action (fuzz/samples_v3.py), mutated, on
# both JSON backends; the client's verdict is checked against the codec's and the parsers'.


def _check_decode(data: bytes | str) -> None:
    try:
        message = decode_message(data)
    except RemoteProtocolError as exc:
        assert isinstance(exc.message, str)
    else:
        assert isinstance(message, Response | Push) and isinstance(message.payload, dict)


@contextlib.contextmanager
def _backend(orjson: bool) -> Iterator[None]:
    previous = use_orjson(orjson)
    try:
        yield
    finally:
        use_orjson(previous)


@given(st.sampled_from(v3.valid_messages("1")).flatmap(samples.mutated_bytes), st.booleans())
def test_v3_decode_mutated_messages_on_both_backends(data: bytes, orjson: bool) -> None:
    with _backend(orjson):
        _check_decode(data)


def _decodes(raw: bytes) -> bool:
    try:
        decode_message(raw)
    except RemoteProtocolError:
        return False
    return True


def _verdict(raw: bytes) -> str:
    """What a ready client with nothing in flight must do with ``raw``: ``report`` (drop it
    with one ProtocolErrorReport), ``events`` (emit the parsers' events), or ``other``
    (lifecycle, a response, a ping: checked by the other invariants only)."""
    try:
        message = decode_message(raw)
    except RemoteProtocolError:
        return "report"
    if not isinstance(message, Push) or message.action in ("customer_disconnected", "ping"):
        return "other"
    try:
        push_events(message.action, message.payload)
    except RemoteProtocolError:
        return "report"
    return "events"


@given(name=st.sampled_from(sorted(v3.PUSHES)), orjson=st.booleans(), data=st.data())
def test_every_v3_push_mutated_on_both_backends(
    name: str, orjson: bool, data: st.DataObject
) -> None:
    """A mutated push of every name: never an exception out of receive(); a malformed one is
    dropped with exactly one ProtocolErrorReport and nothing else, a readable one gives the
    parsers' events; then the client still works and every call ends."""
    driver = ready()
    base = samples.push(name, v3.PUSHES[name], data.draw(st.sampled_from([None, "999"])))
    raw = data.draw(samples.mutated_bytes(base))
    with _backend(orjson):
        verdict = _verdict(raw)
        mark = len(driver.stream)
        driver.feed("receive", raw, driver.now)
    outputs = driver.stream[mark + 1 :]  # after the repr of receive()'s result
    reports = [line for line in outputs if line.startswith("ProtocolErrorReport(")]
    if verdict == "report":
        assert len(outputs) == 1 and reports, outputs
    elif verdict == "events":
        assert not reports, outputs
    assert_still_works(driver)


# The v3 action of each response sample and the call that writes it on a ready client.
V3_ISSUERS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "send_sneak_peek": ("set_sneak_peek", ("CH0", "typing", "now"), {}),
    "list_chats": ("list_chats", ("now",), {}),
    "list_threads": ("list_threads", ("CH0", "now"), {"limit": 2}),
    "get_chat": ("get_chat", ("CH0", "now"), {}),
    "start_chat": ("start_chat", ("now",), {}),
    "resume_chat": ("resume_chat", ("CH0", "now"), {}),
    "send_event": ("send_message", ("CH0", "hi", "now"), {"custom_id": "x1"}),
    "deactivate_chat": ("deactivate_chat", ("CH0", "now"), {}),
    "delete_event": ("delete_event", ("CH0", "TH1", "TH1_1", "now"), {}),
    "send_rich_message_postback": (
        "send_rich_message_postback",
        ("CH0", "TH1", "rm-1", "now"),
        {"postback_id": "yes", "toggled": True},
    ),
    "update_chat_properties": ("update_chat_properties", ("CH0", {"a": {"b": 1}}, "now"), {}),
    "delete_chat_properties": ("delete_chat_properties", ("CH0", {"a": ["b"]}, "now"), {}),
    "update_thread_properties": (
        "update_chat_thread_properties",
        ("CH0", "TH1", {"a": {"b": 1}}, "now"),
        {},
    ),
    "delete_thread_properties": ("cancel_rate", ("CH0", "now"), {}),
    "update_event_properties": (
        "update_event_properties",
        ("CH0", "TH1", "TH1_1", {"a": {"b": 1}}, "now"),
        {},
    ),
    "delete_event_properties": (
        "delete_event_properties",
        ("CH0", "TH1", "TH1_1", {"a": ["b"]}, "now"),
        {},
    ),
    "update_customer": ("update_customer", ("now",), {"name": "n"}),
    "set_customer_session_fields": ("set_customer_session_fields", ({"a": "b"}, "now"), {}),
    "update_customer_page": ("update_customer_page", ("https://example.test", "now"), {}),
    "get_customer": ("get_customer", ("now",), {}),
    "list_group_statuses": ("list_group_statuses", ("now",), {}),
    "get_form": ("get_form", (0, "prechat", "now"), {}),
    "get_predicted_agent": ("get_predicted_agent", ("now",), {}),
    "get_url_info": ("get_url_info", ("https://example.test", "now"), {}),
    "mark_events_as_seen": ("mark_events_as_seen", ("CH0", 1_709_287_300_000, "now"), {}),
    "accept_greeting": ("accept_greeting", (7, "GR1", "now"), {}),
    "cancel_greeting": ("cancel_greeting", ("GR1", "now"), {}),
    "send_greeting_button_clicked": ("send_greeting_button_clicked", ("GR1", "b1", "now"), {}),
    "request_welcome_message": ("request_welcome_message", ("now",), {}),
}
HANDSHAKE = ("login", "list_chats", "ping")


def _issue(driver: V3Driver, action: str) -> tuple[int | None, dict[str, Any]]:
    """Make the client write a request of ``action``: (its call id or None, the request)."""
    name, args, kwargs = V3_ISSUERS[action]
    args = tuple(driver.now if a == "now" else a for a in args)
    before = len(driver.pending)
    if name == "set_sneak_peek":
        driver.feed(name, *args, **kwargs)
        call = None
    else:
        call = driver.call(name, *args, **kwargs)
    # cancel_rate and send_rating read the newest thread first when they do not know it
    for _ in range(3):
        assert len(driver.pending) > before, f"{name} wrote nothing"
        request = driver.pending[-1]
        if request["action"] == action:
            return call, request
        driver.answer(len(driver.pending) - 1, "ok")
    raise AssertionError(f"{name} did not write {action}")


def test_the_v3_samples_cover_every_push_and_action() -> None:
    assert set(v3.PUSHES) >= PUSHES_3_6
    assert set(v3.RESPONSES) == {*V3_ISSUERS, *HANDSHAKE}


def test_every_v3_sample_is_valid() -> None:
    """The mutations start from valid messages: each push is taken without a report, and each
    response sample resolves the call that wrote its action."""
    driver = ready()
    for name, payload in v3.PUSHES.items():
        if name != "customer_disconnected":
            mark = len(driver.stream)
            driver.receive(samples.push(name, payload))
            assert not any("ProtocolErrorReport" in line for line in driver.stream[mark:]), name
    for action in V3_ISSUERS:
        call, request = _issue(driver, action)
        rid = str(request["request_id"])
        driver.pending.remove(request)
        driver.receive(samples.response(rid, action, v3.RESPONSES[action]))
        driver.advance(driver.config.indirect_grace)  # push-resolved calls: the fallback
        if call is not None:
            assert isinstance(driver.ended.get(call), CallSucceeded), (action, driver.ended[call])


@given(
    action=st.sampled_from(sorted(V3_ISSUERS)),
    orjson=st.booleans(),
    kind=st.sampled_from(["response", "response", "error", "push"]),
    data=st.data(),
)
def test_every_v3_response_mutated_on_both_backends(
    action: str, orjson: bool, kind: str, data: st.DataObject
) -> None:
    """A mutated answer to a request of every v3 action: never an exception out of
    receive(); the call ends exactly once (the driver checks), and when it fails as a
    malformed answer the client reported it; then the client still works."""
    driver = ready()
    call, request = _issue(driver, action)
    rid = str(request["request_id"])
    if kind == "response":
        base = samples.response(rid, action, v3.RESPONSES[action])
    elif kind == "error":
        error = data.draw(st.sampled_from(v3.ERROR_TYPES))
        base = samples.response(rid, action, samples.error_payload(error), success=False)
    else:
        push = data.draw(st.sampled_from(sorted(v3.PUSHES)))
        base = samples.push(push, v3.PUSHES[push], rid)
    raw = data.draw(samples.mutated_bytes(base))
    mark = len(driver.stream)
    with _backend(orjson):
        unreadable = _verdict(raw) == "report" and not _decodes(raw)
        driver.feed("receive", raw, driver.now)
        if unreadable:  # not a message at all: dropped with one report, the call waits
            outputs = driver.stream[mark + 1 :]
            assert len(outputs) == 1 and outputs[0].startswith("ProtocolErrorReport("), outputs
        driver.advance(driver.config.indirect_grace)
    ended = driver.ended.get(call) if call is not None else None
    if isinstance(ended, CallFailed) and ended.error.type == "malformed_response":
        assert any(line.startswith("ProtocolErrorReport(") for line in driver.stream[mark:])
    assert_still_works(driver)


@given(orjson=st.booleans(), data=st.data())
def test_mutated_login_and_ping_answers(orjson: bool, data: st.DataObject) -> None:
    """The handshake's and the keepalive's own requests, answered with mutated messages."""
    driver = V3Driver(seed=7)
    driver.feed("connect", driver.now)
    which = data.draw(st.sampled_from(HANDSHAKE))
    for _ in range(20):
        if which == "ping" and driver.client.phase is Phase.READY:
            driver.advance(driver.config.keepalive_interval)
        mine = [r for r in driver.pending if r["action"] == which]
        if mine and driver.transport == "open":
            break
        driver.step()
    request = mine[0]
    rid = str(request["request_id"])
    driver.pending.remove(request)
    success = data.draw(st.booleans())
    payload = v3.RESPONSES[which] if success else samples.error_payload("internal")
    raw = data.draw(samples.mutated_bytes(samples.response(rid, which, payload, success=success)))
    with _backend(orjson):
        driver.feed("receive", raw, driver.now)
    assert_still_works(driver)


@pytest.mark.parametrize("request_id", [[], {}, 0, False, 0.0])
@pytest.mark.parametrize("api", ["0.3", "3.6"])
def test_a_push_with_a_non_string_request_id_is_dropped(request_id: Any, api: str) -> None:
    """Regression (found by the v3 campaign): the fast path of ``receive()`` took a push whose
    ``request_id`` is a falsy non-string for one without and emitted its events, although the
    codec's rule (``decode_message``) makes it malformed. Dropped with one report now, in both
    dialects."""
    driver = ready() if api == "3.6" else ready_v03()
    payload = {"chat_id": "CH1", "thread_id": "TH1", "user_id": v3.AGENT_ID}
    name = "chat_deactivated" if api == "3.6" else "thread_closed"
    mark = len(driver.stream)
    driver.receive({"action": name, "type": "push", "payload": payload, "request_id": request_id})
    outputs = driver.stream[mark + 1 :]
    assert len(outputs) == 1 and outputs[0].startswith("ProtocolErrorReport("), outputs
    assert_still_works(driver)
