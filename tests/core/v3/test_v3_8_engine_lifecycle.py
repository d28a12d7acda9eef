"""v3.md section 8: login, list_chats for connected, the reason and login-error tables."""

from __future__ import annotations

import pytest

from customer_protocol import (
    ClientProtocol,
    ClientState,
    CloseTransport,
    FetchToken,
    InvalidArgumentsError,
    OpenTransport,
    SwitchHost,
)
from customer_protocol.dialects.v3_pushes import pushes_for
from tests.core.harness import TOKEN, error, events, names, of
from tests.core.v3 import samples as s
from tests.core.v3.harness3 import ORG, V3Harness, chats_page, login_payload


def ready(**kwargs: object) -> V3Harness:
    h = V3Harness(**kwargs)  # type: ignore[arg-type]
    h.connect()
    return h


def login_of(h: V3Harness) -> dict[str, object]:
    h.client.connect(h.now) if h.client.phase.value == "stopped" else None
    h.drain()
    if h.client.phase.value == "token":
        h.client.token_received(TOKEN, h.now)
        h.drain()
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    assert login.payload is not None
    return login.payload


def test_v3_addresses_an_organization_id_and_v03_a_license_id() -> None:
    with pytest.raises(InvalidArgumentsError, match="organization_id"):
        ClientProtocol(api="3.6")
    with pytest.raises(InvalidArgumentsError, match="license_id"):
        ClientProtocol(api="0.3", organization_id=ORG)
    with pytest.raises(InvalidArgumentsError, match="API version"):
        ClientProtocol(api="2.0", organization_id=ORG)
    client = ClientProtocol(api="3.5", organization_id=ORG)
    assert (client.api, client.organization_id, client.license_id) == ("3.5", ORG, None)


def test_the_login_payload() -> None:
    h = V3Harness()
    payload = login_of(h)
    assert payload["token"] == "Bearer secret-access-token"
    assert payload["customer_side_storage"] == {}
    assert payload["application"]["name"] == "customer-protocol"  # type: ignore[index]
    assert payload["pushes"] == {"3.6": sorted(pushes_for("3.6"))}
    assert "customer" not in payload  # nothing known yet


def test_login_replays_the_last_customer_side_storage() -> None:
    h = ready()
    h.push("customer_side_storage_updated", {"customer_side_storage": {"visits": "1"}})
    out = h.push("customer_side_storage_updated", {"customer_side_storage": {"visits": "2"}})
    assert names(out) == ["customer_side_storage_updated"]
    h.drop()
    h.until_open()
    assert login_of(h)["customer_side_storage"] == {"visits": "2"}


def test_login_sends_what_the_client_knows_of_the_customer() -> None:
    h = V3Harness(customer={"name": "Ann", "email": "a@example.test", "fields": {"plan": "pro"}})
    payload = login_of(h)
    assert payload["customer"] == {
        "name": "Ann",
        "email": "a@example.test",
        "session_fields": [{"plan": "pro"}],
    }


def test_connected_carries_list_chats_in_the_seed_shape_and_customer_id_comes_first() -> None:
    h = V3Harness()
    out = h.connect(chats_page(s.chat_summary("CH1"), s.chat_summary("CH2")))
    assert names(out) == ["user_data"] * 4 + ["customer_id", "connected"]
    connected = events(out)[-1]
    assert connected.total_chats == 2
    assert [c.id for c in connected.chats_summary] == ["CH1", "CH2"]
    assert connected.chats_summary[0].order == s.T0_MS
    assert events(out)[-2].id == "cust"  # login's customer.id


def test_a_second_login_emits_connection_restored() -> None:
    h = ready()
    h.drop()
    out = h.until_open() + h.open_and_login()
    assert names(out)[-1] == "connection_restored"


TERMINAL = [
    "license_not_found",
    "license_expired",
    "unsupported_version",
    "too_many_connections",
    "logged_out_remotely",
    "customer_banned",
    "inactivity_timeout",
    "identity_mismatch",
    "users_limit_reached",
]
RECONNECT = [
    "access_token_revoked",
    "access_token_expired",
    "connection_evicted",
    "connection_timeout",
    "internal_error",
    "service_temporarily_unavailable",
    "too_many_unauthorized_connections",
    "a_reason_from_the_future",
]


@pytest.mark.parametrize("reason", TERMINAL)
def test_terminal_reasons(reason: str) -> None:
    h = ready()
    call, _ = h.call("get_customer")
    out = h.push("customer_disconnected", {"reason": reason})
    assert names(out) == ["disconnected", "connection_lost"]
    assert of(out, CloseTransport)
    assert error(out, call).code.value == "CONNECTION_LOST"
    assert h.client.state is ClientState.DISCONNECTED
    assert h.client.next_deadline() is None


@pytest.mark.parametrize("reason", RECONNECT)
def test_reconnect_reasons_reconnect_after_100_ms(reason: str) -> None:
    h = ready()
    out = h.push("customer_disconnected", {"reason": reason})
    assert names(out) == ["disconnected", "connection_lost"]
    assert h.client.next_deadline() == pytest.approx(h.now + 0.1)
    out = h.advance(0.1)
    assert of(out, FetchToken) or of(out, OpenTransport)


@pytest.mark.parametrize("reason", ["access_token_expired", "access_token_revoked"])
def test_an_expired_token_is_replaced_before_the_next_login(reason: str) -> None:
    h = ready()
    h.push("customer_disconnected", {"reason": reason})
    out = h.advance(0.1)
    assert of(out, FetchToken) == [FetchToken(fresh=True)]


def test_connection_timeout_reuses_the_cached_token() -> None:
    h = ready()
    h.push("customer_disconnected", {"reason": "connection_timeout"})
    out = h.advance(0.1)
    assert not of(out, FetchToken) and of(out, OpenTransport)


def test_customer_temporarily_blocked_with_a_timeout_reconnects_after_it() -> None:
    h = ready()
    out = h.push(
        "customer_disconnected", {"reason": "customer_temporarily_blocked", "data": {"timeout": 30}}
    )
    assert names(out) == ["disconnected", "connection_lost"]
    assert h.client.next_deadline() == pytest.approx(h.now + 30)


def test_customer_temporarily_blocked_without_a_timeout_is_terminal() -> None:
    h = ready()
    h.push("customer_disconnected", {"reason": "customer_temporarily_blocked"})
    assert h.client.state is ClientState.DISCONNECTED


def test_misdirected_connection_moves_a_livechatinc_client_to_its_region() -> None:
    h = ready()
    out = h.push(
        "customer_disconnected", {"reason": "misdirected_connection", "data": {"region": "fra"}}
    )
    assert of(out, SwitchHost) == [SwitchHost(host="api-fra.livechatinc.com")]
    assert out.index(of(out, SwitchHost)[0]) < out.index(of(out, CloseTransport)[0])
    assert h.client.host == "api-fra.livechatinc.com"
    assert h.client.state is ClientState.RECONNECTING


@pytest.mark.parametrize(
    ("host", "data"),
    [("127.0.0.1", {"region": "fra"}), ("api.livechatinc.com", None), (None, {"region": "fra"})],
)
def test_misdirected_connection_elsewhere_is_terminal(host: str | None, data: object) -> None:
    h = ready(host=host)
    out = h.push("customer_disconnected", {"reason": "misdirected_connection", "data": data})
    assert not of(out, SwitchHost)
    assert h.client.state is ClientState.DISCONNECTED


@pytest.mark.parametrize(
    "kind",
    [
        "customer_banned",
        "license_expired",
        "unsupported_version",
        "wrong_product_version",
        "users_limit_reached",
    ],
)
def test_terminal_login_errors(kind: str) -> None:
    h = V3Harness()
    login_of(h)
    login = h.sent(h.log)[-1]
    out = h.error(login, kind)
    assert names(out) == ["disconnected"]
    assert h.client.state is ClientState.DISCONNECTED


def test_an_authentication_error_at_login_fetches_a_fresh_token_once() -> None:
    h = V3Harness()
    login_of(h)
    out = h.error(h.sent(h.log)[-1], "authentication")
    assert of(out, FetchToken) == [FetchToken(fresh=True)]


@pytest.mark.parametrize("kind", ["internal", "service_unavailable", "too_many_requests"])
def test_other_login_errors_reconnect_with_backoff(kind: str) -> None:
    h = V3Harness()
    login_of(h)
    out = h.error(h.sent(h.log)[-1], kind)
    assert of(out, CloseTransport) and names(out) == []
    assert h.client.state is ClientState.CONNECTING
    assert h.client.next_deadline() is not None


def test_list_chats_failing_after_login_reconnects() -> None:
    h = V3Harness()
    login_of(h)
    out = h.respond(h.sent(h.log)[-1], login_payload())
    out = h.error(h.one(out, "list_chats"), "internal")
    assert of(out, CloseTransport)
    assert h.client.state is ClientState.CONNECTING


def test_the_repr_names_the_dialect_and_never_the_token() -> None:
    h = ready()
    text = repr(h.client)
    assert text.startswith(f"ClientProtocol(api='3.6', organization_id='{ORG}', state='connected'")
    assert "secret" not in text


def test_the_monitored_page_is_the_login_customer_page_and_referrer() -> None:
    page = {"url": "https://shop.test/p", "title": "Shop", "referrer": "https://search.test/"}
    h = V3Harness(customer={"name": "Ann", "monitoring": {"page": page}})
    payload = login_of(h)
    assert payload["customer_page"] == {"url": "https://shop.test/p", "title": "Shop"}
    assert payload["referrer"] == "https://search.test/"
    assert payload["customer"] == {"name": "Ann"}
