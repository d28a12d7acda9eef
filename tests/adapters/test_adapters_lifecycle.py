"""Lifecycle end to end in the three adapters: terminal disconnects, refused logins,
disconnect()/connect(), destroy(), and the token providers (accounts flow, callables)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import anyio
import pytest
from adapters_helpers import QUIET_SERVER, make_client

from adapters.server import ReferenceServer, serve
from adapters.tokens import AccountsFlow
from customer_protocol import (
    AuthenticationError,
    ConnectionLostError,
    CustomerSDKError,
    ErrorCode,
    SDKDestroyedError,
)
from customer_protocol.server import FaultKind, FaultRule, ServerConfig

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


async def test_a_ban_is_a_terminal_disconnect(adapter: str, server: ReferenceServer) -> None:
    customer_id, token = server.create_customer()
    async with make_client(adapter, server, token=token) as client:
        chat = await client.start_chat()
        server.ban_customer(customer_id)
        disconnected = await client.recorder.wait_for("disconnected")
        assert disconnected.reason == "customer_banned"
        with anyio.fail_after(5):
            while client.state != "disconnected":
                await anyio.sleep(0.005)
        with pytest.raises(ConnectionLostError) as lost:
            await client.send_message(chat.id, "anyone?")  # fails at once, never hangs
        assert lost.value.code is ErrorCode.CONNECTION_LOST
        assert client.recorder.named("connection_restored") == []
    with anyio.fail_after(5):  # the server forgets the closed connection in its own task
        while server.connection_count:
            await anyio.sleep(0.005)


async def test_entering_fails_for_a_banned_customer(adapter: str, server: ReferenceServer) -> None:
    customer_id, token = server.create_customer()
    server.ban_customer(customer_id)
    client = make_client(adapter, server, token=token)
    with anyio.fail_after(10), pytest.raises(ConnectionLostError) as refused:
        async with client:
            pytest.fail("entered a banned customer's session")
    assert refused.value.type == "customer_banned"
    assert [e.reason for e in client.recorder.named("disconnected")] == ["customer_banned"]
    assert client.recorder.named("connected") == []


async def test_entering_fails_for_a_refused_token(adapter: str, server: ReferenceServer) -> None:
    asked: list[bool] = []

    def provider(fresh: bool) -> str:
        asked.append(fresh)
        return "not-a-valid-token"

    client = make_client(adapter, server, token=provider)
    with anyio.fail_after(10), pytest.raises(AuthenticationError) as refused:
        async with client:
            pytest.fail("entered with a bad token")
    assert refused.value.code is ErrorCode.AUTHENTICATION
    assert asked == [False, True]  # a fresh token once, then give up
    assert "not-a-valid-token" not in str(refused.value)


async def test_a_fresh_token_after_a_refused_one_connects(
    adapter: str, server: ReferenceServer
) -> None:
    customer_id, token = server.create_customer()

    def provider(fresh: bool) -> str:
        return token if fresh else "expired-token"

    async with make_client(adapter, server, token=provider) as client:
        assert client.customer_id == customer_id
        assert client.state == "connected"


async def test_too_many_connections_disconnects_the_oldest(adapter: str) -> None:
    async with serve(config=ServerConfig(agent=None, max_connections_per_customer=1)) as server:
        token = server.create_customer()[1]
        async with make_client(adapter, server, token=token) as oldest:
            async with make_client(adapter, server, token=token) as newest:
                gone = await oldest.recorder.wait_for("disconnected")
                assert gone.reason == "too_many_connections"
                assert (await newest.get_chats_summary()).total_chats == 0
            assert oldest.recorder.named("connection_restored") == []  # terminal


async def test_disconnect_then_connect_again(adapter: str, server: ReferenceServer) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        mark = client.recorder.mark()
        await client.disconnect()
        assert client.state == "disconnected"
        await client.recorder.wait_for("connection_lost", after=mark)
        with pytest.raises(ConnectionLostError):
            await client.send_message(chat.id, "while disconnected")
        mark = client.recorder.mark()
        await client.connect()
        restored = await client.recorder.wait_for("connection_restored", after=mark)
        assert [s.id for s in restored.chats_summary] == [chat.id]
        assert client.state == "connected"
        assert (await client.send_message(chat.id, "back")).text == "back"
        assert client.recorder.names().count("connected") == 1


async def test_calls_made_while_reconnecting_wait_for_the_login(
    adapter: str, server: ReferenceServer
) -> None:
    async with make_client(adapter, server) as client:
        chat = await client.start_chat()
        mark = client.recorder.mark()
        await server.restart()
        await client.recorder.wait_for("connection_lost", after=mark)
        # Sent while the client reconnects: queued in the outbox, sent after the login.
        summary = await client.get_chats_summary()
        event = await client.send_message(chat.id, "queued")
        assert summary.total_chats == 1 and event.text == "queued"
        await client.recorder.wait_for("connection_restored", after=mark)


async def test_destroy_ends_every_pending_call(adapter: str) -> None:
    async with serve(config=QUIET_SERVER) as server, make_client(adapter, server) as client:
        chat = await client.start_chat()
        await client.send_message(chat.id, "one")
        # Hold every answer back: reads get no response, the send neither response nor echo.
        for action in ("get_chats_summary", "get_chat_threads_summary", "send_event"):
            server.faults.add(FaultRule(kind=FaultKind.DELAY, action=action, delay=30.0))
        server.faults.add(FaultRule(kind=FaultKind.SKIP_PUSH, action="send_event"))
        errors: dict[str, BaseException] = {}

        async def pending(name: str, call: Awaitable[object]) -> None:
            try:
                await call
            except CustomerSDKError as exc:
                errors[name] = exc

        history = client.get_chat_history(chat.id)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(pending, "summary", client.get_chats_summary())
                tasks.start_soon(pending, "send", client.send_message(chat.id, "two"))
                tasks.start_soon(pending, "history", history.next())
                while server.faults.rules:  # until every request reached the server
                    await anyio.sleep(0.005)
                await client.destroy()
        assert sorted(errors) == ["history", "send", "summary"]
        assert all(isinstance(e, SDKDestroyedError) for e in errors.values())
        assert client.state == "destroyed"
        mark = client.recorder.mark()
        await client.destroy()  # idempotent
        with pytest.raises(SDKDestroyedError) as destroyed:
            await client.get_chats_summary()
        assert destroyed.value.code is ErrorCode.SDK_DESTROYED
        assert client.recorder.mark() == mark  # listeners are gone: no events any more


async def test_accounts_flow_keeps_the_same_customer(adapter: str, server: ReferenceServer) -> None:
    flow = AccountsFlow.demo()  # the URL is taken from the client's
    async with make_client(adapter, server, token=flow) as client:
        customer_id = client.customer_id
        chat = await client.start_chat()
    assert customer_id is not None and flow.customer_id == customer_id
    assert flow.customer_key

    again = AccountsFlow.demo(
        server.http_url, customer_id=flow.customer_id, customer_key=flow.customer_key
    )
    async with make_client(adapter, server, token=again) as client:
        assert client.customer_id == customer_id
        (connected,) = client.recorder.named("connected")
        assert [s.id for s in connected.chats_summary] == [chat.id]

    stranger = AccountsFlow.demo(server.http_url)
    async with make_client(adapter, server, token=stranger) as client:
        assert client.customer_id not in (None, customer_id)


async def test_tokens_never_reach_logs_or_reprs(
    adapter: str, server: ReferenceServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = server.create_customer()[1]
    flow = AccountsFlow.demo(server.http_url)
    with caplog.at_level(logging.DEBUG):
        async with make_client(adapter, server, token=token) as client:
            chat = await client.start_chat()
            await client.send_message(chat.id, "hello")
            await server.restart()
            await client.recorder.wait_for("connection_restored")
            assert token not in repr(client.raw)
        async with make_client(adapter, server, token=flow) as other:
            await other.get_chats_summary()
    issued = list(server.core.store.tokens)
    assert len(issued) == 2 and token in issued
    assert "login" in caplog.text  # the traffic was logged...
    for secret in (*issued, flow.customer_key):
        assert secret and secret not in caplog.text  # ...without a token or key
        assert secret not in repr(flow)
