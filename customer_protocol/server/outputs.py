"""What the server core asks its driver to do: the outputs of every entry point.

Every entry point of :class:`~customer_protocol.server.server.ServerCore` returns a list of
outputs **in the order the driver must act on them**. The driver writes each :class:`Send` to
its connection, closes the connection of each :class:`Close` (after writing everything listed
before it), and keeps the bytes of each :class:`StoreFile` so that ``GET`` on the file's URL
serves them. Nothing here is ever re-ordered by the core after it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "Close",
    "ConnId",
    "HttpReply",
    "Output",
    "Send",
    "StoreFile",
    "WebResult",
]

ConnId: TypeAlias = int | str
"""The driver's name for one RTM connection (any hashable int or str it chooses)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Write ``data`` (one JSON document, a WebSocket text frame) to connection ``conn_id``."""

    conn_id: ConnId
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Close:
    """Close connection ``conn_id`` with WebSocket close ``code`` and ``reason``.

    The core has already forgotten the connection: do not call
    :meth:`~customer_protocol.server.server.ServerCore.close_connection` for it (doing so is
    harmless and returns nothing).
    """

    conn_id: ConnId
    code: int
    reason: str
    abort: bool = False
    """``True``: drop the TCP connection without a closing handshake (an injected fault)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreFile:
    """Keep these bytes and serve them at ``url`` (``send_file`` over the Web API).

    ``file_id`` is unique; ``url`` is ``ServerConfig.files_base_url + "/" + file_id + "/" +
    quoted name``.
    """

    file_id: str
    name: str
    content_type: str
    url: str
    data: bytes = field(repr=False)


Output: TypeAlias = Send | Close | StoreFile
"""The closed union of outputs; ``match`` on it exhaustively."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpReply:
    """An HTTP answer: ``status``, the JSON ``body`` (encode it with ``codec.dumps``) and extra
    response ``headers`` (e.g. ``Set-Cookie`` of the v3 cookie grant)."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WebResult:
    """The answer of a Web API or accounts call.

    Act on :attr:`outputs` (pushes to the customer's RTM connections, files to keep) first, then
    answer the HTTP request with :attr:`reply`.
    """

    reply: HttpReply
    outputs: tuple[Output, ...] = ()
