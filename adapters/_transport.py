"""Which WebSocket client transport the adapters use (``Config.websocket``).

The core never imports transports; the choice is made here. ``"auto"`` picks wsproto's
transport (:class:`~transports.websocket.WebSocketClient`), whose fast path reads and writes
the common whole text frames itself: measured against the transport on websockets' sans-IO
protocol in the same run, it takes in frames about 4.5 times as fast and costs less per request
round trip (``docs/performance.md``). ``"websockets"`` picks that other transport (the
``websockets`` extra), which parses every frame with websockets' own protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from customer_protocol.errors import InvalidArgumentsError
from transports.websocket import WebSocketClient

if TYPE_CHECKING:
    from transports.websocket_fast import FastWebSocketClient

    WebSocketTransport: TypeAlias = WebSocketClient | FastWebSocketClient

__all__ = ["AUTO", "FAST", "websocket_client_class"]


def _load_fast() -> type[FastWebSocketClient] | None:
    try:
        from transports.websocket_fast import FastWebSocketClient  # noqa: PLC0415
    except ImportError:  # pragma: no cover - an install without the speedups extra
        return None
    return FastWebSocketClient


FAST = _load_fast()
"""The transport on websockets' protocol, or ``None`` when websockets is not installed."""

AUTO: type[WebSocketTransport] = WebSocketClient
"""What ``"auto"`` resolves to in this process."""


def websocket_client_class(choice: str) -> type[WebSocketTransport]:
    """The transport class for ``Config.websocket``; ``"websockets"`` needs the package."""
    if choice == "wsproto":
        return WebSocketClient
    if choice == "websockets":
        if FAST is None:  # an install without the speedups extra
            raise InvalidArgumentsError(
                "Config.websocket='websockets' needs the websockets package "
                "(pip install 'customer-protocol[websockets]')."
            )
        return FAST
    return AUTO
