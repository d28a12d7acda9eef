"""What the server core needs of a dialect (``v03.py``, ``v3_actions.py``)."""

from __future__ import annotations

from typing import Any, Protocol

from .facts import Fact
from .logic import Outcome, Upload

__all__ = ["ServerDialect"]


class ServerDialect(Protocol):
    """One dialect's actions, pushes and envelope over the shared logic."""

    @property
    def api(self) -> str:
        """The dialect's version string (``"0.3"``, ``"3.6"``, ...)."""
        ...

    def render(self, fact: Fact) -> list[tuple[str, dict[str, Any]]]:
        """The pushes ``(action, payload)`` that say ``fact`` in this dialect."""
        ...

    def encode_push(self, action: str, payload: dict[str, Any], request_id: str | None) -> bytes:
        """One push message in this dialect's envelope."""
        ...

    def run(
        self,
        customer_id: str,
        action: str,
        payload: dict[str, Any],
        wall: int,
        upload: Upload | None = None,
    ) -> Outcome:
        """Carry out one action for an authenticated customer."""
        ...
