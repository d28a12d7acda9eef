"""Fuzzing the reference server's pure core (``customer_protocol.server.ServerCore``).

Random connections open in either dialect (chat.io v0.3 or LiveChat v3.4-3.6, one store), log
in (validly or not), send valid actions with mutated payloads, garbage and mutated envelopes,
close, and time passes (the scripted agent acts; login timeouts and token expiry fire). The core
never
raises; every request carrying a ``request_id`` gets exactly one response unless its
connection is closed in the same step; every message it writes is strict JSON (a response or a
push) and goes to an open connection; nothing is written to a connection after its ``Close``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from customer_protocol import RemoteProtocolError
from customer_protocol.codec import loads
from customer_protocol.server import (
    Close,
    Send,
    SequentialSource,
    ServerConfig,
    ServerCore,
    StoreFile,
)
from fuzz import samples

EPOCH = 1_700_000_000.0
ANY_RESPONSE = "\x00any"  # an unreadable request: one error response, whatever its request_id
CONNS = st.integers(1, 4)
APIS = st.sampled_from(["0.3", "0.3", "3.4", "3.5", "3.6"])
PING = "\x00ping"  # a ping: no answer in v0.3 or before a v3 login, at most one after it


def payloads(chats: list[str], threads: list[str]) -> dict[str, dict[str, Any]]:
    chat = chats[-1] if chats else "nochat"
    thread = threads[-1] if threads else "nothread"
    return {
        "get_chats_summary": {"offset": 0, "limit": 5},
        "get_chat_threads": {"chat_id": chat, "thread_ids": [thread]},
        "get_chat_threads_summary": {"chat_id": chat, "offset": 0, "limit": 2},
        "start_chat": {
            "routing_scope": {"type": "license"},
            "events": [{"type": "message", "text": "hello", "custom_id": "x"}],
            "properties": {"ns": {"k": 1}},
        },
        "start_chat_documented": {
            "chat": {"scopes": {}, "properties": {}, "thread": {"events": [], "properties": {}}}
        },
        "send_event": {"chat_id": chat, "event": {"type": "message", "text": "bye"}},
        "send_event_custom": {"chat_id": chat, "event": {"type": "custom", "content": [1]}},
        "send_event_form": {
            "chat_id": chat,
            "event": {"type": "filled_form", "fields": [{"type": "text", "name": "n",
                                                         "label": "l", "required": True,
                                                         "value": "v"}]},
        },
        "send_sneak_peek": {"chat_id": chat, "sneak_peek_text": "ty"},
        "close_thread": {"chat_id": chat},
        "update_chat_scopes": {"chat_id": chat, "add_scopes": {"groups": [1]}},
        "update_customer": {"customer": {"name": "n", "email": "e@x", "fields": {"a": "b"}}},
        "update_chat_properties": {"chat_id": chat, "properties": {"ns": {"k": 2}}},
        "update_chat_thread_properties": {
            "chat_id": chat,
            "thread_id": thread,
            "properties": {"rating": {"score": 1, "comment": None}},
        },
        "update_last_seen_timestamp": {"chat_id": chat, "timestamp": 1_700_000_100},
        "unknown_action": {},
        "send_file": {"chat_id": chat},
    }  # fmt: skip


def v3_payloads(chats: list[str], threads: list[str]) -> dict[str, dict[str, Any]]:
    chat = chats[-1] if chats else "nochat"
    thread = threads[-1] if threads else "nothread"
    ids = {"chat_id": chat, "thread_id": thread}
    message = {"type": "message", "text": "hello", "custom_id": "x"}
    return {
        "list_chats": {"limit": 2},
        "list_threads": {"chat_id": chat, "min_events_count": 2},
        "list_threads_limit": {"chat_id": chat, "limit": 1, "sort_order": "asc"},
        "get_chat": {"chat_id": chat},
        "start_chat": {"chat": {"properties": {"ns": {"k": 1}}, "access": {"group_ids": [0]},
                                "thread": {"events": [message], "properties": {}}}},
        "resume_chat": {"chat": {"id": chat, "thread": {"events": [message]}}},
        "deactivate_chat": {"id": chat},
        "send_event": {"chat_id": chat, "event": message},
        "send_event_attached": {"chat_id": chat, "event": message, "attach_to_last_thread": True},
        "delete_event": {**ids, "event_id": "EV000001"},
        "send_rich_message_postback": {**ids, "event_id": "EV000001",
                                       "postback": {"id": "p", "toggled": True}},
        "send_sneak_peek": {"chat_id": chat, "sneak_peek_text": "ty"},
        "update_chat_properties": {"id": chat, "properties": {"ns": {"k": 2}}},
        "delete_chat_properties": {"id": chat, "properties": {"ns": ["k"]}},
        "update_thread_properties": {**ids, "properties": {"rating": {"score": 1}}},
        "delete_thread_properties": {**ids, "properties": {"rating": ["score"]}},
        "update_event_properties": {**ids, "event_id": "EV000001", "properties": {"a": {"b": 1}}},
        "delete_event_properties": {**ids, "event_id": "EV000001", "properties": {"a": ["b"]}},
        "update_customer": {"name": "n", "session_fields": [{"a": "b"}]},
        "update_customer_page": {"url": "https://example.com"},
        "set_customer_session_fields": {"session_fields": [{"c": "d"}]},
        "get_customer": {},
        "list_group_statuses": {"all": True},
        "get_form": {"group_id": 0, "type": "prechat"},
        "get_predicted_agent": {},
        "get_url_info": {"url": "https://example.com"},
        "mark_events_as_seen": {"chat_id": chat, "seen_up_to": "2030-01-01T00:00:00.000000Z"},
        "accept_greeting": {"greeting_id": 1, "unique_id": "GR00000001"},
        "cancel_greeting": {"unique_id": "GR00000001"},
        "request_welcome_message": {},
        "check_goals": {"group_id": 0},
        "list_group_properties": {"id": 0},
        "unknown_action": {},
    }  # fmt: skip


class ServerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.core = ServerCore(ServerConfig(), id_source=SequentialSource("fz"), epoch=EPOCH)
        self.now = 0.0
        self.open: set[int] = set()
        self.apis: dict[int, str] = {}
        self.tokens: list[str] = []
        self.chats: list[str] = []
        self.threads: list[str] = []
        self.rid = 0

    @initialize(banned=st.booleans())
    def customers(self, banned: bool) -> None:
        for _ in range(2):
            self.tokens.append(self.core.create_customer(self.now)[1])
        if banned:
            customer = self.core.create_customer(self.now)
            self.core.ban_customer(customer[0], self.now)
            self.tokens.append(customer[1])

    # -- checks ------------------------------------------------------------------------------

    def check(self, outputs: list[Any], conn: int | None = None, rid: str | None = None) -> None:
        closed, responses = self.validate(outputs, conn, rid)
        if rid is None:
            assert responses == 0, outputs
        elif rid == PING:
            assert responses <= 1, outputs
        elif conn not in closed:
            assert responses == 1, f"{responses} responses to {rid}: {outputs}"

    def validate(
        self, outputs: list[Any], conn: int | None = None, rid: str | None = None
    ) -> tuple[set[Any], int]:
        """Check every output on its own (an open connection, nothing after its ``Close``,
        strict JSON, v3 pushes with their version); learn chat and thread ids; forget the
        closed connections. Returns them and the number of responses to ``rid`` on ``conn``."""
        closed: set[Any] = set()
        responses = 0
        self.answered: list[tuple[Any, dict[str, Any]]] = []
        """Every response of these outputs: (connection, message)."""
        for output in outputs:
            if isinstance(output, StoreFile):
                continue
            assert output.conn_id in self.open, output
            assert output.conn_id not in closed, f"{output} after the connection's Close"
            if isinstance(output, Close):
                closed.add(output.conn_id)
                continue
            assert isinstance(output, Send)
            message = loads(output.data)
            assert isinstance(message, dict) and message.get("type") in ("response", "push")
            if message["type"] == "response":
                assert isinstance(message.get("success"), bool)
                payload = message.get("payload")
                assert isinstance(payload, dict)
                if not message["success"]:
                    assert isinstance(payload.get("error", {}).get("type"), str), message
            if message["type"] == "push" and self.apis.get(output.conn_id, "0.3") != "0.3":
                assert message.get("version") == self.apis[output.conn_id], message
            if message["type"] == "response":
                self.answered.append((output.conn_id, message))
            if output.conn_id == conn and message["type"] == "response":
                if rid in (ANY_RESPONSE, PING, message.get("request_id")):
                    responses += 1
                self._learn(message.get("payload") or {})
            elif message["type"] == "push":
                self._learn(message.get("payload") or {})
        self.open -= closed
        return closed, responses

    def _learn(self, payload: dict[str, Any]) -> None:
        if isinstance(payload.get("chat_id"), str) and payload["chat_id"] not in self.chats:
            self.chats.append(payload["chat_id"])
        if isinstance(payload.get("thread_id"), str):
            self.threads.append(payload["thread_id"])
        chat = payload.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), str):
            if chat["id"] not in self.chats:
                self.chats.append(chat["id"])
            thread = chat.get("thread")
            if isinstance(thread, dict) and isinstance(thread.get("id"), str):
                self.threads.append(thread["id"])

    def send(self, conn: int, message: Any) -> None:
        """Send one message; a readable request with a ``request_id`` gets exactly one
        response with it, anything else but a ``ping`` exactly one error response."""
        data = message if isinstance(message, bytes) else samples.encode(message)
        try:
            parsed = loads(data)
        except RemoteProtocolError:
            parsed = None
        rid: str | None = ANY_RESPONSE
        if isinstance(parsed, dict):
            value, action = parsed.get("request_id"), parsed.get("action")
            if isinstance(value, str) and value and isinstance(action, str) and action:
                rid = value
            if action == "ping":
                rid = PING if self.apis.get(conn) != "0.3" else None
        self.check(self.core.receive(conn, data, self.now), conn, rid)

    def next_rid(self) -> str:
        self.rid += 1
        return f"r{self.rid}"

    # -- rules -------------------------------------------------------------------------------

    @rule(conn=CONNS, api=APIS, organization=st.sampled_from([None, "good", "bad"]))
    def open_connection(self, conn: int, api: str, organization: str | None) -> None:
        if conn in self.open:
            return
        org = self.core.config.organization_id if organization == "good" else organization
        assert self.core.open_connection(conn, self.now, api=api, organization_id=org) == []
        self.open.add(conn)
        self.apis[conn] = api

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def close_connection(self, data: st.DataObject) -> None:
        conn = data.draw(st.sampled_from(sorted(self.open)))
        self.open.discard(conn)
        assert self.core.close_connection(conn, self.now) == []

    @precondition(lambda self: self.open)
    @rule(data=st.data(), which=st.integers(0, 2), valid=st.booleans())
    def login(self, data: st.DataObject, which: int, valid: bool) -> None:
        conn = data.draw(st.sampled_from(sorted(self.open)))
        token = self.tokens[which % len(self.tokens)]
        payload: Any = {"token": f"Bearer {token}", "customer": {"name": "n", "fields": {}}}
        if self.apis[conn] != "0.3":
            payload = {
                "token": f"Bearer {token}",
                "customer": {"name": "n", "session_fields": [{"a": "b"}]},
                "customer_side_storage": {"k": "v"},
                "pushes": {self.apis[conn]: ["incoming_chat", "incoming_event", "x"]},
            }
        if not valid:
            payload = data.draw(samples.mutated(payload))
        self.send(conn, {"request_id": self.next_rid(), "action": "login", "payload": payload})

    @precondition(lambda self: self.open)
    @rule(data=st.data(), mutate=st.sampled_from(["none", "payload", "payload", "envelope"]))
    def request(self, data: st.DataObject, mutate: str) -> None:
        conn = data.draw(st.sampled_from(sorted(self.open)))
        v3 = self.apis[conn] != "0.3"
        table = (v3_payloads if v3 else payloads)(self.chats, self.threads)
        name = data.draw(st.sampled_from(sorted(table)))
        action = name.split("_documented")[0].replace("send_event_custom", "send_event")
        action = action.replace("send_event_form", "send_event")
        action = action.replace("send_event_attached", "send_event")
        action = action.replace("list_threads_limit", "list_threads")
        payload: Any = table[name]
        if mutate == "payload":
            payload = data.draw(samples.mutated(payload))
        message: Any = {"request_id": self.next_rid(), "action": action, "payload": payload}
        if mutate == "envelope":
            message = data.draw(samples.mutated(message))
        self.send(conn, message)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), raw=st.binary(max_size=30))
    def garbage(self, data: st.DataObject, raw: bytes) -> None:
        self.send(data.draw(st.sampled_from(sorted(self.open))), raw)

    @rule(seconds=st.floats(0, 90))
    def tick(self, seconds: float) -> None:
        self.now += seconds
        while (deadline := self.core.next_deadline()) is not None and deadline <= self.now:
            self.check(self.core.handle_timer(max(deadline, 0.0)))
        self.check(self.core.handle_timer(self.now))

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def ping(self, data: st.DataObject) -> None:
        conn = data.draw(st.sampled_from(sorted(self.open)))
        message = data.draw(
            st.sampled_from([{"action": "ping"}, {"action": "ping", "payload": {}}])
        )
        self.send(conn, message)

    @rule(data=st.data(), valid=st.booleans(), api=APIS)
    def web_api(self, data: st.DataObject, valid: bool, api: str) -> None:
        if api == "0.3":
            table = payloads(self.chats, self.threads)
            names = ["start_chat", "send_event", "close_thread"]
        else:
            table = v3_payloads(self.chats, self.threads)
            names = ["start_chat", "send_event", "deactivate_chat", "list_chats", "get_chat"]
        action = data.draw(st.sampled_from(names))
        payload: Any = table[action]
        if not valid:
            payload = data.draw(samples.mutated(payload))
        token = self.tokens[0] if valid else data.draw(st.sampled_from([None, "x", "Bearer x"]))
        auth = token if token is None or token.startswith("Bearer") else f"Bearer {token}"
        result = self.core.web_api(auth, action, samples.encode(payload), self.now, api=api)
        assert isinstance(result.reply.body, dict) and 200 <= result.reply.status < 600
        self.check(list(result.outputs))

    @rule(data=st.data(), valid=st.booleans())
    def token_v2(self, data: st.DataObject, valid: bool) -> None:
        body: Any = {"grant_type": "agent_token", "client_id": "demo-client"}
        if not valid:
            body = data.draw(samples.mutated(body))
        headers = {"Authorization": f"Bearer {self.core.config.agent_token}"}
        reply = self.core.accounts_token_v2(headers, samples.encode(body), self.now)
        assert reply.status in (200, 400, 401), reply
        if reply.status == 200:
            self.tokens.append(reply.body["access_token"])


ServerMachine.TestCase.settings = settings(ServerMachine.TestCase.settings, stateful_step_count=40)
TestServerMachine = ServerMachine.TestCase
