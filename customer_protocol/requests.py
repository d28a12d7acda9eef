"""The request record the client keeps for every request it sends or queues."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import CustomerSDKError

__all__ = ["PendingRequest"]


def _ignore(_: Any) -> None:
    return None


class PendingRequest:
    """One request, from the moment it is made until it ends (exactly once).

    ``on_ok`` / ``on_err`` are called by the client, never both, never twice.
    """

    __slots__ = (
        "action",
        "chat",
        "custom_id",
        "encoded",
        "ended",
        "indirect",
        "on_err",
        "on_ok",
        "payload",
        "quiet",
        "reconcilable",
        "response",
        "since",
        "wire_id",
    )

    def __init__(
        self,
        action: str,
        payload: Mapping[str, Any] | None,
        *,
        indirect: bool,
        on_ok: Callable[[Any], None] = _ignore,
        on_err: Callable[[CustomerSDKError], None] = _ignore,
        quiet: bool = False,
        reconcilable: bool = False,
        chat: str | None = None,
        custom_id: str | None = None,
        encoded: str | None = None,
    ) -> None:
        self.action = action
        self.payload = payload
        self.encoded = encoded
        """``payload`` already encoded as compact JSON text, when its builder made it (the
        request is then written without walking the payload; the same bytes)."""
        self.indirect = indirect
        self.on_ok = on_ok
        self.on_err = on_err
        self.quiet = quiet
        self.reconcilable = reconcilable
        self.chat = chat
        self.custom_id = custom_id
        self.wire_id: str | None = None
        self.response: Mapping[str, Any] | None = None
        self.since: tuple[int, str] | None = None
        """For exactly-once sends: the chat's newest known thread ``(order, id)`` when written."""
        self.ended = False

    def succeed(self, value: Any) -> None:
        """End the request with ``value`` (ignored if it already ended)."""
        if not self.ended:
            self.ended = True
            self.on_ok(value)

    def fail(self, error: CustomerSDKError) -> None:
        """End the request with ``error`` (ignored if it already ended)."""
        if not self.ended:
            self.ended = True
            self.on_err(error)

    def __repr__(self) -> str:
        return f"PendingRequest(action={self.action!r}, wire_id={self.wire_id!r})"
