"""Fixtures of the official-client tests: one TLS reference server per module, v3 tokens.

LiveChat's own SDKs (which we did not write) run against the reference server over TLS with a
throwaway CA (``ServerTLS.self_signed``). A customer token comes from the server's accounts
endpoint ``POST /v2/customer/token`` (agent-token grant, ``v3.md`` section 7), fetched with
httpx as any integrator would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.server import ThreadedServer, run_in_thread
from adapters.tls import ServerTLS
from customer_protocol.server import AgentConfig, ServerConfig

FAST_AGENT = AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.15)


@dataclass(frozen=True)
class OfficialServer:
    """A running TLS reference server and what an official client needs to reach it."""

    server: ThreadedServer
    tls: ServerTLS
    config: ServerConfig

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT``: the SDKs' ``base_url`` / ``apiUrl`` (they add the scheme)."""
        return self.server.http_url.split("://", 1)[1]

    @property
    def ca_path(self) -> Path:
        assert self.tls.ca_path is not None
        return self.tls.ca_path

    def customer_token(self, entity_id: str | None = None) -> dict[str, object]:
        """A customer token from ``POST /v2/customer/token`` (agent-token grant), checked."""
        import httpx

        body: dict[str, str] = {
            "grant_type": "agent_token",
            "client_id": self.config.client_id,
            "response_type": "token",
            "organization_id": self.config.organization_id,
        }
        if entity_id is not None:
            body["entity_id"] = entity_id
        with httpx.Client(verify=self.tls.client_context(), timeout=10) as client:
            response = client.post(
                f"{self.server.http_url}/v2/customer/token",
                json=body,
                headers={"Authorization": f"Bearer {self.config.agent_token}"},
            )
        assert response.status_code == 200, response.text
        token = response.json()
        for name, kind in (
            ("access_token", str),
            ("client_id", str),
            ("entity_id", str),
            ("expires_in", int),
            ("token_type", str),
            ("organization_id", str),
        ):
            assert isinstance(token.get(name), kind), (name, sorted(token))
        assert token["token_type"] == "Bearer"
        assert token["organization_id"] == self.config.organization_id
        return dict(token)


@pytest.fixture(scope="module")
def official_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficialServer]:
    tls = ServerTLS.self_signed(tmp_path_factory.mktemp("official-tls"))
    config = ServerConfig(agent=FAST_AGENT)
    with run_in_thread(config=config, tls=tls) as server:
        yield OfficialServer(server=server, tls=tls, config=server.server.config)


@pytest.fixture(autouse=True)
def _collect_now() -> Iterator[None]:
    yield
    import gc

    gc.collect()
