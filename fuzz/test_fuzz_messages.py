"""Message fuzzing: arbitrary and structurally mutated server messages.

``codec.decode_message`` returns a value or raises ``RemoteProtocolError``, nothing else. The
client core's ``receive()`` never raises for them (a malformed message becomes a
``ProtocolErrorReport``, a failed request or a drop), every call still ends once, and the client
completes a normal request afterwards (reconnecting first if the message kicked it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from customer_protocol import CallSucceeded, Phase, RemoteProtocolError
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
