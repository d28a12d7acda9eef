"""A v3 driver for ServerCore in tests (on top of the v0.3 Harness)."""

from __future__ import annotations

from typing import Any

from customer_protocol.server import Output, ServerConfig

from .helpers import Harness

ORG = ServerConfig().organization_id


class V3Harness(Harness):
    """Opens v3 connections and speaks v3 requests."""

    def open3(self, conn: str, api: str = "3.6", organization_id: str | None = ORG) -> None:
        assert (
            self.core.open_connection(conn, self.now, api=api, organization_id=organization_id)
            == []
        )

    def login3(
        self, conn: str, token: str, api: str = "3.6", **payload: Any
    ) -> tuple[dict[str, Any], list[Output]]:
        """Open a v3 connection and log in; the login payload and every output."""
        self.open3(conn, api)
        response, outputs = self.request(conn, "login", {"token": f"Bearer {token}", **payload})
        assert response["success"] is True, response
        return response["payload"], outputs

    def customer3(self, conn: str = "c", api: str = "3.6") -> tuple[str, str]:
        """A new customer logged in on ``conn``: ``(customer_id, token)``."""
        customer_id, token = self.customer()
        self.login3(conn, token, api)
        return customer_id, token

    def start3(self, conn: str, text: str | None = "hi", **payload: Any) -> dict[str, Any]:
        """``start_chat`` (with one message unless ``text`` is None); the response."""
        if text is not None:
            payload.setdefault("chat", {"thread": {"events": [{"type": "message", "text": text}]}})
        return self.ok(conn, "start_chat", payload)

    def pushes(
        self, outputs: list[Output], conn: str, action: str | None = None
    ) -> list[dict[str, Any]]:
        """The pushes sent to ``conn`` (of ``action``)."""
        return [
            m
            for m in self.sent(outputs, conn)
            if m.get("type") == "push" and (action is None or m["action"] == action)
        ]
