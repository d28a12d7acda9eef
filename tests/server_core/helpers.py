"""A driver for ServerCore in tests: raw JSON in, decoded messages out, fake time."""

from __future__ import annotations

import json
from typing import Any

from customer_protocol.server import (
    Close,
    Output,
    Send,
    SequentialSource,
    ServerConfig,
    ServerCore,
)

EPOCH = 1_700_000_000.0


def decode(data: bytes) -> dict[str, Any]:
    value = json.loads(data)
    assert isinstance(value, dict)
    return value


class Harness:
    """Feeds raw messages to a ServerCore and sorts its outputs by connection."""

    def __init__(self, config: ServerConfig | None = None, **kwargs: Any) -> None:
        self.config = config if config is not None else ServerConfig(agent=None, **kwargs)
        self.core = ServerCore(self.config, id_source=SequentialSource("sec"), epoch=EPOCH)
        self.now = 0.0
        self._rid = 0

    # -- raw ---------------------------------------------------------------------------------

    def open(self, conn: str) -> None:
        assert self.core.open_connection(conn, self.now) == []

    def raw(self, conn: str, data: bytes | str | dict[str, Any]) -> list[Output]:
        if isinstance(data, dict):
            data = json.dumps(data)
        return self.core.receive(conn, data if isinstance(data, bytes) else data.encode(), self.now)

    @staticmethod
    def sent(outputs: list[Output], conn: str) -> list[dict[str, Any]]:
        return [decode(o.data) for o in outputs if isinstance(o, Send) and o.conn_id == conn]

    @staticmethod
    def closes(outputs: list[Output]) -> list[Close]:
        return [o for o in outputs if isinstance(o, Close)]

    # -- requests ----------------------------------------------------------------------------

    def rid(self) -> str:
        self._rid += 1
        return f"r{self._rid}"

    def request(
        self, conn: str, action: str, payload: dict[str, Any] | None = None, rid: str | None = None
    ) -> tuple[dict[str, Any], list[Output]]:
        """Send a request; return its response (the message carrying its request_id with
        type response) and every output."""
        rid = rid or self.rid()
        message: dict[str, Any] = {"request_id": rid, "action": action}
        if payload is not None:
            message["payload"] = payload
        outputs = self.raw(conn, message)
        responses = [
            m
            for m in self.sent(outputs, conn)
            if m.get("type") == "response" and m.get("request_id") == rid
        ]
        assert len(responses) == 1, outputs
        return responses[0], outputs

    def ok(self, conn: str, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        response, _ = self.request(conn, action, payload)
        assert response["success"] is True, response
        return response["payload"]  # type: ignore[no-any-return]

    def error(
        self, conn: str, action: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response, _ = self.request(conn, action, payload)
        assert response["success"] is False, response
        return response["payload"]["error"]  # type: ignore[no-any-return]

    def customer(self) -> tuple[str, str]:
        return self.core.create_customer(self.now)

    def connect(self, conn: str, token: str, customer: dict[str, Any] | None = None) -> str:
        self.open(conn)
        payload: dict[str, Any] = {"token": f"Bearer {token}"}
        if customer is not None:
            payload["customer"] = customer
        result = self.ok(conn, "login", payload)
        return result["customer_id"]  # type: ignore[no-any-return]

    def start_chat(self, conn: str, text: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        if text is not None:
            payload["events"] = [{"type": "message", "text": text}]
        return self.ok(conn, "start_chat", payload)["chat"]  # type: ignore[no-any-return]

    # -- time --------------------------------------------------------------------------------

    def advance(self, seconds: float) -> list[Output]:
        """Move time forward, firing every deadline on the way."""
        target = self.now + seconds
        outputs: list[Output] = []
        while (deadline := self.core.next_deadline()) is not None and deadline <= target:
            self.now = max(self.now, deadline)
            outputs.extend(self.core.handle_timer(self.now))
        self.now = target
        return outputs
