"""TLS: ``wss://`` with certificate verification on by default, a custom SSLContext accepted.

A ``websockets`` TLS server (test-only) speaks just enough of the protocol (login and the chats
summary) for the clients to reach ``connected``; its certificate comes from a throwaway CA.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme
from websockets.sync.server import ServerConnection, serve

from adapters.sync import connect
from customer_protocol import Config, ConnectionLostError

pytestmark = pytest.mark.timeout(30)


def _answer(websocket: ServerConnection) -> None:
    for raw in websocket:
        message = json.loads(raw)
        payload = {
            "login": {"customer_id": "tls-customer", "static_config_path": "/x"},
            "get_chats_summary": {"chats_summary": [], "total_chats": 0},
        }.get(message["action"], {})
        reply = {
            "request_id": message.get("request_id"),
            "action": message["action"],
            "type": "response",
            "success": True,
            "payload": payload,
        }
        websocket.send(json.dumps(reply))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_url(ca: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with serve(_answer, "localhost", 0, ssl=context) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.socket.getsockname()[1]
        yield f"wss://localhost:{port}"
        server.shutdown()
        thread.join(5)


def test_wss_with_a_trusted_ca_connects(ca: trustme.CA, tls_url: str) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with connect(license_id=1, token="t", url=tls_url, ssl_context=context) as client:
        assert client.state == "connected"
        assert client.customer_id == "tls-customer"


def test_wss_verifies_certificates_by_default(tls_url: str) -> None:
    """The default context does not trust the throwaway CA: the client never connects."""
    config = Config(backoff_base=0.05, backoff_cap=0.1, connect_timeout=2)
    client = connect(license_id=1, token="t", url=tls_url, config=config, open_timeout=1.5)
    with pytest.raises(ConnectionLostError, match="in time"), client:
        pass  # pragma: no cover - entering must fail


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_over_wss(ca: trustme.CA, tls_url: str) -> None:
    from adapters.asyncio import connect as connect_async

    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with connect_async(license_id=1, token="t", url=tls_url, ssl_context=context) as client:
        assert client.state == "connected"


class _Stop(Exception):
    """Raised by a stubbed connection to end a token flow after its first request."""


def _flow(context: ssl.SSLContext | None) -> object:
    from adapters.tokens import DEMO_CREDENTIALS, AccountsFlow

    return AccountsFlow(
        accounts_url="https://accounts.example", ssl_context=context, **DEMO_CREDENTIALS
    )


def test_sync_token_flow_uses_its_own_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flow given an SSLContext (say, trusting a private CA) opens the accounts host with it."""
    import adapters._blocking as blocking

    seen: list[ssl.SSLContext | None] = []

    def fake_exchange(*args: object, ssl_context: ssl.SSLContext | None, timeout: float) -> None:
        seen.append(ssl_context)
        raise _Stop

    monkeypatch.setattr(blocking, "exchange", fake_exchange)
    flow_context, client_context = ssl.create_default_context(), ssl.create_default_context()
    from adapters._url import parse_base_url

    web = parse_base_url("https://api.example")
    with pytest.raises(_Stop):
        blocking.token_from(
            _flow(flow_context), False, web=web, ssl_context=client_context, timeout=1
        )
    assert seen == [flow_context]
    with pytest.raises(_Stop):
        blocking.token_from(
            _flow(None),
            False,
            web=web,
            ssl_context=client_context,
            timeout=1,  # type: ignore[arg-type]
        )
    assert seen[-1] is client_context


@pytest.mark.anyio
async def test_async_token_flow_uses_its_own_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters._async import AsyncClient
    from adapters.asyncio import connect as connect_async

    flow_context, client_context = ssl.create_default_context(), ssl.create_default_context()
    seen: list[ssl.SSLContext | None] = []

    async def fake_open(self: AsyncClient, base: object, ssl_context: object = None) -> None:
        seen.append(ssl_context or self._ssl)  # what _open_stream would wrap the socket with
        raise _Stop

    monkeypatch.setattr(AsyncClient, "_open_stream", fake_open)
    client = connect_async(
        license_id=1, token=_flow(flow_context), url="wss://api.example", ssl_context=client_context
    )
    with pytest.raises(_Stop):
        await client._token(False)
    assert seen == [flow_context]
