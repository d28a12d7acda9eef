"""The reference server core's v3 pending limit and request timeout, fuzzed (``spec/v3.md``
section 2, section 11).

:class:`V3ServerMachine` is the server machine of :mod:`fuzz.test_fuzz_server` (connections of
both dialects, logins, every action valid and mutated, garbage, pings, Web API calls, time
passing) with responses held back: it arms the ``DELAY`` fault for some actions (delays below,
at and beyond the server's 15 s ``request_timeout``) and sends bursts of requests past the
limit of 10 pending per v3 connection. A ledger of the requests still owed a response replaces
the "exactly one response in the same step" rule:

* a request is answered at once or held; a held one is answered exactly once later (released
  when its delay elapses, or as a ``request_timeout`` error), never after 15 s, unless its
  connection closed; no response comes that no request is owed;
* on a v3 connection, a request arriving while 10 responses are held is refused at once with
  ``pending_requests_limit_reached``, and no request is refused so while fewer are held.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from customer_protocol.codec import loads
from customer_protocol.server import FaultKind, FaultRule
from fuzz import samples
from fuzz.test_fuzz_server import ANY_RESPONSE, APIS, CONNS, PING, ServerMachine

LIMIT = 10
EPSILON = 1e-6
DELAYED = st.sampled_from([None, "get_customer", "list_chats", "send_event", "login", ""])
"""Which action's responses the DELAY fault holds (``None``: any action)."""


class V3ServerMachine(ServerMachine):
    """:class:`ServerMachine` with held responses: the v3 pending limit and request timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.owed: dict[int, list[tuple[str, float]]] = {}
        """Per connection: the held requests, (request id or ANY_RESPONSE, when sent)."""

    # -- the ledger ----------------------------------------------------------------------------

    def check(self, outputs: list[Any], conn: int | None = None, rid: str | None = None) -> None:
        before = len(self.owed.get(conn, [])) if conn is not None else 0
        closed, responses = self.validate(outputs, conn, rid)
        if conn is None:  # time passed: each response is a held one, released
            for where, message in self.answered:
                owed = self.owed.get(where, [])
                keys = [key for key, _ in owed]
                key = message.get("request_id")
                if key not in keys:
                    assert ANY_RESPONSE in keys, f"a response no request is owed: {message}"
                    key = ANY_RESPONSE
                del owed[keys.index(key)]
        elif rid is None:
            assert responses == 0, outputs
        elif rid == PING:
            assert responses <= 1, outputs
        elif conn not in closed:
            assert responses <= 1, f"{responses} responses to {rid}: {outputs}"
            refused = [
                message
                for where, message in self.answered
                if where == conn
                and (message["payload"].get("error") or {}).get("type")
                == "pending_requests_limit_reached"
            ]
            at_limit = self.apis[conn] != "0.3" and before >= LIMIT
            if at_limit and rid != ANY_RESPONSE:
                assert responses == 1 and refused, f"{before} held, yet not refused: {outputs}"
            elif not at_limit:  # (an unreadable request at the limit may be refused or not)
                assert not refused, f"refused with only {before} held: {outputs}"
            if responses == 0:
                self.owed.setdefault(conn, []).append((rid, self.now))
                assert len(self.owed[conn]) <= LIMIT or self.apis[conn] == "0.3"
        for gone in closed:
            self.owed.pop(gone, None)
        for where, owed in self.owed.items():
            for key, since in owed:
                late = self.now - since
                assert late <= self.core.config.request_timeout + EPSILON, (where, key, late)

    # -- rules ---------------------------------------------------------------------------------

    @rule(conn=CONNS, api=APIS, organization=st.sampled_from([None, "good", "bad"]))
    def open_connection(self, conn: int, api: str, organization: str | None) -> None:
        if conn not in self.open:
            self.owed.pop(conn, None)
        super().open_connection(conn, api, organization)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def close_connection(self, data: st.DataObject) -> None:
        super().close_connection(data)
        for conn in set(self.owed) - self.open:
            del self.owed[conn]

    @rule(seconds=st.floats(0, 90))
    def tick(self, seconds: float) -> None:
        """Time passes, waking at every deadline on the way (the ledger's clock is the
        core's)."""
        target = self.now + seconds
        while (deadline := self.core.next_deadline()) is not None and deadline <= target:
            self.now = max(self.now, deadline)
            self.check(self.core.handle_timer(self.now))
        self.now = target
        self.check(self.core.handle_timer(self.now))

    @rule(
        action=DELAYED,
        delay=st.one_of(st.floats(0, 14.9), st.just(15.0), st.floats(15, 60)),
        times=st.integers(1, 15),
    )
    def delay_responses(self, action: str | None, delay: float, times: int) -> None:
        """Hold the next ``times`` responses of ``action`` back for ``delay`` seconds."""
        rule = FaultRule(kind=FaultKind.DELAY, action=action, times=times, delay=delay)
        self.core.faults.add(rule)

    @precondition(lambda self: any(self.apis[c] != "0.3" for c in self.open))
    @rule(
        data=st.data(),
        count=st.integers(1, 14),
        login=st.booleans(),
        hold=st.one_of(st.none(), st.floats(0, 20)),
    )
    def burst(self, data: st.DataObject, count: int, login: bool, hold: float | None) -> None:
        """Requests one after another on one v3 connection, faster than they are answered
        (``hold``: their responses are held back that long)."""
        conn = data.draw(st.sampled_from(sorted(c for c in self.open if self.apis[c] != "0.3")))
        if hold is not None:
            rule = FaultRule(kind=FaultKind.DELAY, action=None, times=count + 1, delay=hold)
            self.core.faults.add(rule)
        if login:
            token = f"Bearer {self.tokens[0]}"
            message = {
                "request_id": self.next_rid(),
                "action": "login",
                "payload": {"token": token},
            }
            self.send(conn, message)
        for _ in range(count):
            if conn not in self.open:
                return
            action = data.draw(st.sampled_from(["get_customer", "list_chats", "ping"]))
            message = {"request_id": self.next_rid(), "action": action, "payload": {}}
            self.send(conn, message)


V3ServerMachine.TestCase.settings = settings(
    V3ServerMachine.TestCase.settings, stateful_step_count=40
)
TestV3ServerMachine = V3ServerMachine.TestCase


def test_the_pending_limit_refusal_is_never_held_back() -> None:
    """Regression (found by this machine): with a DELAY fault on every action, the refusal of
    an 11th request (``pending_requests_limit_reached``) was held back too, so it came late and
    counted toward the limit it enforces (12, 13, ... held). It is sent at once. Then: a
    malformed request at the limit got its ``validation`` error held (the payload was checked
    before the limit). The limit is checked first."""
    machine = V3ServerMachine()
    machine.customers(banned=False)
    machine.open_connection(1, "3.6", "good")
    payload = {"token": f"Bearer {machine.tokens[0]}"}
    machine.send(1, {"request_id": "login", "action": "login", "payload": payload})
    rule = FaultRule(kind=FaultKind.DELAY, action=None, times=None, delay=5.0)
    machine.core.faults.add(rule)
    for index in range(LIMIT + 3):
        # (the last one malformed: refused for the limit all the same, not held as invalid)
        body: Any = {} if index < LIMIT + 2 else []
        message = {"request_id": f"r{index}", "action": "get_customer", "payload": body}
        outputs = machine.core.receive(1, samples.encode(message), machine.now)
        if index < LIMIT:
            assert outputs == []  # held back for 5 s
        else:
            assert len(outputs) == 1, outputs
            error = loads(outputs[0].data)["payload"]["error"]
            assert error["type"] == "pending_requests_limit_reached"
    assert len(machine.core._conns[1].held) == LIMIT
    released = machine.core.handle_timer(machine.now + 5.0)
    assert sorted(loads(o.data)["request_id"] for o in released) == sorted(
        f"r{index}" for index in range(LIMIT)
    )
