"""sdk.md section 9: tokens are cached until 60 s before expiry and never shown."""

from __future__ import annotations

import dataclasses

import pytest

from customer_protocol import (
    CallFailed,
    ClientProtocol,
    Config,
    FetchToken,
    OpenTransport,
    Token,
    UploadFile,
)
from customer_protocol.tokens import TokenCache

from .harness import TOKEN, Harness, of

SECRET = TOKEN.access_token


def test_login_token_is_token_type_space_access_token() -> None:
    assert Token(access_token="abc").authorization == "Bearer abc"
    assert Token(access_token="abc", token_type="MAC").authorization == "MAC abc"


@pytest.mark.parametrize("kwargs", [{"access_token": ""}, {"access_token": "x", "token_type": ""}])
def test_a_token_must_be_non_empty(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Token(**kwargs)  # type: ignore[arg-type]


def test_cache_until_60_seconds_before_expiry() -> None:
    cache = TokenCache()
    assert cache.get(0) is None
    cache.store(Token(access_token="a", expires_in=100), now=10)
    assert cache.get(49.999) is not None
    assert cache.get(50) is None
    cache.store(Token(access_token="forever"), now=0)
    assert cache.get(10**9) is not None
    cache.invalidate()
    assert cache.get(0) is None


def test_reconnect_uses_the_cached_token_until_60_seconds_before_expiry() -> None:
    h = Harness()
    h.client.connect(h.now)
    h.drain()
    h.client.token_received(dataclasses.replace(TOKEN, expires_in=200), h.now)
    h.drain()
    h.open_and_login()
    h.advance(100)
    h.drop()
    out = h.advance_to(h.client.next_deadline() or 0)
    assert of(out, FetchToken) == [] and of(out, OpenTransport)  # 100 s + backoff < 140 s
    h.open_and_login()
    h.advance_to(140)
    h.drop()
    out = h.advance_to(h.client.next_deadline() or 0)
    assert of(out, FetchToken) == [FetchToken(fresh=False)]


def test_the_refresh_margin_is_configuration() -> None:
    h = Harness(Config(token_refresh_margin=0))
    h.client.connect(h.now)
    h.drain()
    h.client.token_received(dataclasses.replace(TOKEN, expires_in=50), h.now)
    h.drain()
    h.open_and_login()
    h.advance(45)
    h.drop()
    assert of(h.advance_to(h.client.next_deadline() or 0), FetchToken) == []


def test_a_rejected_token_is_dropped_from_the_cache() -> None:
    h = Harness()
    h.connect()
    h.drop()
    h.until_open()
    h.client.transport_opened(h.now)
    out = h.error(h.one(h.drain(), "login"), "authentication")
    assert of(out, FetchToken) == [FetchToken(fresh=True)]
    h.advance(20)  # the provider never answers: the attempt times out
    out = h.advance_to(h.client.next_deadline() or 0)
    assert of(out, FetchToken) == [FetchToken(fresh=False)]  # the cache was emptied


def test_tokens_never_appear_in_reprs() -> None:
    token = Token(access_token=SECRET, customer_id="c")
    assert SECRET not in repr(token) and SECRET not in str(token)
    cache = TokenCache()
    cache.store(token, 0)
    assert SECRET not in repr(cache)
    h = Harness()
    h.connect()
    h.client.send_file("c1", b"x", h.now)
    upload = of(h.drain(), UploadFile)[0]
    assert upload.token is not None
    assert SECRET not in repr(upload)
    assert SECRET not in repr(h.client)


def test_tokens_never_appear_in_error_messages_or_events() -> None:
    h = Harness()
    h.client.connect(h.now)
    call = h.client.get_chats_summary(h.now)
    h.client.token_received(TOKEN, h.now)
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    h.error(login, "authentication", "expired")
    h.client.token_received(TOKEN, h.now)
    h.error(h.one(h.drain(), "login"), "authentication", "expired")
    failures = of(h.log, CallFailed)
    assert [f.call for f in failures] == [call]
    for out in h.log:
        if type(out).__name__ == "Send":
            continue  # the login request itself carries the token on the wire
        assert SECRET not in repr(out) and SECRET not in str(out)


def test_client_repr_is_short_and_safe() -> None:
    client = ClientProtocol(license_id=3)
    assert repr(client) == (
        "ClientProtocol(license_id=3, state='disconnected', phase='stopped', pending_calls=0)"
    )
