"""The engine routes a decoded message without building ``codec.message_from``'s objects when
it can: the same as with them.

``ClientEngine._receive_general`` checks an ordinary push itself, and reads a push with a
request id or a response through ``codec.message_parts`` (message_from's rules, as parts),
handing their parts to the same handlers; anything else goes through ``message_from``. Here
two cores with the same pending requests are given the same envelope: one through ``receive``
(the engine's own routing), the other through ``message_from`` and the handlers directly (the
reference). Their outputs, phase and next
deadline must be identical, for valid envelopes and for every odd field value.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from customer_protocol import ClientProtocol
from customer_protocol.codec import Response, loads, message_from
from customer_protocol.errors import RemoteProtocolError
from customer_protocol.events import ProtocolErrorReport
from fuzz.test_fuzz_typed import EVENTS, ready, shape

ODD: list[Any] = [None, True, False, 0, 5, 1.5, "", "x", [], {}, [1], {"a": 1}]
ACTIONS = ["send_event", "incoming_event", "incoming_chat_thread", "get_chats_summary", "ping"]
_MISSING = object()


def _field(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(_MISSING), values, st.sampled_from(ODD))


def _reference(client: ClientProtocol, data: bytes) -> None:
    """What ``receive`` did before the engine routed anything itself."""
    try:
        message = message_from(loads(data), data)
    except RemoteProtocolError as exc:
        client._emit_event(ProtocolErrorReport(error=exc))
        return
    if isinstance(message, Response):
        client._on_response(message.request_id, message.action, message.success, message.payload)
    else:
        client._on_push(message.action, message.request_id, message.payload)


@settings(max_examples=600, deadline=None)
@given(api=st.sampled_from(["0.3", "3.6"]), data=st.data())
def test_the_engines_routing_is_message_froms(api: str, data: st.DataObject) -> None:
    ours, reference = ready(api), ready(api)
    for harness in (ours, reference):  # the same pending requests in both
        harness.client.send_message("PJ0MRSHTDG", "hello", now=1.0)
        harness.client.get_chats_summary(now=1.0)
        harness.drain()
    event = EVENTS[api]
    payload = {"chat_id": "PJ0MRSHTDG", "thread_id": "PZ070E0W1B", "event": event}
    envelope = {
        "type": data.draw(_field(st.sampled_from(["push", "response"]))),
        "action": data.draw(_field(st.sampled_from(ACTIONS))),
        "request_id": data.draw(_field(st.sampled_from(["1", "2", "3", "99"]))),
        "success": data.draw(_field(st.booleans())),
        "payload": data.draw(_field(st.sampled_from([payload, {"chats_summary": []}]))),
    }
    message = {key: value for key, value in envelope.items() if value is not _MISSING}
    raw = json.dumps(message).encode()
    ours.client.receive(raw, 2.0)
    reference.client._now = 2.0
    reference.client._cancel_pong()
    _reference(reference.client, raw)
    assert shape(ours.client.outputs()) == shape(reference.client.outputs()), message
    assert ours.client.phase == reference.client.phase
    assert ours.client.next_deadline() == reference.client.next_deadline()
