"""Message fuzzing: arbitrary and structurally mutated server messages.

``codec.decode_message`` returns a value or raises ``RemoteProtocolError``, nothing else. The
client core's ``receive()`` never raises for them (a malformed message becomes a
``ProtocolErrorReport``, a failed request or a drop), every call still ends once, and the client
completes a normal request afterwards (reconnecting first if the message kicked it).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from customer_protocol import CallFailed, CallSucceeded, Phase, RemoteProtocolError
from customer_protocol.codec import Push, Response, decode_message, decode_request, use_orjson
from fuzz import samples
from fuzz.driver import Driver

VALID = samples.valid_messages("1")

# A request of each action whose answers the samples hold: (method, args, kwargs) with "now"
# standing for the clock.
ISSUERS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "get_chats_summary": ("get_chats_summary", ("now",), {}),
    "get_chat_threads": ("get_chat_threads", ("c1", ["t1", "t2"], "now"), {}),
    "get_chat_threads_summary": ("get_chat_threads_summary", ("c1", "now"), {}),
    "start_chat": ("start_chat", ("now",), {}),
    "send_event": ("send_message", ("c1", "hi", "now"), {"custom_id": "x1"}),
    "close_thread": ("close_thread", ("c1", "now"), {}),
    "update_chat_scopes": ("update_chat_scopes", ("c1", "now"), {}),
    "update_customer": ("update_customer", ("now",), {"name": "n"}),
    "update_chat_properties": ("update_chat_properties", ("c1", {"a": {"b": 1}}, "now"), {}),
    "update_chat_thread_properties": (
        "update_chat_thread_properties",
        ("c1", "t1", {"a": {"b": 1}}, "now"),
        {},
    ),
    "update_last_seen_timestamp": ("update_last_seen_timestamp", ("c1", "now"), {}),
    "send_rating": ("send_rating", ("c1", "good", "now"), {}),
}


def check_decode(data: bytes | str) -> None:
    try:
        message = decode_message(data)
    except RemoteProtocolError as exc:
        assert isinstance(exc.message, str)
    else:
        assert isinstance(message, Response | Push)
        assert isinstance(message.payload, dict)
    with contextlib.suppress(RemoteProtocolError):
        decode_request(data)


@given(st.one_of(st.binary(max_size=200), st.text(max_size=100)))
@example(b'{"action":"x","type":"push","payload":' + b"[" * 5000 + b"]" * 5000 + b"}")
@example(b'{"action":"x","type":"push","payload":{"a":1' + b"0" * 30 + b"}}")
@example('{"action":"x","type":"push","payload":{"a":"\ud800"}}')
@example(b'{"action":"x","type":"push","payload":{"a":"\\ud800"}}')
@example(b'{"action":"x","type":"push","payload":{"a":NaN}}')
@example(b'{"action":"x","type":"push","payload":{"a":1e400}}')
@example(b'{"action":"x","type":"push","payload":{"a":"\xff"}}')
def test_decode_arbitrary_input(data: bytes | str) -> None:
    check_decode(data)


@given(st.sampled_from(VALID).flatmap(samples.mutated_bytes), st.booleans())
def test_decode_mutated_messages_on_both_backends(data: bytes, orjson: bool) -> None:
    previous = use_orjson(orjson)
    try:
        check_decode(data)
        check_decode(data.decode("utf-8", "surrogatepass") if orjson else data)
    except UnicodeDecodeError:
        pass
    finally:
        use_orjson(previous)


def ready_driver() -> Driver:
    driver = Driver(seed=3)
    driver.feed("connect", driver.now)
    driver.settle()
    return driver


def assert_still_works(driver: Driver) -> None:
    """The client (reconnected if need be) completes a normal request."""
    driver.settle()
    call = driver.call("get_chats_summary", driver.now)
    driver.settle()
    assert isinstance(driver.ended.get(call), CallSucceeded), driver.ended.get(call)
    # Nothing else is left hanging: let every timer fire; every call must have ended.
    for _ in range(100):
        if driver.client.pending_calls == 0:
            break
        driver.step()
    assert driver.client.pending_calls == 0


@given(
    action=st.sampled_from(sorted(ISSUERS)),
    data=st.data(),
)
def test_client_survives_mutated_answers(action: str, data: st.DataObject) -> None:
    """A mutated message of any kind, routed to a request in flight (or not), then a normal
    request."""
    driver = ready_driver()
    name, args, kwargs = ISSUERS[action]
    driver.call(name, *(driver.now if a == "now" else a for a in args), **kwargs)
    written = driver.pending[-1] if driver.pending else {"request_id": "1", "action": action}
    rid, action = str(written.get("request_id")), written["action"]
    kind = data.draw(st.sampled_from(["response", "push", "any"]))
    if kind == "response":
        base = samples.response(rid, action, samples.RESPONSES.get(action, {}))
    elif kind == "push":
        push = data.draw(st.sampled_from(sorted(samples.PUSHES)))
        base = samples.push(push, samples.PUSHES[push], data.draw(st.sampled_from([rid, None])))
    else:
        base = data.draw(st.sampled_from(samples.valid_messages(rid)))
    raw = data.draw(samples.mutated_bytes(base))
    if driver.transport == "open":
        driver.feed("receive", raw, driver.now)
    assert_still_works(driver)


@given(st.lists(st.sampled_from(VALID).flatmap(samples.mutated_bytes), max_size=5))
def test_client_survives_mutated_pushes_in_any_phase(messages: list[bytes]) -> None:
    """Mutated messages during login, the summary and READY."""
    driver = Driver(seed=5)
    driver.feed("connect", driver.now)
    for raw in messages:
        while driver.transport != "open":
            driver.step()
        driver.feed("receive", raw, driver.now)
        if driver.client.phase is not Phase.READY and driver.pending and driver.transport == "open":
            driver.answer(0, "ok")
    assert_still_works(driver)


def test_valid_samples_are_valid() -> None:
    """The mutations start from valid messages: each decodes, and a client takes each push."""
    for message in VALID:
        decode_message(samples.encode(message))
    driver = ready_driver()
    for name, payload in samples.PUSHES.items():
        if name == "customer_disconnected":
            continue
        mark = len(driver.stream)
        driver.receive(samples.push(name, payload))
        assert not any("ProtocolErrorReport" in line for line in driver.stream[mark:]), name


def test_huge_float_timestamp_is_not_an_exception() -> None:
    """Regression (found by the campaign): an event timestamp of 1e308 seconds overflowed to
    infinity in milliseconds and ``round()`` raised OverflowError out of ``receive()``."""
    driver = ready_driver()
    event = dict(samples.EVENTS[0], timestamp=1e308)
    payload = {"chat_id": "c1", "thread_id": "t1", "event": event}
    mark = len(driver.stream)
    driver.receive(samples.push("incoming_event", payload))
    assert any(line.startswith("NewEvent(") for line in driver.stream[mark:])
    assert_still_works(driver)


# --------------------------------------------------------------------------------------------
# The model of timestamps (sdk.md section 5): a wrong-typed timestamp anywhere drops the message


TIMESTAMP_KEYS = frozenset({"timestamp", "last_seen_timestamp"})
# Valid JSON the codec accepts (no NaN, no integer beyond 64 bits): only the type is wrong.
_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)
WRONG_TIMESTAMPS = st.one_of(
    st.text(max_size=8),
    st.booleans(),
    st.dictionaries(st.text(max_size=4), _PLAIN, max_size=2),
    st.lists(_PLAIN, max_size=2),
)


def timestamp_paths(value: Any) -> list[tuple[Any, ...]]:
    """Every path to a timestamp-carrying field in ``value`` (a chat summary's ``order`` too)."""
    return [
        path
        for path in samples.every_path(value)
        if path
        and (
            path[-1] in TIMESTAMP_KEYS
            or (len(path) >= 3 and path[-3] == "chats_summary" and path[-1] == "order")
        )
    ]


def with_value(message: Any, path: tuple[Any, ...], new: Any) -> Any:
    result = json.loads(json.dumps(message))
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return result


# Pushes the client parses (the others are forwarded raw, their timestamps untouched).
PARSED_PUSHES = sorted(
    name
    for name in samples.PUSHES
    if name not in ("customer_disconnected", "customer_updated", "some_future_push")
    and timestamp_paths(samples.PUSHES[name])
)
# Responses the client parses that carry timestamps (``update_customer`` resolves with True: its
# customer is not read).
TIMED_RESPONSES = sorted(
    action
    for action in ISSUERS
    if action in samples.RESPONSES
    and action != "update_customer"
    and timestamp_paths(samples.RESPONSES[action])
)


def test_the_timestamp_model_covers_every_kind() -> None:
    assert set(PARSED_PUSHES) == {
        "chat_users_updated",
        "incoming_chat_thread",
        "incoming_event",
        "incoming_typing_indicator",
        "last_seen_timestamp_updated",
    }
    assert set(TIMED_RESPONSES) == {
        "get_chats_summary",
        "get_chat_threads",
        "start_chat",
        "send_event",
        "update_last_seen_timestamp",
    }


@given(action=st.sampled_from(PARSED_PUSHES), data=st.data())
def test_a_push_with_a_wrong_typed_timestamp_is_dropped(action: str, data: st.DataObject) -> None:
    driver = ready_driver()
    payload = samples.PUSHES[action]
    path = data.draw(st.sampled_from(timestamp_paths(payload)))
    bad = with_value(payload, path, data.draw(WRONG_TIMESTAMPS))
    mark = len(driver.stream)
    driver.receive(samples.push(action, bad))
    outputs = driver.stream[mark + 1 :]  # after the repr of receive()'s result
    assert len(outputs) == 1 and outputs[0].startswith("ProtocolErrorReport("), outputs
    assert_still_works(driver)


@given(action=st.sampled_from(TIMED_RESPONSES), data=st.data())
def test_an_answer_with_a_wrong_typed_timestamp_fails_its_request(
    action: str, data: st.DataObject
) -> None:
    driver = ready_driver()
    name, args, kwargs = ISSUERS[action]
    call = driver.call(name, *(driver.now if a == "now" else a for a in args), **kwargs)
    rid = str(driver.pending[-1]["request_id"])
    payload = samples.RESPONSES[action]
    path = data.draw(st.sampled_from(timestamp_paths(payload)))
    bad = with_value(payload, path, data.draw(WRONG_TIMESTAMPS))
    mark = len(driver.stream)
    driver.receive(samples.response(rid, action, bad))
    driver.advance(driver.config.indirect_grace)  # indirect requests resolve after the grace
    assert any(line.startswith("ProtocolErrorReport(") for line in driver.stream[mark:])
    ended = driver.ended.get(call)
    assert isinstance(ended, CallFailed), ended
    assert ended.error.type == "malformed_response"
    assert_still_works(driver)
