"""sdk.md section 1: connection lifecycle (login, login failures, drops, kicks, backoff,
keepalive, disconnect, destroy)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from customer_protocol import (
    AuthenticationError,
    ClientProtocol,
    ClientState,
    CloseTransport,
    Config,
    Connected,
    ConnectionLostError,
    ConnectionRestored,
    CustomerId,
    Disconnected,
    ErrorCode,
    FetchToken,
    OpenTransport,
    Phase,
    RequestFailedError,
    SDKDestroyedError,
    SendPing,
    Token,
    backoff_delay,
)

from .harness import TOKEN, Harness, Sent, ended, error, events, names, of, user


def start(h: Harness) -> Sent:
    """connect() up to the login request."""
    h.client.connect(h.now)
    assert of(h.drain(), FetchToken) == [FetchToken(fresh=False)]
    h.client.token_received(TOKEN, h.now)
    assert of(h.drain(), OpenTransport) == [OpenTransport()]
    h.client.transport_opened(h.now)
    return h.one(h.drain(), "login")


# --------------------------------------------------------------------------------------------
# On every transport open


def test_login_is_sent_first_with_token_and_empty_fields_when_nothing_known() -> None:
    h = Harness()
    login = start(h)
    assert login.payload == {"token": "Bearer secret-access-token", "customer": {"fields": {}}}


def test_login_sends_the_locally_known_customer() -> None:
    h = Harness(customer={"name": "Ann", "email": "a@x", "fields": {"k": "v"}})
    login = start(h)
    assert login.payload is not None
    assert login.payload["customer"] == {"name": "Ann", "email": "a@x", "fields": {"k": "v"}}


def test_nothing_but_login_is_sent_before_login_succeeds() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.client.token_received(TOKEN, h.now)
    h.client.send_message("c1", "early", h.now)
    h.client.get_chats_summary(h.now)
    h.client.transport_opened(h.now)
    out = h.drain()
    assert [s.action for s in h.sent(out)] == ["login"]
    login = h.one(out)
    out = h.respond(login, {"customer_id": "cust"})
    # After login only get_chats_summary; the outbox waits for its answer.
    assert [s.action for s in h.sent(out)] == ["get_chats_summary"]


def test_get_chats_summary_after_login_has_no_payload() -> None:
    h = Harness()
    login = start(h)
    summary = h.one(h.respond(login, {"customer_id": "cust"}), "get_chats_summary")
    assert summary.payload is None


def test_user_data_for_every_summary_user_then_connected_duplicates_allowed() -> None:
    h = Harness()
    chat_summary = {
        "id": "c1",
        "order": 1,
        "users": [user("cust", "customer"), user("agent1")],
        "properties": {},
    }
    again = {**chat_summary, "id": "c2", "order": 2}
    out = h.connect({"chats_summary": [chat_summary, again], "total_chats": 2})
    assert names(out) == ["user_data"] * 4 + ["customer_id", "connected"]
    connected = of(out, Connected)[0]
    assert connected.total_chats == 2
    assert [c.id for c in connected.chats_summary] == ["c2", "c1"]


def test_outbox_is_flushed_in_fifo_order_after_login() -> None:
    h = Harness()
    h.client.connect(h.now)
    calls = [
        h.client.send_message("c1", "one", h.now),
        h.client.close_thread("c1", h.now),
        h.client.get_chats_summary(h.now, limit=5),
    ]
    out = h.connect()
    sent = h.sent(out)
    assert [s.action for s in sent] == [
        "login",
        "get_chats_summary",
        "send_event",
        "close_thread",
        "get_chats_summary",
    ]
    assert sent[2].payload is not None and sent[2].payload["event"]["text"] == "one"
    assert h.client.pending_calls == len(calls)


def test_customer_id_is_emitted_once_before_the_first_connected() -> None:
    h = Harness()
    out = h.connect(customer_id="from-login")
    assert names(out)[-2:] == ["customer_id", "connected"]
    assert of(out, CustomerId) == [CustomerId(id="from-login")]
    h.drop()
    out = h.until_open()
    out += h.open_and_login(customer_id="from-login")
    assert of(out, CustomerId) == []
    assert h.client.customer_id == "from-login"


def test_customer_id_comes_from_the_token_provider_when_it_knows_one() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    h.client.token_received(dataclasses.replace(TOKEN, customer_id="from-token"), h.now)
    h.drain()
    out = h.open_and_login(customer_id="from-login")
    assert of(out, CustomerId) == [CustomerId(id="from-token")]


def test_double_drop_emits_connection_restored_not_connected() -> None:
    h = Harness()
    first = h.connect()
    assert len(of(first, Connected)) == 1
    for _ in range(2):
        assert names(h.drop()) == ["connection_lost"]
        out = h.until_open()
        out += h.open_and_login()
        assert of(out, Connected) == []
        assert len(of(out, ConnectionRestored)) == 1
        assert h.client.state is ClientState.CONNECTED


def test_state_is_connecting_then_connected_then_reconnecting() -> None:
    h = Harness()
    assert h.client.state is ClientState.DISCONNECTED
    h.client.connect(h.now)
    assert h.client.state is ClientState.CONNECTING
    h.connect()
    assert h.client.state is ClientState.CONNECTED
    h.drop()
    assert h.client.state is ClientState.RECONNECTING


# --------------------------------------------------------------------------------------------
# Login failures


def test_login_authentication_failure_fetches_a_fresh_token_and_retries_once() -> None:
    h = Harness()
    login = start(h)
    out = h.error(login, "authentication")
    assert of(out, FetchToken) == [FetchToken(fresh=True)]
    assert of(out, CloseTransport) == []
    assert h.client.phase is Phase.REAUTH
    h.client.token_received(Token(access_token="fresh"), h.now)
    again = h.one(h.drain(), "login")
    assert again.payload is not None and again.payload["token"] == "Bearer fresh"
    out = h.respond(again, {"customer_id": "cust"})
    out += h.respond(h.one(out, "get_chats_summary"), {"chats_summary": [], "total_chats": 0})
    assert "connected" in names(out)


def test_second_authentication_failure_is_terminal() -> None:
    h = Harness()
    login = start(h)
    h.client.send_message("c1", "queued", h.now)
    call = h.client.get_chats_summary(h.now)
    h.error(login, "authentication")
    h.client.token_received(Token(access_token="still-bad"), h.now)
    out = h.error(h.one(h.drain(), "login"), "authentication")
    assert of(out, Disconnected) == [Disconnected(reason="authentication")]
    assert of(out, CloseTransport)
    assert error(out, call).code is ErrorCode.CONNECTION_LOST
    assert h.client.next_deadline() is None
    assert h.client.state is ClientState.DISCONNECTED
    with pytest.raises(ConnectionLostError):
        h.client.get_chats_summary(h.now)


@pytest.mark.parametrize("kind", ["customer_banned", "license_expired", "unsupported_version"])
def test_terminal_login_errors_disconnect_close_and_do_not_reconnect(kind: str) -> None:
    h = Harness()
    login = start(h)
    call = h.client.close_thread("c1", h.now)
    out = h.error(login, kind)
    assert names(out) == ["disconnected"]
    assert of(out, Disconnected)[0].reason == kind
    assert of(out, CloseTransport)
    failure = error(out, call)
    assert failure.code is ErrorCode.CONNECTION_LOST
    assert h.client.next_deadline() is None
    assert h.advance(3600) == []


@pytest.mark.parametrize("kind", ["internal", "request_timeout", "validation"])
def test_other_login_errors_close_and_reconnect_with_backoff(kind: str) -> None:
    h = Harness()
    login = start(h)
    call = h.client.close_thread("c1", h.now)
    out = h.error(login, kind)
    assert of(out, CloseTransport)
    assert of(out, Disconnected) == []
    assert h.client.phase is Phase.BACKOFF
    assert h.until_open()
    out = h.open_and_login()
    assert "close_thread" in [s.action for s in h.sent(out)]
    assert call not in ended(h.log)  # it waited in the outbox and went out after login


def test_failed_get_chats_summary_after_login_reconnects() -> None:
    h = Harness()
    login = start(h)
    summary = h.one(h.respond(login, {"customer_id": "cust"}), "get_chats_summary")
    out = h.error(summary, "internal")
    assert of(out, CloseTransport)
    assert h.client.phase is Phase.BACKOFF
    assert h.until_open()


def test_login_timeout_of_15_seconds_closes_and_reconnects() -> None:
    h = Harness()
    start(h)
    assert h.client.next_deadline() == 15.0
    assert h.advance(14.999) == []
    out = h.advance(0.001)
    assert of(out, CloseTransport)
    assert h.client.phase is Phase.BACKOFF


def test_get_chats_summary_after_login_is_also_bounded_by_the_login_timeout() -> None:
    h = Harness()
    login = start(h)
    h.advance(10)
    h.respond(login, {"customer_id": "cust"})
    assert h.client.next_deadline() == 25.0
    out = h.advance(15)
    assert of(out, CloseTransport)


def test_connect_timeout_of_20_seconds_reconnects() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.client.token_received(TOKEN, h.now)
    assert of(h.drain(), OpenTransport)
    assert h.client.next_deadline() == 20.0
    assert h.advance(19.9) == []
    out = h.advance(0.1)
    assert of(out, CloseTransport)
    assert h.client.phase is Phase.BACKOFF


def test_token_fetch_is_also_bounded_by_the_connect_timeout() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    assert h.client.next_deadline() == 20.0
    out = h.advance(20)
    assert of(out, CloseTransport) == []
    assert h.client.phase is Phase.BACKOFF
    h.client.token_received(TOKEN, h.now)  # a late answer is ignored
    assert h.client.phase is Phase.BACKOFF


def test_token_provider_failure_retries_and_authentication_twice_is_terminal() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    h.client.token_failed(RequestFailedError("provider down"), h.now)
    assert h.client.phase is Phase.BACKOFF
    out = h.advance_to(h.client.next_deadline() or 0)
    assert of(out, FetchToken)
    h.client.token_failed(AuthenticationError("bad"), h.now)
    assert h.client.phase is Phase.BACKOFF
    h.advance_to(h.client.next_deadline() or 0)
    h.client.token_failed(AuthenticationError("bad"), h.now)
    assert of(h.drain(), Disconnected) == [Disconnected(reason="authentication")]
    assert h.client.phase is Phase.STOPPED


def test_fresh_token_failure_during_reauth_closes_and_reconnects() -> None:
    h = Harness()
    login = start(h)
    h.error(login, "authentication")
    h.client.token_failed(RequestFailedError("provider down"), h.now)
    out = h.drain()
    assert of(out, CloseTransport)
    assert h.client.phase is Phase.BACKOFF


# --------------------------------------------------------------------------------------------
# Transport loss


def test_transport_loss_emits_connection_lost_and_reconnects() -> None:
    h = Harness()
    h.connect()
    out = h.drop()
    assert names(out) == ["connection_lost"]
    assert h.client.phase is Phase.BACKOFF
    assert h.until_open()


def test_connection_lost_only_if_connected_since_the_last_connection_lost() -> None:
    h = Harness()
    h.connect()
    assert names(h.drop()) == ["connection_lost"]
    h.until_open()
    h.client.transport_opened(h.now)
    h.drain()
    assert names(h.drop()) == []  # lost again before logging in: no second connection_lost
    h.until_open()
    h.client.transport_closed(h.now)  # could not even open
    assert names(h.drain()) == []


def test_transport_loss_before_the_first_login_emits_nothing() -> None:
    h = Harness()
    start(h)
    assert events(h.drop()) == []


# --------------------------------------------------------------------------------------------
# customer_disconnected


@pytest.mark.parametrize(
    "reason",
    [
        "customer_banned",
        "too_many_connections",
        "license_not_found",
        "unsupported_version",
        "license_expired",
    ],
)
def test_customer_disconnected_terminal_reasons_close_without_reconnect(reason: str) -> None:
    h = Harness()
    h.connect()
    call = h.client.send_message("c1", "in flight", h.now)
    h.one(h.drain(), "send_event")
    out = h.push("customer_disconnected", {"reason": reason})
    assert names(out)[0] == "disconnected"
    assert of(out, Disconnected) == [Disconnected(reason=reason)]
    assert of(out, CloseTransport)
    assert h.client.next_deadline() is None
    assert h.client.state is ClientState.DISCONNECTED
    assert error(out, call).code is ErrorCode.CONNECTION_LOST  # no reconciliation: terminal
    with pytest.raises(ConnectionLostError):
        h.client.send_message("c1", "later", h.now)


@pytest.mark.parametrize("reason", ["internal_error", "something_new", ""])
def test_customer_disconnected_other_reasons_reconnect_after_100_ms(reason: str) -> None:
    h = Harness()
    h.connect()
    out = h.push("customer_disconnected", {"reason": reason})
    assert of(out, Disconnected) == [Disconnected(reason=reason or "unknown")]
    assert names(out) == ["disconnected", "connection_lost"]
    assert of(out, CloseTransport)
    assert h.client.next_deadline() == pytest.approx(0.1)
    out = h.advance(0.1)
    assert of(out, OpenTransport)


def test_customer_disconnected_retry_then_normal_backoff() -> None:
    draws = iter([0.5, 0.0, 0.0, 0.0])
    h = Harness()
    h.client = ClientProtocol(license_id=1, rng=lambda: next(draws))
    h.connect()
    h.push("customer_disconnected", {"reason": "internal_error"})
    h.advance(0.1)
    h.client.transport_closed(h.now)  # the retry fails to open
    h.drain()
    assert h.client.next_deadline() == pytest.approx(h.now + 1.0)  # attempt 0 of the backoff


# --------------------------------------------------------------------------------------------
# Backoff


@pytest.mark.parametrize(
    ("attempt", "r", "seconds"),
    [
        (0, 0.0, 1.0),
        (0, 0.25, 0.875),  # floor(2.5)=2 even: 1000 - floor(125)
        (0, 0.375, 1.187),  # floor(3.75)=3 odd: 1000 + floor(187.5)
        (1, 0.5, 2.5),  # 2000 + 500
        (1, 0.625, 1.375),  # 2000 - 625
        (2, 0.875, 2.25),  # 4000 - 1750
        (2, 0.75, 5.0),  # 4000 + 1500 = 5500, capped
        (3, 0.0, 5.0),  # 8000 capped
        (40, 0.1, 5.0),  # unlimited attempts, always capped
    ],
)
def test_backoff_formula_exact_values(attempt: int, r: float, seconds: float) -> None:
    assert backoff_delay(attempt, r) == pytest.approx(seconds)


def test_backoff_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(-1, 0.0)
    with pytest.raises(ValueError, match="r must"):
        backoff_delay(0, 1.0)


def scripted(values: list[float]) -> Iterator[float]:
    yield from values
    while True:
        yield 0.0


def test_backoff_counter_grows_on_failed_opens_and_resets_when_a_connection_succeeds() -> None:
    draws = scripted([0.0, 0.25, 0.5, 0.875, 0.0, 0.25])  # first draw: the custom_id nonce
    h = Harness()
    h.client = ClientProtocol(license_id=1, rng=lambda: next(draws))
    h.client.connect(h.now)
    h.client.token_received(TOKEN, h.now)
    h.drain()
    waits = []
    for _ in range(3):
        h.client.transport_closed(h.now)  # the open failed
        h.drain()
        deadline = h.client.next_deadline()
        assert deadline is not None
        waits.append(deadline - h.now)
        assert of(h.advance_to(deadline), OpenTransport)
    assert waits == pytest.approx([0.875, 2.5, 2.25])  # attempts 0, 1, 2
    h.open_and_login()
    h.drop()  # an open connection closed, after a success: attempt 0 again
    assert (h.client.next_deadline() or 0) - h.now == pytest.approx(1.0)


def test_backoff_counter_resets_when_an_open_connection_closes() -> None:
    draws = scripted([0.0])
    h = Harness()
    h.client = ClientProtocol(license_id=1, rng=lambda: next(draws))
    h.client.connect(h.now)
    h.client.token_received(TOKEN, h.now)
    h.drain()
    for _ in range(3):
        h.client.transport_closed(h.now)
        h.drain()
        h.advance_to(h.client.next_deadline() or 0)
    h.client.transport_opened(h.now)  # opened, then lost before login
    h.drain()
    h.drop()
    assert (h.client.next_deadline() or 0) - h.now == pytest.approx(1.0)


def test_backoff_uses_the_injected_random_source() -> None:
    calls: list[int] = []

    def rng() -> float:
        calls.append(1)
        return 0.0

    h = Harness()
    h.client = ClientProtocol(license_id=1, rng=rng)
    h.connect()
    before = len(calls)
    h.drop()
    assert len(calls) == before + 1


# --------------------------------------------------------------------------------------------
# Keepalive


def test_keepalive_ping_every_15_seconds_while_connected() -> None:
    h = Harness()
    h.connect()
    assert h.client.next_deadline() == 15.0
    out = h.advance(15)
    assert of(out, SendPing) == [SendPing()]
    h.client.pong_received(h.now)
    out = h.advance(15)
    assert of(out, SendPing) == [SendPing()]
    assert of(out, CloseTransport) == []


def test_no_pong_within_15_seconds_of_a_ping_closes_and_reconnects() -> None:
    h = Harness()
    h.connect()
    h.advance(15)
    out = h.advance(15)
    assert of(out, CloseTransport) == [CloseTransport(code=1011, reason="keepalive timeout")]
    assert names(out) == ["connection_lost"]
    assert of(out, SendPing) == []
    assert h.client.phase is Phase.BACKOFF


def test_any_inbound_data_counts_as_a_pong() -> None:
    h = Harness()
    h.connect()
    h.advance(15)
    h.advance(10)
    h.push("chat_scopes_updated", {"chat_id": "c1"})
    out = h.advance(5)
    assert of(out, CloseTransport) == []
    assert of(out, SendPing) == [SendPing()]


def test_keepalive_intervals_are_configuration() -> None:
    h = Harness(Config(keepalive_interval=5, pong_timeout=2))
    h.connect()
    assert of(h.advance(5), SendPing)
    assert of(h.advance(2), CloseTransport)


def test_no_keepalive_before_login() -> None:
    h = Harness()
    start(h)
    assert of(h.advance(14.9), SendPing) == []


# --------------------------------------------------------------------------------------------
# disconnect() / connect()


def test_disconnect_closes_emits_connection_lost_and_fails_pending_with_connection_lost() -> None:
    h = Harness()
    h.connect()
    written = h.client.get_chats_summary(h.now)
    h.drain()
    h.client.disconnect(h.now)
    out = h.drain()
    assert of(out, CloseTransport) == [CloseTransport(code=1000, reason="disconnect")]
    assert names(out) == ["connection_lost"]
    assert error(out, written).code is ErrorCode.CONNECTION_LOST
    assert h.client.next_deadline() is None
    assert h.client.state is ClientState.DISCONNECTED


def test_disconnect_fails_queued_requests_and_later_calls_raise_connection_lost() -> None:
    h = Harness()
    h.client.connect(h.now)
    queued = h.client.send_message("c1", "x", h.now)
    h.client.disconnect(h.now)
    out = h.drain()
    assert names(out) == []  # never connected: no connection_lost
    assert error(out, queued).code is ErrorCode.CONNECTION_LOST
    with pytest.raises(ConnectionLostError) as info:
        h.client.get_chats_summary(h.now)
    assert info.value.code is ErrorCode.CONNECTION_LOST
    assert h.advance(100) == []


def test_connect_starts_again_after_disconnect() -> None:
    h = Harness()
    h.connect()
    h.client.disconnect(h.now)
    h.drain()
    out = h.connect()
    assert of(out, OpenTransport)
    assert names(out)[-1] == "connection_restored"
    call = h.client.get_chats_summary(h.now)
    assert call > 0
    assert h.one(h.drain(), "get_chats_summary")


def test_connect_while_connecting_changes_nothing() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    h.client.connect(h.now)
    assert h.drain() == []
    assert h.client.phase is Phase.TOKEN


# --------------------------------------------------------------------------------------------
# destroy()


def test_destroy_emits_no_events_closes_and_fails_everything_with_sdk_destroyed() -> None:
    h = Harness()
    h.connect()
    written = h.client.get_chats_summary(h.now)
    sent = h.client.send_message("c1", "in flight", h.now)
    cursor = h.client.get_chat_history("c1")
    history = h.client.history_next(cursor, h.now)
    upload = h.client.send_file("c1", b"data", h.now)
    h.drain()
    h.client.destroy()
    out = h.drain()
    assert events(out) == []  # listeners are removed first: not even connection_lost
    assert of(out, CloseTransport) == [CloseTransport(code=1000, reason="destroy")]
    for call in (written, sent, history, upload):
        assert error(out, call).code is ErrorCode.SDK_DESTROYED, call
    assert h.client.pending_calls == 0
    assert h.client.next_deadline() is None
    assert h.client.state is ClientState.DESTROYED


def test_destroy_fails_outbox_requests_with_sdk_destroyed() -> None:
    h = Harness()
    h.client.connect(h.now)
    queued = h.client.close_thread("c1", h.now)
    h.client.destroy()
    out = h.drain()
    assert error(out, queued).code is ErrorCode.SDK_DESTROYED
    assert of(out, CloseTransport) == []  # no transport was open


def test_destroy_is_idempotent_and_every_later_call_raises_sdk_destroyed() -> None:
    h = Harness()
    h.connect()
    h.client.destroy()
    h.drain()
    h.client.destroy()
    assert h.drain() == []
    for action in (
        lambda: h.client.get_chats_summary(h.now),
        lambda: h.client.send_message("c1", "x", h.now),
        lambda: h.client.connect(h.now),
        lambda: h.client.disconnect(h.now),
        lambda: h.client.set_sneak_peek("c1", "x", h.now),
        lambda: h.client.get_chat_history("c1"),
        lambda: h.client.receive(b"{}", h.now),
        lambda: h.client.transport_closed(h.now),
    ):
        with pytest.raises(SDKDestroyedError) as info:
            action()
        assert info.value.code is ErrorCode.SDK_DESTROYED
    h.client.handle_timer(h.now + 100)  # a stray timer is harmless
    assert h.drain() == []


def test_keepalive_shorter_than_the_pong_timeout_keeps_the_first_pong_deadline() -> None:
    h = Harness(Config(keepalive_interval=5, pong_timeout=12))
    h.connect()
    assert of(h.advance(5), SendPing)
    assert of(h.advance(5), SendPing)  # the pong deadline stays at 17, from the first ping
    assert of(h.advance(6.9), CloseTransport) == []
    assert of(h.advance(0.1), CloseTransport)


# --------------------------------------------------------------------------------------------
# Every timing is configuration; every timer is a deadline in the core


@pytest.mark.parametrize(
    "kwargs",
    [
        {"request_timeout": 0},
        {"keepalive_interval": -1},
        {"backoff_cap": "5"},
        {"max_file_size": 0},
        {"history_batch_events": 1.5},
        {"kicked_retry_delay": -0.1},
        {"token_refresh_margin": -1},
        {"websocket": "h11"},
    ],
)
def test_config_rejects_impossible_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Config"):
        Config(**kwargs)  # type: ignore[arg-type]


def test_config_defaults_are_the_spec_values() -> None:
    config = Config()
    assert (config.request_timeout, config.indirect_grace, config.login_timeout) == (30, 2, 15)
    assert (config.connect_timeout, config.keepalive_interval, config.pong_timeout) == (20, 15, 15)
    assert (config.backoff_base, config.backoff_cap, config.kicked_retry_delay) == (1, 5, 0.1)
    assert (config.sneak_peek_interval, config.token_refresh_margin) == (2, 60)
    assert config.exactly_once_sends is True
    assert config.max_file_size == 10 * 1024 * 1024
    assert config.websocket == "auto"


def test_timers_replace_cancel_and_report_the_earliest_deadline() -> None:
    from customer_protocol.timers import Timers

    timers = Timers()
    assert timers.next() is None and timers.pop_due(100) is None
    timers.schedule("a", 5)
    timers.schedule("b", 3)
    timers.schedule("a", 1)  # moved
    assert timers.when("a") == 1 and timers.when("zzz") is None
    assert "a" in timers
    timers.cancel("b")
    assert timers.next() == 1
    assert timers.pop_due(0.5) is None
    assert timers.pop_due(1) == "a"
    assert timers.next() is None
    for i in range(200):  # many re-schedules of one name compact the heap
        timers.schedule("x", float(i))
    assert timers.next() == 199.0
    assert len(timers._heap) < 100
    timers.clear()
    assert timers.next() is None
