"""A chaos soak of exactly-once sends: the client core against the reference server core, both
sans-IO, in one deterministic loop (fake clock, seeded choices; a few seconds of CPU).

Four customers send messages while the server injects faults (drops before and after storing a
send, aborted links, delayed answers) and threads churn (closed and reopened, several times,
often while a customer is away after a drop). After a drop-after-store the server sometimes
pushes the stored event to the customer's *new* connection without our ``request_id`` (as
``wire.md`` section 2 allows). At the end: every send ended once, with its own event; the
server stored every message exactly once (0 lost, 0 duplicated); no customer was shown one of
its own messages as someone else's ``new_event``.
"""

from __future__ import annotations

import json
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import pytest

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    CloseTransport,
    Config,
    FetchToken,
    MessageEvent,
    NewEvent,
    OpenTransport,
    ProtocolErrorReport,
    SeededRandom,
    Send,
    SendPing,
    Token,
)
from customer_protocol.codec import encode_push
from customer_protocol.server import (
    Close,
    FaultKind,
    FaultRule,
    SequentialSource,
    ServerConfig,
    ServerCore,
)
from customer_protocol.server import Send as ServerSend

SEED = 20261130
"""The soak is deterministic: the same seed plays the same run."""
CUSTOMERS = 4
SENDS = 600
"""Messages in all (as in the outside soak of issue 13)."""
FAULTS = 100


@dataclass
class Customer:
    name: str
    client: ClientProtocol
    token: Token
    conn: str | None = None
    connections: int = 0
    chat: str | None = None
    start_call: int | None = None
    sends: dict[int, str] = field(default_factory=dict)  # call -> custom_id
    ended: dict[int, CallSucceeded | CallFailed] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # conn -> last send_event custom_id
    echo_later: dict[str, Any] | None = None  # a stored event to push to the next connection
    own_new_events: list[NewEvent] = field(default_factory=list)
    errors: list[ProtocolErrorReport] = field(default_factory=list)


class Soak:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = 0.0
        self.server = ServerCore(
            ServerConfig(agent=None), id_source=SequentialSource("soak"), epoch=1_700_000_000.0
        )
        self.queue: deque[tuple[Customer, str, bytes]] = deque()  # client -> server
        self.customers: list[Customer] = []
        self.faults_injected = 0
        self.churns = 0
        self.echoes = 0
        for n in range(CUSTOMERS):
            _, access = self.server.create_customer(self.now)
            client = ClientProtocol(license_id=1, config=Config(), rng=SeededRandom(seed + n))
            token = Token(access_token=access, expires_in=3600)
            self.customers.append(Customer(f"cust{n}", client, token))
        self.conn_ids = iter(range(1, 10**9))

    # -- plumbing ------------------------------------------------------------------------------

    def drain(self, who: Customer) -> None:
        """Act on everything the customer's client produced."""
        for out in who.client.outputs():
            if isinstance(out, OpenTransport):
                who.conn = f"{who.name}-{next(self.conn_ids)}"
                who.connections += 1
                self.server.open_connection(who.conn, self.now)
                who.client.transport_opened(self.now)
                self.drain(who)
            elif isinstance(out, FetchToken):
                who.client.token_received(who.token, self.now)
                self.drain(who)
            elif isinstance(out, Send):
                assert who.conn is not None
                request = json.loads(out.data)
                if request["action"] == "send_event":
                    who.written[who.conn] = request["payload"]["event"]["custom_id"]
                self.queue.append((who, who.conn, out.data))
            elif isinstance(out, SendPing):
                if who.conn is not None:
                    self.server.note_activity(who.conn, self.now)
                    who.client.pong_received(self.now)
            elif isinstance(out, CloseTransport):
                if who.conn is not None:
                    self.server.close_connection(who.conn, self.now)
                who.conn = None
            elif isinstance(out, CallSucceeded | CallFailed):
                assert out.call not in who.ended, f"call {out.call} ended twice"
                who.ended[out.call] = out
                if out.call == who.start_call and isinstance(out, CallSucceeded):
                    who.chat = out.value.id
            elif isinstance(out, NewEvent) and out.event.custom_id in who.sends.values():
                who.own_new_events.append(out)
            elif isinstance(out, ProtocolErrorReport):
                who.errors.append(out)

    def to_client(self, outputs: list[Any]) -> None:
        by_conn = {c.conn: c for c in self.customers if c.conn is not None}
        for out in outputs:
            who = by_conn.get(out.conn_id)
            if who is None or who.conn != out.conn_id:
                continue
            if isinstance(out, ServerSend):
                who.client.receive(out.data, self.now)
                self.drain(who)
                if who.echo_later is not None and b'"action":"login"' in out.data:
                    # The new connection gets our stored event without our request_id.
                    data = encode_push("incoming_event", who.echo_later)
                    who.echo_later = None
                    self.echoes += 1
                    who.client.receive(data, self.now)
                    self.drain(who)
            elif isinstance(out, Close):
                conn = who.conn
                who.conn = None
                who.client.transport_closed(self.now, 1011, out.reason)
                self.drain(who)
                if out.reason.endswith("drop after store"):
                    self.after_stored_drop(who, conn)

    def after_stored_drop(self, who: Customer, conn: str | None) -> None:
        """The link dropped right after the server stored a send: churn the chat while the
        customer is away, and/or push the stored event to its next connection."""
        custom_id = who.written.get(conn or "")
        if custom_id is not None and self.rng.random() < 0.5:
            for thread_id in self.server.store.chats[who.chat or ""].thread_ids:
                for event in self.server.store.threads[thread_id].events:
                    if event.get("custom_id") == custom_id:
                        who.echo_later = {
                            "chat_id": who.chat,
                            "thread_id": thread_id,
                            "event": event,
                        }
        if self.rng.random() < 0.6:
            self.churn(who, self.rng.randint(1, 3))

    def churn(self, who: Customer, times: int) -> None:
        for _ in range(times):
            self.churns += 1
            self.to_client(self.server.churn_thread(who.chat or "", self.now, "again"))

    def pump(self) -> None:
        for _ in range(100_000):
            if not self.queue:
                return
            who, conn, data = self.queue.popleft()
            if who.conn != conn:
                continue  # written on a link that is gone
            self.to_client(self.server.receive(conn, data, self.now))
        raise AssertionError("the pump did not settle")

    def tick(self, seconds: float) -> None:
        self.now += seconds
        self.to_client(self.server.handle_timer(self.now))
        for who in self.customers:
            deadline = who.client.next_deadline()
            if deadline is not None and deadline <= self.now:
                who.client.handle_timer(self.now)
                self.drain(who)
        self.pump()

    # -- the soak ------------------------------------------------------------------------------

    def fault(self) -> None:
        kind = self.rng.choice(
            [
                FaultKind.DROP_AFTER_STORE,
                FaultKind.DROP_AFTER_STORE,
                FaultKind.DROP_BEFORE_STORE,
                FaultKind.DELAY,
                "abort",
            ]
        )
        self.faults_injected += 1
        if kind == "abort":  # the link dies under a random customer
            who = self.rng.choice(self.customers)
            if who.conn is not None:
                self.server.close_connection(who.conn, self.now)
                who.conn = None
                who.client.transport_closed(self.now, 1006, "gone")
                self.drain(who)
            return
        delay = self.rng.uniform(0.1, 3.0)
        self.server.faults.add(FaultRule(kind=kind, action="send_event", delay=delay))

    def run(self) -> None:
        for who in self.customers:
            who.client.connect(self.now)
            self.drain(who)
            self.pump()
            who.start_call = who.client.start_chat(self.now)
            self.drain(who)
            self.pump()
            assert who.chat is not None, who.ended
        sent = 0
        for _ in range(100_000):
            if sent < SENDS:
                for _ in range(min(self.rng.randint(1, 3), SENDS - sent)):
                    who = self.rng.choice(self.customers)
                    custom_id = f"{who.name}-m{sent}"
                    call = who.client.send_message(
                        who.chat or "", f"message {sent}", self.now, custom_id=custom_id
                    )
                    who.sends[call] = custom_id
                    self.drain(who)
                    sent += 1
                if self.faults_injected < sent * FAULTS // SENDS:  # one fault per 6 sends
                    self.fault()
                if self.rng.random() < 0.03:
                    self.churn(self.rng.choice(self.customers), 1)
            self.pump()
            self.tick(self.rng.uniform(0.01, 0.5))
            if sent >= SENDS and all(len(c.ended) == len(c.sends) + 1 for c in self.customers):
                return
        raise AssertionError(f"sends still open at {self.now} s")


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_soak_exactly_once_with_faults_and_thread_churn(seed: int) -> None:
    soak = Soak(seed)
    soak.run()
    assert soak.faults_injected == FAULTS
    assert soak.churns >= 40 and soak.echoes >= 5  # the soak did what it says
    stored: Counter[str] = Counter()
    for thread in soak.server.store.threads.values():
        for event in thread.events:
            if event.get("type") == "message":
                stored[event["custom_id"]] += 1
    lost, duplicated = [], []
    for who in soak.customers:
        assert who.errors == []
        assert who.own_new_events == []  # never shown their own message as someone else's
        for call, custom_id in who.sends.items():
            end = who.ended[call]
            assert isinstance(end, CallSucceeded), end
            event = end.value
            assert isinstance(event, MessageEvent) and event.custom_id == custom_id
            if stored[custom_id] == 0:
                lost.append(custom_id)
            elif stored[custom_id] > 1:
                duplicated.append(custom_id)
    assert (lost, duplicated) == ([], [])
    assert sum(stored.values()) == SENDS
