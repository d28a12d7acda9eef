"""design.md / state.py: every (Phase, Input) pair either moves per TRANSITIONS or raises
LocalProtocolError, leaving the phase unchanged; checked on the table and on real clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol import (
    ClientProtocol,
    ClientState,
    LocalProtocolError,
    Phase,
    RequestFailedError,
    SDKDestroyedError,
)
from customer_protocol.state import TRANSITIONS, Input, public_state, transition, transport_open

from .harness import TOKEN, Harness


@given(phase=st.sampled_from(Phase), event=st.sampled_from(Input))
def test_every_pair_moves_per_the_table_or_raises(phase: Phase, event: Input) -> None:
    if (phase, event) in TRANSITIONS:
        assert transition(phase, event) is TRANSITIONS[phase, event]
    else:
        with pytest.raises(LocalProtocolError, match=event.value):
            transition(phase, event)


def test_destroy_is_valid_everywhere_and_destroyed_accepts_nothing_else() -> None:
    for phase in Phase:
        assert TRANSITIONS[phase, Input.DESTROY] is Phase.DESTROYED
    assert [e for (p, e) in TRANSITIONS if p is Phase.DESTROYED] == [Input.DESTROY]


def test_every_phase_is_reachable_from_stopped() -> None:
    seen = {Phase.STOPPED}
    frontier = [Phase.STOPPED]
    while frontier:
        phase = frontier.pop()
        for (src, _), dst in TRANSITIONS.items():
            if src is phase and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    assert seen == set(Phase)


def test_public_state_of_each_phase() -> None:
    assert public_state(Phase.READY, has_connected=False) is ClientState.CONNECTED
    assert public_state(Phase.STOPPED, has_connected=True) is ClientState.DISCONNECTED
    assert public_state(Phase.DESTROYED, has_connected=True) is ClientState.DESTROYED
    assert public_state(Phase.LOGIN, has_connected=False) is ClientState.CONNECTING
    assert public_state(Phase.BACKOFF, has_connected=True) is ClientState.RECONNECTING
    assert {p for p in Phase if transport_open(p)} == {
        Phase.LOGIN,
        Phase.REAUTH,
        Phase.SUMMARY,
        Phase.READY,
    }


# --------------------------------------------------------------------------------------------
# Real clients driven into each phase


def _login(h: Harness) -> None:
    h.client.connect(h.now)
    h.client.token_received(TOKEN, h.now)
    h.client.transport_opened(h.now)


def _into(phase: Phase) -> Harness:
    h = Harness()
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
    elif phase is Phase.LOGIN:
        _login(h)
    elif phase is Phase.REAUTH:
        _login(h)
        h.error(h.one(h.drain(), "login"), "authentication")
    elif phase is Phase.SUMMARY:
        _login(h)
        h.respond(h.one(h.drain(), "login"), {"customer_id": "c"})
    elif phase is Phase.READY:
        h.connect()
    elif phase is Phase.DESTROYED:
        c.destroy()
    h.drain()
    assert c.phase is phase
    return h


PUBLIC: dict[str, tuple[Input, Callable[[ClientProtocol, float], None]]] = {
    "connect": (Input.CONNECT, lambda c, now: c.connect(now)),
    "disconnect": (Input.DISCONNECT, lambda c, now: c.disconnect(now)),
    "destroy": (Input.DESTROY, lambda c, now: c.destroy()),
    "token_received": (Input.TOKEN_RECEIVED, lambda c, now: c.token_received(TOKEN, now)),
    "token_failed": (
        Input.TOKEN_FAILED,
        lambda c, now: c.token_failed(RequestFailedError("down"), now),
    ),
    "transport_opened": (Input.TRANSPORT_OPENED, lambda c, now: c.transport_opened(now)),
    "transport_closed": (Input.TRANSPORT_CLOSED, lambda c, now: c.transport_closed(now)),
    "receive": (Input.MESSAGE, lambda c, now: c.receive(b'{"action":"ping"}', now)),
    "pong_received": (Input.PONG, lambda c, now: c.pong_received(now)),
}

# Inputs that chain into a next step inside the core (a cached token opens the transport).
FOLLOW_ON = {
    (Phase.STOPPED, Input.CONNECT): {Phase.TOKEN, Phase.OPENING},
}


@given(phase=st.sampled_from(Phase), name=st.sampled_from(sorted(PUBLIC)))
def test_real_client_moves_per_the_table_or_raises_and_stays(phase: Phase, name: str) -> None:
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


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_survives_every_timer(phase: Phase) -> None:
    h = _into(phase)
    for _ in range(5):
        deadline = h.client.next_deadline()
        if deadline is None:
            break
        h.advance_to(deadline)
        if h.client.phase is Phase.TOKEN:
            h.client.token_received(TOKEN, h.now)
    assert h.client.phase in set(Phase)


def test_a_late_token_while_the_link_is_open_is_ignored() -> None:
    h = _into(Phase.READY)
    h.client.token_received(TOKEN, h.now)
    h.client.token_failed(RequestFailedError("late"), h.now)
    assert h.client.phase is Phase.READY
    assert h.drain() == []
