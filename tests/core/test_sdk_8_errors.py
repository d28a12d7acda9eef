"""sdk.md section 8: one exception family with a code per case, and the sans-IO errors."""

from __future__ import annotations

import pytest

from customer_protocol import (
    AuthenticationError,
    CancelledError,
    ConnectionLostError,
    CustomerSDKError,
    ErrorCode,
    InvalidArgumentsError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RequestFailedError,
    RequestTimeoutError,
    SDKDestroyedError,
)
from customer_protocol.errors import error_from_code

FAMILY = [
    (InvalidArgumentsError, ErrorCode.INVALID_ARGS),
    (RequestFailedError, ErrorCode.REQUEST_FAILED),
    (AuthenticationError, ErrorCode.AUTHENTICATION),
    (RequestTimeoutError, ErrorCode.REQUEST_TIMEOUT),
    (ConnectionLostError, ErrorCode.CONNECTION_LOST),
    (SDKDestroyedError, ErrorCode.SDK_DESTROYED),
    (CancelledError, ErrorCode.CANCELLED),
]


@pytest.mark.parametrize(("cls", "code"), FAMILY)
def test_every_error_is_one_family_with_its_code(
    cls: type[CustomerSDKError], code: ErrorCode
) -> None:
    exc = cls("it broke", type="validation", data={"field": "x"})
    assert isinstance(exc, CustomerSDKError)
    assert exc.code is code
    assert (exc.type, exc.message, exc.data) == ("validation", "it broke", {"field": "x"})
    assert str(exc) == f"it broke [{code.value}/validation]"
    assert (
        repr(exc) == f"{cls.__name__}(code={code.value!r}, type='validation', message='it broke')"
    )
    built = error_from_code(code.value, "it broke", type="validation", data={"field": "x"})
    assert type(built) is cls and built == exc and hash(built) == hash(exc)


def test_the_codes_are_exactly_the_spec_list() -> None:
    assert {c.value for c in ErrorCode} == {
        "INVALID_ARGS",
        "REQUEST_FAILED",
        "AUTHENTICATION",
        "REQUEST_TIMEOUT",
        "CONNECTION_LOST",
        "SDK_DESTROYED",
        "CANCELLED",
        "NOT_SUPPORTED",  # v3.md section 10
    }


def test_errors_without_a_server_error_have_no_type_and_show_the_code() -> None:
    exc = ConnectionLostError()
    assert exc.type is None and exc.data is None
    assert str(exc) == "CONNECTION_LOST [CONNECTION_LOST]"
    assert (exc == 5) is False
    assert exc != RequestTimeoutError()


def test_invalid_arguments_is_also_a_value_error() -> None:
    assert issubclass(InvalidArgumentsError, ValueError)


def test_local_and_remote_protocol_errors_are_apart_from_the_sdk_family() -> None:
    assert issubclass(LocalProtocolError, ProtocolError)
    assert issubclass(RemoteProtocolError, ProtocolError)
    assert not issubclass(ProtocolError, CustomerSDKError)
    remote = RemoteProtocolError("bad", raw=b"x" * 500)
    assert remote.raw == b"x" * 200
    assert remote == RemoteProtocolError("bad", raw=b"x" * 300)
    assert (remote == 1) is False
    assert hash(remote) == hash(RemoteProtocolError("bad"))
    assert RemoteProtocolError("bad").raw is None


def test_unknown_code_is_rejected() -> None:
    with pytest.raises(ValueError):
        error_from_code("NOPE")
