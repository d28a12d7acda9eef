"""Every timing and limit of the client, in one frozen value (``spec/sdk.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Config"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Timings (seconds) and limits of a client. The defaults are the ones ``spec/sdk.md`` names.

    Pass a modified copy (``dataclasses.replace(Config(), request_timeout=5)``) to ``connect``.
    """

    request_timeout: float = 30.0
    """Client timeout of a request, counted from when it was written (sdk.md section 2)."""
    indirect_grace: float = 2.0
    """How long a successful response waits for the push that carries its request id."""
    login_timeout: float = 15.0
    """How long ``login`` (and the ``get_chats_summary`` after it) may take."""
    connect_timeout: float = 20.0
    """How long opening the transport, or obtaining a token, may take."""
    keepalive_interval: float = 15.0
    """A keepalive ping is sent this often while connected."""
    pong_timeout: float = 15.0
    """No pong or other inbound data within this long after a ping: the link is dead."""
    backoff_base: float = 1.0
    """Reconnect backoff of attempt 0; attempt n waits ``base * 2**n`` with jitter."""
    backoff_cap: float = 5.0
    """The longest reconnect wait."""
    kicked_retry_delay: float = 0.1
    """First reconnect after a non-terminal ``customer_disconnected`` push."""
    sneak_peek_interval: float = 2.0
    """At most one sneak peek per chat in this interval (leading and trailing edge)."""
    token_refresh_margin: float = 60.0
    """A cached token is replaced this long before it expires."""
    exactly_once_sends: bool = True
    """Reconcile in-flight ``send_event`` calls by ``custom_id`` after a reconnect."""
    reconcile_threads: int = 2
    """Deprecated, ignored: the exactly-once lookup now reads every thread that can hold the
    send (``spec/sdk.md`` section 2), not a fixed count. Kept so old code still runs; it will be
    removed in a later release."""
    history_batch_events: int = 50
    """The history cursor loads at least this many events per batch."""
    max_message_size: int = 1 << 20
    """The largest message a transport accepts (bytes)."""
    max_file_size: int = 10 * 1024 * 1024
    """The largest file ``send_file`` uploads (bytes)."""
    max_pending_requests: int = 10_000
    """Requests waiting or in flight at once; one more fails at once with ``INVALID_ARGS``."""
    websocket: Literal["auto", "wsproto", "websockets"] = "auto"
    """The WebSocket transport the adapters use: ``"wsproto"`` (with its fast path for whole
    text frames, the fastest), ``"websockets"`` (websockets' sans-IO protocol for every
    frame; the ``websockets`` extra) or ``"auto"`` (``"wsproto"``). The core ignores it."""

    def __post_init__(self) -> None:
        for name in (
            "request_timeout",
            "indirect_grace",
            "login_timeout",
            "connect_timeout",
            "keepalive_interval",
            "pong_timeout",
            "backoff_base",
            "backoff_cap",
            "sneak_peek_interval",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"Config.{name} must be a positive number")
        for name in (
            "reconcile_threads",
            "history_batch_events",
            "max_message_size",
            "max_file_size",
            "max_pending_requests",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Config.{name} must be a positive integer")
        if self.kicked_retry_delay < 0 or self.token_refresh_margin < 0:
            raise ValueError("Config delays must not be negative")
        if self.websocket not in ("auto", "wsproto", "websockets"):
            raise ValueError("Config.websocket must be 'auto', 'wsproto' or 'websockets'")
