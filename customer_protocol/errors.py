"""The exception family of customer-protocol.

Two kinds of failure are kept apart, as h11 and wsproto do:

* :class:`ProtocolError` and its two subclasses describe misuse of the sans-IO core
  (:class:`LocalProtocolError`: the caller fed an input that is invalid in the current state)
  and malformed data from the peer (:class:`RemoteProtocolError`: the message is dropped and
  reported; nothing else is affected).
* :class:`CustomerSDKError` and its subclasses are what a caller of an SDK method sees when the
  call does not succeed. Each has a :attr:`~CustomerSDKError.code` from ``spec/sdk.md`` section 8
  and, where the server sent one, the server's error ``type``, ``message`` and ``data``.

Messages never contain tokens or other credentials.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "AuthenticationError",
    "CancelledError",
    "ConnectionLostError",
    "CustomerSDKError",
    "ErrorCode",
    "InvalidArgumentsError",
    "LocalProtocolError",
    "NotSupportedError",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestFailedError",
    "RequestTimeoutError",
    "SDKDestroyedError",
    "error_from_code",
]


class ErrorCode(enum.StrEnum):
    """The ``code`` of every error a caller can see (``spec/sdk.md`` section 8)."""

    INVALID_ARGS = "INVALID_ARGS"
    REQUEST_FAILED = "REQUEST_FAILED"
    AUTHENTICATION = "AUTHENTICATION"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    CONNECTION_LOST = "CONNECTION_LOST"
    SDK_DESTROYED = "SDK_DESTROYED"
    CANCELLED = "CANCELLED"
    NOT_SUPPORTED = "NOT_SUPPORTED"


class CustomerSDKError(Exception):
    """Base class of every error an SDK call can end with.

    :attr:`code` says what happened; :attr:`type`, :attr:`message` and :attr:`data` carry the
    server's error object when the server sent one (``wire.md`` section 6).
    """

    code: ErrorCode = ErrorCode.REQUEST_FAILED

    def __init__(
        self,
        message: str = "",
        *,
        type: str | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.data = data

    def __str__(self) -> str:
        text = self.message or self.code.value
        if self.type:
            return f"{text} [{self.code.value}/{self.type}]"
        return f"{text} [{self.code.value}]"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code.value!r}, type={self.type!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CustomerSDKError):
            return NotImplemented
        return (self.code, self.type, self.message, self.data) == (
            other.code,
            other.type,
            other.message,
            other.data,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.type, self.message))


class InvalidArgumentsError(CustomerSDKError, ValueError):
    """A method was called with arguments it cannot accept; nothing was sent."""

    code = ErrorCode.INVALID_ARGS


class RequestFailedError(CustomerSDKError):
    """The server answered the request with an error (``success: false``)."""

    code = ErrorCode.REQUEST_FAILED


class AuthenticationError(CustomerSDKError):
    """The server (or the accounts service) rejected the access token."""

    code = ErrorCode.AUTHENTICATION


class RequestTimeoutError(CustomerSDKError):
    """No answer arrived within the client timeout counted from when the request was written."""

    code = ErrorCode.REQUEST_TIMEOUT


class ConnectionLostError(CustomerSDKError):
    """The connection ended (or was ended by ``disconnect()``) before the request finished."""

    code = ErrorCode.CONNECTION_LOST


class SDKDestroyedError(CustomerSDKError):
    """The client was destroyed; it accepts no more calls."""

    code = ErrorCode.SDK_DESTROYED


class CancelledError(CustomerSDKError):
    """The caller cancelled the operation (a file upload)."""

    code = ErrorCode.CANCELLED


class NotSupportedError(CustomerSDKError):
    """The connection's dialect has no such method (``spec/v3.md`` section 10); nothing was
    sent."""

    code = ErrorCode.NOT_SUPPORTED


_BY_CODE: dict[ErrorCode, type[CustomerSDKError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentsError,
        RequestFailedError,
        AuthenticationError,
        RequestTimeoutError,
        ConnectionLostError,
        SDKDestroyedError,
        CancelledError,
        NotSupportedError,
    )
}


def error_from_code(
    code: ErrorCode | str, message: str = "", *, type: str | None = None, data: Any = None
) -> CustomerSDKError:
    """Build the exception class that belongs to ``code``."""
    return _BY_CODE[ErrorCode(code)](message, type=type, data=data)


class ProtocolError(Exception):
    """Base class of the sans-IO layer's own errors."""


class LocalProtocolError(ProtocolError):
    """The caller fed the state machine an input that is not valid in its current state.

    This is a bug in the driver, not something the peer did. The state machine is left
    unchanged.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent something malformed.

    The offending message is dropped; the connection and every other request go on.
    :attr:`raw` holds (a prefix of) the message for diagnostics.
    """

    def __init__(self, message: str, *, raw: bytes | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw[:200] if raw is not None else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteProtocolError):
            return NotImplemented
        return (self.message, self.raw) == (other.message, other.raw)

    def __hash__(self) -> int:
        return hash(self.message)
