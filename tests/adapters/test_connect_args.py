"""``connect()``'s dialect arguments: ``api`` with ``license_id`` (v0.3) or ``organization_id``.

Until the v3 core lands, ``api="3.5"``/``"3.6"`` is refused at ``connect()`` with a clear
error; wrong combinations fail with ``INVALID_ARGS`` before anything is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters._common import ApiTarget, check_target
from adapters.asyncio import connect as connect_async
from adapters.sync import connect as connect_sync
from adapters.trio import connect as connect_trio
from adapters.webapi import NotSupportedError, WebAPIClient
from customer_protocol import InvalidArgumentsError


def _web(**options: Any) -> WebAPIClient:
    return WebAPIClient(url="http://127.0.0.1:9", **options)


MAKERS: list[Callable[..., Any]] = [connect_async, connect_trio, connect_sync, _web]


def test_api_defaults_to_v03_with_a_license() -> None:
    client = connect_async(license_id=7, token="t")
    assert client.target == ApiTarget("0.3", 7, None)
    assert client.license_id == 7
    assert client.core.license_id == 7
    assert _web(license_id=7, token="t").target == ApiTarget("0.3", 7, None)
    assert check_target("0.3", 7, None) == ApiTarget("0.3", 7, None)


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "api '0.3' needs 'license_id'"),
        ({"license_id": "7"}, "api '0.3' needs 'license_id'"),
        ({"license_id": True}, "api '0.3' needs 'license_id'"),
        ({"license_id": 7, "organization_id": "org"}, "'organization_id' is for api"),
        ({"api": "3.6"}, "api '3.6' needs 'organization_id'"),
        ({"api": "3.5", "organization_id": ""}, "api '3.5' needs 'organization_id'"),
        ({"api": "3.6", "organization_id": 5}, "api '3.6' needs 'organization_id'"),
        ({"api": "3.6", "organization_id": "org", "license_id": 7}, "'license_id' is for api"),
        ({"api": "3.4", "organization_id": "org"}, "'api' must be one of '0.3', '3.5', '3.6'"),
        ({"api": 0.3, "license_id": 7}, "'api' must be one of"),
    ],
)
def test_wrong_dialect_arguments_fail_at_connect(
    make: Callable[..., Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentsError, match=message) as info:
        make(token="t", **options)
    assert not isinstance(info.value, NotSupportedError)


@pytest.mark.parametrize("make", [connect_async, connect_trio, connect_sync])
@pytest.mark.parametrize("api", ["3.5", "3.6"])
def test_v3_reaches_the_core(make: Callable[..., Any], api: str) -> None:
    client = make(
        api=api, organization_id="a9d4d2b1-org", token="t", url="wss://api.livechatinc.com"
    )
    assert client.target == ApiTarget(api, None, "a9d4d2b1-org")
    assert (client.core.api, client.core.organization_id) == (api, "a9d4d2b1-org")
    assert client.core.host == "api.livechatinc.com"
    if make is connect_sync:
        client.__exit__(None, None, None)  # it owns a wake-up socket pair from the start


@pytest.mark.parametrize("api", ["3.5", "3.6"])
def test_the_web_api_client_speaks_v3(api: str) -> None:
    client = _web(api=api, organization_id="a9d4d2b1-org", token="t")
    assert client.target == ApiTarget(api, None, "a9d4d2b1-org")
    assert client._core is not None and client._core.api == api


def test_switch_host_moves_later_connections_and_web_calls_to_the_region() -> None:
    from customer_protocol import SwitchHost

    client = connect_async(
        api="3.6", organization_id="org", token="t", url="wss://api.livechatinc.com:443/base"
    )
    client._apply(SwitchHost(host="api-fra.livechatinc.com"))
    assert (client.url.host, client.url.port, client.url.prefix, client.url.tls) == (
        "api-fra.livechatinc.com",
        443,
        "/base",
        True,
    )
    assert client._web.host == "api-fra.livechatinc.com" and client._web.scheme == "https"
    assert client._new_transport().target.startswith("/base/v3.6/customer/rtm/ws?")


def test_the_drivers_route_every_v3_event_as_an_event_and_reject_unknown_outputs() -> None:
    from typing import Any, cast

    from customer_protocol import V3_EVENT_NAMES, GreetingCanceled, SDKEvent

    client = connect_async(
        api="3.6", organization_id="org", token="t", url="wss://api.livechatinc.com:443/base"
    )
    got: list[Any] = []
    client.on("greeting_canceled", got.append)
    canceled = GreetingCanceled(unique_id="g1")
    assert client._apply(canceled) is None
    assert got == [canceled]
    # The union is closed: every v3 event class is one of SDKEvent's.
    assert {cls.name for cls in SDKEvent.__args__} >= V3_EVENT_NAMES
    with pytest.raises(AssertionError):
        client._apply(cast(Any, object()))  # not an output: never taken for an event
