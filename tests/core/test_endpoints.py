"""customer_protocol.endpoints: every path of both dialects, built and routed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol.endpoints import (
    APIS,
    CODE_PATH,
    TOKEN_PATH,
    TOKEN_V2_PATH,
    V3_APIS,
    Address,
    AddressError,
    Endpoint,
    Route,
    action_base,
    action_path,
    address_query,
    api_base,
    check_api,
    is_action_name,
    is_v3_version,
    parse_address,
    route,
    rtm_path,
)


def test_paths_of_each_dialect() -> None:
    assert APIS == ("0.3", "3.4", "3.5", "3.6")
    assert rtm_path() == "/customer/v0.3/rtm/ws"
    assert action_path("send_event") == "/customer/v0.3/action/send_event"
    for api in V3_APIS:
        assert api_base(api) == f"/v{api}/customer"
        assert rtm_path(api) == f"/v{api}/customer/rtm/ws"
        assert action_path("upload_file", api) == f"/v{api}/customer/action/upload_file"
        assert action_base(api) == f"/v{api}/customer/action/"
    assert (CODE_PATH, TOKEN_PATH, TOKEN_V2_PATH) == (
        "/customer/",
        "/customer/token",
        "/v2/customer/token",
    )


@pytest.mark.parametrize("api", ["3.7", "0.4", "", 3.6, None])
def test_unknown_api_is_a_value_error(api: object) -> None:
    with pytest.raises(ValueError, match="api must be one of"):
        check_api(api)
    with pytest.raises(ValueError):
        rtm_path(api)  # type: ignore[arg-type]


@pytest.mark.parametrize("action", ["", "Send", "a/b", "a?b", "1x", "x" * 65, None])
def test_bad_action_names(action: object) -> None:
    assert not is_action_name(action)
    with pytest.raises(ValueError, match="invalid action name"):
        action_path(action, "3.6")  # type: ignore[arg-type]


def test_address_query() -> None:
    assert address_query(license_id=12) == "license_id=12"
    assert address_query("3.6", organization_id="a b&c") == "organization_id=a+b%26c"
    for kwargs in (
        {"license_id": 0},
        {"license_id": True},
        {},
        {"license_id": 1, "organization_id": "o"},
    ):
        with pytest.raises(ValueError):
            address_query("0.3", **kwargs)  # type: ignore[arg-type]
    for kwargs in ({}, {"organization_id": ""}, {"organization_id": "o", "license_id": 1}):
        with pytest.raises(ValueError):
            address_query("3.5", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/customer/v0.3/rtm/ws", Route(Endpoint.RTM, "0.3")),
        ("/v3.4/customer/rtm/ws", Route(Endpoint.RTM, "3.4")),
        ("/v3.6/customer/rtm/ws", Route(Endpoint.RTM, "3.6")),
        ("/customer/v0.3/action/close_thread", Route(Endpoint.WEB_API, "0.3", "close_thread")),
        ("/v3.5/customer/action/list_chats", Route(Endpoint.WEB_API, "3.5", "list_chats")),
        ("/customer/", Route(Endpoint.CUSTOMER_CODE)),
        ("/customer/token", Route(Endpoint.CUSTOMER_TOKEN)),
        ("/v2/customer/token", Route(Endpoint.CUSTOMER_TOKEN_V2)),
        ("/v3.7/customer/rtm/ws", None),
        ("/v3.3/customer/action/list_chats", None),
        ("/v3.6/customer/rtm/wss", None),
        ("/v3.6/customer/action/", None),
        ("/v3.6/customer/action/a/b", None),
        ("/v3.6/agent/rtm/ws", None),
        ("/customer/v0.3/other", None),
        ("/", None),
        ("", None),
    ],
)
def test_route(path: str, expected: Route | None) -> None:
    assert route(path) == expected
    assert route("/base" + path, prefix="/base") == expected
    if path:
        assert route(path, prefix="/base") is None


def test_parse_address() -> None:
    assert parse_address("0.3", "license_id=7&bh=zz") == Address(api="0.3", license_id=7)
    v3 = parse_address("3.6", "organization_id=abc-123&x=1")
    assert v3 == Address(api="3.6", organization_id="abc-123")
    assert v3.is_v3 and not Address(api="0.3", license_id=1).is_v3
    assert parse_address("3.4", "organization_id=a+b%26c").organization_id == "a b&c"
    # Liberal: a v3 client may name the license instead (the organization wins when both).
    assert parse_address("3.6", "license_id=5") == Address(api="3.6", license_id=5)
    both = parse_address("3.6", "license_id=5&organization_id=o")
    assert both == Address(api="3.6", organization_id="o")


@pytest.mark.parametrize(
    ("api", "query", "message"),
    [
        ("0.3", "", "missing license_id"),
        ("0.3", "license_id=1&license_id=2", "once"),
        ("0.3", "license_id=0", "positive"),
        ("0.3", "license_id=-1", "positive"),
        ("0.3", "license_id=x", "positive"),
        ("0.3", "license_id=" + "9" * 20, "positive"),
        ("0.3", "organization_id=o", "missing license_id"),
        ("3.6", "", "missing organization_id"),
        ("3.6", "license_id=0", "positive"),
        ("3.6", "license_id=1&license_id=1", "once"),
        ("3.6", "organization_id=", "empty"),
        ("3.6", "organization_id=%20", "empty"),
        ("3.5", "organization_id=a&organization_id=b", "once"),
    ],
)
def test_parse_address_errors(api: str, query: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        parse_address(api, query)


def test_other_v3_versions_route_only_when_asked() -> None:
    assert route("/v3.7/customer/rtm/ws") is None
    assert route("/v3.7/customer/rtm/ws", other_v3=True) == Route(Endpoint.RTM, "3.7")
    assert route("/v3.10/customer/action/x", other_v3=True) == Route(Endpoint.WEB_API, "3.10", "x")
    assert route("/v2.1/customer/rtm/ws", other_v3=True) is None
    assert route("/v3.6/customer/rtm/ws", other_v3=True) == Route(Endpoint.RTM, "3.6")
    assert is_v3_version("3.7") and not is_v3_version("0.3") and not is_v3_version(3.7)
    assert parse_address("3.7", "organization_id=o") == Address(api="3.7", organization_id="o")
    with pytest.raises(ValueError, match="api must be one of"):
        parse_address("2.0", "organization_id=o")


@given(
    api=st.sampled_from(APIS),
    license_id=st.integers(min_value=1, max_value=2**63 - 1),
    organization_id=st.text(min_size=1).filter(lambda text: text.strip() != ""),
    action=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
)
def test_what_a_client_builds_a_server_reads_back(
    api: str, license_id: int, organization_id: str, action: str
) -> None:
    ids = {"license_id": license_id} if api == "0.3" else {"organization_id": organization_id}
    query = address_query(api, **ids)  # type: ignore[arg-type]
    assert route(rtm_path(api)) == Route(Endpoint.RTM, api)
    assert route(action_path(action, api)) == Route(Endpoint.WEB_API, api, action)
    assert parse_address(api, query) == Address(api=api, **ids)  # type: ignore[arg-type]
