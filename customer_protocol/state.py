"""States and transitions of the client connection lifecycle, in one place, as data.

Everything that moves the lifecycle goes through :func:`transition`. The public
:class:`ClientState` (``spec/sdk.md`` section 1) is derived from the finer :class:`Phase`. A
``(phase, input)`` pair missing from :data:`TRANSITIONS` is a driver bug and raises
:class:`~customer_protocol.errors.LocalProtocolError`, leaving the phase unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from .errors import LocalProtocolError

__all__ = ["TRANSITIONS", "ClientState", "Input", "Phase", "public_state", "transition"]


class ClientState(enum.StrEnum):
    """The client's state as users see it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    DESTROYED = "destroyed"


class Phase(enum.StrEnum):
    """Where the link is: which input the core is waiting for."""

    STOPPED = "stopped"
    """Not connected and not trying (before ``connect()``, after ``disconnect()`` or a terminal
    failure)."""
    BACKOFF = "backoff"
    """Waiting for the reconnect deadline."""
    TOKEN = "token"
    """Waiting for a token (``FetchToken`` emitted); no transport."""
    OPENING = "opening"
    """Waiting for the transport to open (``OpenTransport`` emitted)."""
    LOGIN = "login"
    """``login`` sent; waiting for its response."""
    REAUTH = "reauth"
    """``login`` was rejected for the token: a fresh token is being fetched; transport open."""
    SUMMARY = "summary"
    """``get_chats_summary`` sent after login; waiting for its response."""
    READY = "ready"
    """Logged in; requests flow."""
    DESTROYED = "destroyed"
    """``destroy()`` was called; nothing more happens."""


class Input(enum.StrEnum):
    """What can happen to the lifecycle."""

    CONNECT = "connect"
    DISCONNECT = "disconnect"
    DESTROY = "destroy"
    TOKEN_RECEIVED = "token_received"
    TOKEN_FAILED = "token_failed"
    BACKOFF_ELAPSED = "backoff_elapsed"
    TRANSPORT_OPENED = "transport_opened"
    TRANSPORT_CLOSED = "transport_closed"
    MESSAGE = "message"
    PONG = "pong"
    LOGIN_OK = "login_ok"
    LOGIN_REJECTED = "login_rejected"
    """The token was rejected for the first time: fetch a fresh one and log in again."""
    SUMMARY_OK = "summary_ok"
    LINK_FAILED = "link_failed"
    """The core gives up on the link (timeout, failed login, dead keepalive, kicked): close it
    and reconnect with backoff."""
    TERMINAL = "terminal"
    """A terminal failure: close, do not reconnect."""


P, I = Phase, Input  # noqa: E741 - short names keep the table readable

_ANY_LIVE: Final = {I.CONNECT: None, I.DISCONNECT: P.STOPPED, I.DESTROY: P.DESTROYED}
"""Inputs valid in every phase but DESTROYED (``None``: stay where you are)."""

_WITH_TRANSPORT: Final = {
    I.MESSAGE: None,
    I.PONG: None,
    I.TRANSPORT_CLOSED: P.BACKOFF,
    I.LINK_FAILED: P.BACKOFF,
    I.TERMINAL: P.STOPPED,
    # A token that arrives while the link is open is a late answer; it is ignored.
    I.TOKEN_RECEIVED: None,
    I.TOKEN_FAILED: None,
}
"""Inputs valid whenever a transport is open."""

_STALE_TOKEN: Final = {I.TOKEN_RECEIVED: None, I.TOKEN_FAILED: None}

_TABLE: Final[dict[Phase, dict[Input, Phase | None]]] = {
    P.STOPPED: {**_ANY_LIVE, I.CONNECT: P.TOKEN, **_STALE_TOKEN},
    P.BACKOFF: {**_ANY_LIVE, I.BACKOFF_ELAPSED: P.TOKEN, **_STALE_TOKEN},
    P.TOKEN: {
        **_ANY_LIVE,
        I.TOKEN_RECEIVED: P.OPENING,
        I.TOKEN_FAILED: P.BACKOFF,
        I.LINK_FAILED: P.BACKOFF,
        I.TERMINAL: P.STOPPED,
    },
    P.OPENING: {
        **_ANY_LIVE,
        I.TRANSPORT_OPENED: P.LOGIN,
        I.TRANSPORT_CLOSED: P.BACKOFF,
        I.LINK_FAILED: P.BACKOFF,
        **_STALE_TOKEN,
    },
    P.LOGIN: {**_ANY_LIVE, **_WITH_TRANSPORT, I.LOGIN_OK: P.SUMMARY, I.LOGIN_REJECTED: P.REAUTH},
    P.REAUTH: {
        **_ANY_LIVE,
        **_WITH_TRANSPORT,
        I.TOKEN_RECEIVED: P.LOGIN,
        I.TOKEN_FAILED: P.BACKOFF,
    },
    P.SUMMARY: {**_ANY_LIVE, **_WITH_TRANSPORT, I.SUMMARY_OK: P.READY},
    P.READY: {**_ANY_LIVE, **_WITH_TRANSPORT},
    P.DESTROYED: {I.DESTROY: None},
}

TRANSITIONS: Final[Mapping[tuple[Phase, Input], Phase]] = {
    (phase, event): (phase if target is None else target)
    for phase, row in _TABLE.items()
    for event, target in row.items()
}
"""``(phase, input) -> next phase``; a missing pair is invalid."""

_TRANSPORT_OPEN: Final = frozenset({P.LOGIN, P.REAUTH, P.SUMMARY, P.READY})


def transition(phase: Phase, event: Input) -> Phase:
    """The phase after ``event`` in ``phase``; raises ``LocalProtocolError`` if invalid."""
    try:
        return TRANSITIONS[phase, event]
    except KeyError:
        raise LocalProtocolError(f"{event.value!r} is not valid in phase {phase.value!r}") from None


def transport_open(phase: Phase) -> bool:
    """Whether a transport is open (or being opened, for ``OPENING``) in ``phase``."""
    return phase in _TRANSPORT_OPEN


def public_state(phase: Phase, *, has_connected: bool) -> ClientState:
    """The :class:`ClientState` users see for ``phase``."""
    if phase is P.READY:
        return ClientState.CONNECTED
    if phase is P.STOPPED:
        return ClientState.DISCONNECTED
    if phase is P.DESTROYED:
        return ClientState.DESTROYED
    return ClientState.RECONNECTING if has_connected else ClientState.CONNECTING
