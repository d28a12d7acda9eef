"""What the core asks its driver to do, and what it reports back.

:meth:`ClientProtocol.outputs() <customer_protocol.client.ClientProtocol.outputs>` returns one
ordered list of these values and of the SDK events of :mod:`customer_protocol.events`. A driver
handles them in order:

* :class:`OpenTransport` — open a new transport to the RTM endpoint, then call
  ``transport_opened(now)`` (or ``transport_closed(now)`` if it could not be opened);
* :class:`SwitchHost` — open later transports to another host (v3 ``misdirected_connection``);
* :class:`CloseTransport` — close the transport; feed nothing more from it (no messages, no
  ``transport_closed``);
* :class:`Send` — write one message; :class:`SendPing` — send a keepalive ping;
* :class:`FetchToken` — ask the token provider (a fresh token when ``fresh``) and call
  ``token_received`` or ``token_failed``;
* :class:`UploadFile` — upload a file over the Web API, then call ``upload_finished`` or
  ``upload_failed``;
* :class:`CallSucceeded` / :class:`CallFailed` — the call with that id ended (exactly once);
* :class:`MessageDropped` — informational: a late or unknown reply was dropped (log it);
* an SDK event — hand it to listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import CustomerSDKError
from .events import SDKEvent
from .tokens import Token

__all__ = [
    "CallFailed",
    "CallSucceeded",
    "CloseTransport",
    "FetchToken",
    "MessageDropped",
    "OpenTransport",
    "Output",
    "Send",
    "SendPing",
    "SwitchHost",
    "UploadFile",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenTransport:
    """Open a transport to the RTM endpoint; report with ``transport_opened``/``_closed``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchHost:
    """Open every later transport to ``host`` (the server sent the client to another region).

    Emitted before the :class:`CloseTransport` of the current link; the base URL's scheme, port
    and path stay as configured.
    """

    host: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseTransport:
    """Close the current transport with ``code``; feed nothing more from it."""

    code: int = 1000
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Write one message (compact UTF-8 JSON) to the transport."""

    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPing:
    """Send a keepalive ping (a WebSocket ping, or ``{"action": "ping"}`` where control frames
    are unavailable). Report the answer with ``pong_received``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchToken:
    """Obtain a token from the token provider; ``fresh`` means the last one was rejected."""

    fresh: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadFile:
    """Upload ``data`` as a file event of ``chat_id`` over the Web API (multipart).

    ``token`` is the cached access token when the core has a good one (else ask the provider).
    Report the end with ``upload_finished(call, payload)`` or ``upload_failed(call, error)``.

    ``action`` names the Web API action: ``send_file`` (v0.3: the upload sends the file
    event) or ``upload_file`` (v3: the upload only stores the file; the core then sends the
    file event with the returned ``url`` over RTM).
    """

    call: int
    chat_id: str
    custom_id: str
    data: bytes
    filename: str
    content_type: str
    token: Token | None
    action: str = "send_file"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSucceeded:
    """The call ``call`` ended with ``value``."""

    call: int
    value: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFailed:
    """The call ``call`` ended with ``error``."""

    call: int
    error: CustomerSDKError


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDropped:
    """A message was dropped without effect (for example a late reply to a timed-out request)."""

    action: str
    request_id: str | None
    reason: str


Output = (
    OpenTransport
    | CloseTransport
    | Send
    | SendPing
    | SwitchHost
    | FetchToken
    | UploadFile
    | CallSucceeded
    | CallFailed
    | MessageDropped
    | SDKEvent
)
