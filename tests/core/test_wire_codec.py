"""wire.md section 2 and design.md: strict JSON and the RTM envelope, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from customer_protocol import RemoteProtocolError, codec
from customer_protocol.codec import (
    MAX_DEPTH,
    Push,
    Request,
    Response,
    decode_message,
    decode_request,
    dumps,
    encode_push,
    encode_request,
    encode_response,
    loads,
)


@pytest.fixture(params=["stdlib", "orjson"], autouse=True)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    previous = codec.use_orjson(request.param == "orjson")
    try:
        yield request.param
    finally:
        codec.use_orjson(previous)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "data",
    [
        b"NaN",
        b"[NaN]",
        b'{"a": Infinity}',
        b"[-Infinity]",
        b"1e400",
        b"[-1e400]",
        b'"\\ud800"',
        b'{"k": "x\\udc00"}',
        b'{"\\ud800": 1}',
        '"\ud800"',
        b"18446744073709551616",
        b"-18446744073709551616",
        b"[123456789012345678901234567890]",
        b"\xff",
        b'"\xc3\x28"',
        b'"\xed\xa0\x80"',
        b"",
        b"{",
        b"[1,]",
        b"{'a': 1}",
        b"[1] [2]",
        nested(MAX_DEPTH + 1).encode(),
        nested(100_000).encode(),
        nested(100_000),
    ],
)
def test_malformed_json_is_a_remote_protocol_error(data: bytes | str) -> None:
    with pytest.raises(RemoteProtocolError):
        loads(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"18446744073709551615", 2**64 - 1),
        (b"-18446744073709551615", -(2**64 - 1)),
        (b"1.5e3", 1500.0),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        ('"é"', "é"),
        (b'{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
        (nested(MAX_DEPTH).encode(), json.loads(nested(MAX_DEPTH))),
        (b'"[[[[" ', "[[[["),
    ],
)
def test_well_formed_json_is_accepted(data: bytes | str, expected: object) -> None:
    assert loads(data) == expected


@pytest.mark.parametrize("as_text", [False, True])
@pytest.mark.parametrize(
    "number",
    [2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64 - 1, -(2**64 - 1), -(10**19 - 1)],
)
def test_integers_within_64_bits_stay_exact_integers(number: int, as_text: bool) -> None:
    # orjson turns integers outside its i64/u64 range into floats: such documents must be
    # parsed so that the value stays the exact int (the same result on either backend).
    document = f'{{"n":[{number}]}}'
    value = loads(document if as_text else document.encode())
    assert value == {"n": [number]}
    assert type(value["n"][0]) is int


@pytest.mark.parametrize("as_text", [False, True])
def test_integers_beyond_64_bits_are_rejected_as_text_too(as_text: bool) -> None:
    document = "[18446744073709551616]"
    with pytest.raises(RemoteProtocolError):
        loads(document if as_text else document.encode())


@pytest.mark.parametrize(
    "data",
    [b'["\\ud800"]', b'{"a":"\\udfff"}', b'["\xed\xa0\x80"]', b"[1e999]", b"[NaN]", b"\xff\xfe"],
)
def test_what_orjson_rejects_itself_is_still_rejected(data: bytes) -> None:
    # The orjson path does not walk the value: these checks are orjson's own (or the stdlib
    # path's); either backend must reject them.
    with pytest.raises(RemoteProtocolError):
        loads(data)


def test_the_deepest_accepted_nesting_is_max_depth() -> None:
    loads(nested(MAX_DEPTH))
    deep_object = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    loads(deep_object)
    with pytest.raises(RemoteProtocolError):
        loads('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))


def test_bracket_heavy_strings_are_not_nesting() -> None:
    text = json.dumps({"text": "[" * 500})
    assert loads(text) == {"text": "[" * 500}
    assert loads(text.encode()) == {"text": "[" * 500}


def test_loads_accepts_bytearray_and_memoryview() -> None:
    assert loads(bytearray(b"[1]")) == [1]
    assert loads(memoryview(b"[2]")) == [2]


def test_errors_carry_a_bounded_prefix_of_the_message() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        loads(b"x" * 1000)
    assert info.value.raw == b"x" * 200


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'"push"',
        b"null",
        b'{"type": "push", "payload": {}}',
        b'{"action": "", "type": "push"}',
        b'{"action": 5, "type": "push"}',
        b'{"action": "x", "type": "push", "payload": [1]}',
        b'{"action": "x", "type": "push", "payload": "p"}',
        b'{"action": "x", "type": "push", "request_id": 7}',
        b'{"action": "x", "type": "response", "success": "yes", "request_id": "1"}',
        b'{"action": "x", "type": "response", "success": true}',
        b'{"action": "x", "type": "response", "success": true, "request_id": ""}',
        b'{"action": "x"}',
        b'{"action": "x", "type": "request"}',
    ],
)
def test_bad_envelope_is_a_remote_protocol_error(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_message(data)


def test_response_and_push_round_trip() -> None:
    response = decode_message(encode_response("7", "login", {"customer_id": "c"}))
    assert response == Response(
        request_id="7", action="login", success=True, payload={"customer_id": "c"}
    )
    failed = decode_message(encode_response("8", "x", {"error": {}}, success=False))
    assert isinstance(failed, Response) and failed.success is False
    assert decode_message(encode_push("incoming_event", {"a": 1})) == Push(
        action="incoming_event", payload={"a": 1}
    )
    assert decode_message(encode_push("thread_closed", {}, request_id="3")) == Push(
        action="thread_closed", request_id="3", payload={}
    )


def test_missing_payload_is_empty_and_empty_request_id_is_none() -> None:
    assert decode_message(b'{"action": "a", "type": "push", "request_id": ""}') == Push(action="a")
    assert decode_message(b'{"action": "a", "type": "push", "payload": null}') == Push(action="a")


def test_a_bare_ping_decodes_as_a_push() -> None:
    assert decode_message(b'{"action": "ping"}') == Push(action="ping")


def test_requests_encode_compactly_and_decode_back() -> None:
    data = encode_request("1", "login", {"token": "Bearer x", "customer": {"name": "é"}})
    expected = (
        '{"request_id":"1","action":"login","payload":{"token":"Bearer x","customer":{"name":"é"}}}'
    )
    assert data == expected.encode()
    assert decode_request(data) == Request(
        action="login", request_id="1", payload={"token": "Bearer x", "customer": {"name": "é"}}
    )
    assert (
        encode_request("2", "get_chats_summary", None)
        == b'{"request_id":"2","action":"get_chats_summary"}'
    )
    assert encode_request(None, "ping", None) == b'{"action":"ping"}'
    assert decode_request(b'{"action": "ping"}') == Request(action="ping")


def test_dumps_never_writes_nan(backend: str) -> None:
    if backend == "orjson":
        assert dumps({"x": float("nan")}) == b'{"x":null}'  # orjson's rule: still valid JSON
    else:
        with pytest.raises(ValueError):
            dumps({"x": float("nan")})


def test_backend_switch_reports_the_previous_choice(backend: str) -> None:
    assert codec.use_orjson(backend == "orjson") is (backend == "orjson")


def test_orjson_switch_fails_clearly_when_orjson_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(codec, "_ORJSON_AVAILABLE", False)
    with pytest.raises(RuntimeError, match="orjson is not installed"):
        codec.use_orjson(True)
    assert codec.use_orjson(False) in (True, False)


# --------------------------------------------------------------------------------------------
# What the client sends is strict JSON too: bad values fail the call at once


BAD_VALUES = [
    float("nan"),
    float("inf"),
    2**64,
    -(2**63) - 1,
    "\ud800",
    {1: "int key"},
    {"\udc00": 1},
    object(),
    {"set"},
    b"bytes",
]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
def test_unencodable_arguments_fail_at_once_with_invalid_args(bad: object) -> None:
    from customer_protocol import ClientProtocol, ErrorCode, InvalidArgumentsError

    client = ClientProtocol(license_id=1)
    client.connect(0)
    client.outputs()
    calls = [
        lambda: client.send_event("c1", {"type": "custom", "content": bad}, 0),
        lambda: client.update_chat_properties("c1", {"ns": {"k": bad}}, 0),
        lambda: client.start_chat(0, properties={"ns": {"k": [bad]}}),
    ]
    for call in calls:
        with pytest.raises(InvalidArgumentsError) as info:
            call()
        assert info.value.code is ErrorCode.INVALID_ARGS
    assert client.pending_calls == 0
    assert client.outputs() == []


def test_lone_surrogates_in_text_arguments_fail_at_once() -> None:
    from customer_protocol import ClientProtocol, InvalidArgumentsError

    client = ClientProtocol(license_id=1)
    for call in (
        lambda: client.send_message("c1", "\ud800", 0),
        lambda: client.set_sneak_peek("c1", "\ud800", 0),
        lambda: client.send_rating("c1", "good", 0, comment="\ud800"),
        lambda: client.update_customer(0, name="\ud800"),
        lambda: client.close_thread("\ud800", 0),
        lambda: ClientProtocol(license_id=1, customer={"name": "\ud800"}),
    ):
        with pytest.raises(InvalidArgumentsError, match="must be JSON"):
            call()
    assert client.pending_calls == 0


def test_cyclic_and_too_deep_arguments_fail_at_once() -> None:
    from customer_protocol import ClientProtocol, InvalidArgumentsError

    client = ClientProtocol(license_id=1)
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(InvalidArgumentsError, match="nested too deep"):
        client.send_event("c1", {"type": "custom", "content": cyclic}, 0)
    ok = client.send_event("c1", {"type": "custom", "content": ["é", (1, 2.5), {"a": None}]}, 0)
    assert ok == 1


@pytest.mark.parametrize(
    "value",
    [
        {"request_id": "1", "action": "send_event", "payload": {"event": {"text": "é\u2028"}}},
        [1, -2.5, 1e300, None, True, False, "", {"": []}],
        "just a string",
        12,
        {"nested": {"a": [{"b": [1, {"c": "d"}]}]}},
    ],
    ids=repr,
)
def test_the_prebuilt_encoder_writes_what_the_general_encoder_writes(value: object) -> None:
    codec.use_orjson(False)  # the stdlib path (the fixture restores the backend)
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps(value) == expected


def test_encoding_errors_keep_the_general_encoders_words() -> None:
    codec.use_orjson(False)  # the stdlib path (the fixture restores the backend)
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps({"a": cycle})
    with pytest.raises(ValueError, match="Out of range float"):
        dumps([float("inf")])
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": object()})
    with pytest.raises(UnicodeEncodeError):
        dumps("\ud800")
    assert dumps({"ok": 1}) == b'{"ok":1}'  # nothing left over from the failures


def test_without_the_c_encoder_the_general_encoder_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    codec.use_orjson(False)  # the stdlib path (the fixture restores the backend)
    monkeypatch.setattr(codec, "_encode_c", None)  # as on an interpreter without json's C part
    assert dumps({"a": ["é", 1.5]}) == '{"a":["é",1.5]}'.encode()
