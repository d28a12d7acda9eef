"""The accounts service of ``wire.md`` section 7: customer codes and access tokens.

Secrets (customer ids and keys, codes, access tokens) are drawn from an injected source, a
callable returning a fresh string (the I/O layer passes e.g. ``lambda: secrets.token_hex(16)``;
tests pass :class:`SequentialSource`). A draw that collides with an existing value is drawn
again. Times are wall-clock seconds; a token is valid while ``wall < expires_at``.

HTTP answers: success ``200`` with the bare JSON object of ``wire.md``; failure ``400``
(``validation``: a missing or wrong form field) or ``401`` (``authentication``: wrong app access
token, client secret or customer key; unknown or expired code) with
``{"error": {"type", "message"}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from customer_protocol.codec import loads
from customer_protocol.errors import RemoteProtocolError

from .config import ServerConfig
from .outputs import HttpReply
from .store import CodeRecord, CustomerRecord, Store, TokenRecord
from .validation import ApiError

__all__ = ["COOKIE_ID", "COOKIE_KEY", "Accounts", "SequentialSource", "http_error"]

COOKIE_ID = "__lc_cid"
"""The cookie of the v3 cookie grant that names the customer."""
COOKIE_KEY = "__lc_cst"
"""The cookie of the v3 cookie grant that proves it (the customer's key)."""


class SequentialSource:
    """A deterministic id source for tests: ``prefix-1``, ``prefix-2``, ..."""

    def __init__(self, prefix: str = "id") -> None:
        self.prefix = prefix
        self.count = 0

    def __call__(self) -> str:
        """The next id."""
        self.count += 1
        return f"{self.prefix}-{self.count}"


_STATUS = {
    "validation": 400,
    "authentication": 401,
    "authorization": 403,
    "customer_banned": 403,
    "not_found": 404,
}


def http_error(error: ApiError) -> HttpReply:
    """The HTTP answer of a failed call: 400 validation, 401 authentication, 403 authorization
    or customer_banned, 404 not_found, 500 anything else."""
    return HttpReply(status=_STATUS.get(error.type, 500), body={"error": error.to_wire()})


class Accounts:
    """Issues customer identities, codes and tokens, and checks tokens."""

    def __init__(self, store: Store, config: ServerConfig, source: Callable[[], str]) -> None:
        self.store = store
        self.config = config
        self.source = source

    def _fresh(self, taken: Mapping[str, object]) -> str:
        for _ in range(100):
            value = self.source()
            if not isinstance(value, str) or not value:
                raise ApiError("internal", "the id source must return non-empty strings")
            if value not in taken:
                return value
        raise ApiError("internal", "the id source keeps returning used values")

    def new_customer(self) -> CustomerRecord:
        """Create and store a new customer identity."""
        customer = CustomerRecord(id=self._fresh(self.store.customers), key=self.source())
        self.store.put_customer(customer)
        return customer

    def issue_token(self, customer_id: str, wall: float) -> TokenRecord:
        """Store and return a new access token of the customer."""
        token = TokenRecord(
            token=self._fresh(self.store.tokens),
            customer_id=customer_id,
            expires_at=wall + self.config.token_ttl,
        )
        self.store.put_token(token)
        return token

    def customer_for(self, access_token: str, wall: float) -> CustomerRecord:
        """The customer an access token belongs to.

        Raises :class:`ApiError` ``authentication`` for an unknown or expired token.
        """
        record = self.store.tokens.get(access_token)
        if record is None or record.expires_at <= wall:
            raise ApiError("authentication", "invalid or expired access token")
        customer = self.store.customers.get(record.customer_id)
        if customer is None:
            raise ApiError("authentication", "invalid or expired access token")
        return customer

    def _form(self, form: Mapping[str, str], name: str) -> str:
        value = form.get(name)
        if not isinstance(value, str) or not value:
            raise ApiError("validation", f"{name}: is required")
        return value

    def authorize(
        self, authorization: str | None, form: Mapping[str, str], wall: float
    ) -> HttpReply:
        """``POST /customer/``: ``authorization`` is the ``Authorization`` header value."""
        try:
            return HttpReply(status=200, body=self._authorize(authorization, form, wall))
        except ApiError as error:
            return http_error(error)

    def _authorize(
        self, authorization: str | None, form: Mapping[str, str], wall: float
    ) -> dict[str, str]:
        if authorization != f"Bearer {self.config.app_access_token}":
            raise ApiError("authentication", "invalid app access token")
        if self._form(form, "client_id") != self.config.client_id:
            raise ApiError("validation", "client_id: unknown client")
        if form.get("response_type", "code") != "code":
            raise ApiError("validation", "response_type: must be 'code'")
        redirect_uri = self._form(form, "redirect_uri")
        if redirect_uri != self.config.redirect_uri:
            raise ApiError("validation", "redirect_uri: does not match the client's")
        self.store.purge_expired(wall)
        customer_id = form.get("customer_id")
        if customer_id:
            customer = self.store.customers.get(customer_id)
            if customer is None or form.get("customer_key") != customer.key:
                raise ApiError("authentication", "unknown customer_id or wrong customer_key")
        else:
            customer = self.new_customer()
        code = CodeRecord(
            code=self._fresh(self.store.codes),
            customer_id=customer.id,
            client_id=self.config.client_id,
            redirect_uri=redirect_uri,
            expires_at=wall + self.config.code_ttl,
        )
        self.store.put_code(code)
        return {
            "code": code.code,
            "customer_id": customer.id,
            "customer_key": customer.key,
            "state": form.get("state", ""),
        }

    def exchange(self, form: Mapping[str, str], wall: float) -> HttpReply:
        """``POST /customer/token``: a code for an access token (the code is used up)."""
        try:
            return HttpReply(status=200, body=self._exchange(form, wall))
        except ApiError as error:
            return http_error(error)

    def _exchange(self, form: Mapping[str, str], wall: float) -> dict[str, object]:
        if form.get("grant_type", "authorization_code") != "authorization_code":
            raise ApiError("validation", "grant_type: must be 'authorization_code'")
        if self._form(form, "client_id") != self.config.client_id:
            raise ApiError("validation", "client_id: unknown client")
        if self._form(form, "client_secret") != self.config.client_secret:
            raise ApiError("authentication", "wrong client_secret")
        code = self.store.codes.get(self._form(form, "code"))
        if code is None or code.expires_at <= wall:
            raise ApiError("authentication", "code: unknown, used or expired")
        if form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
            raise ApiError("validation", "redirect_uri: does not match the code's")
        self.store.delete_code(code.code)
        token = self.issue_token(code.customer_id, wall)
        return {
            "access_token": token.token,
            "expires_in": self.config.token_ttl,
            "token_type": "Bearer",
        }

    # -- v3: POST /v2/customer/token ---------------------------------------------------------

    def token_v2(
        self, headers: Mapping[str, str], body: bytes | Mapping[str, Any] | None, wall: float
    ) -> HttpReply:
        """``POST /v2/customer/token`` (``v3.md`` section 7): the agent-token grant
        (``Authorization: Bearer <agent token>``) or the cookie grant (identity in the
        ``__lc_cid``/``__lc_cst`` cookies, set again in the reply). ``headers``: the request
        headers (any case); ``body``: JSON or form bytes, or parsed fields."""
        try:
            return self._token_v2({k.lower(): v for k, v in headers.items()}, body, wall)
        except ApiError as error:
            return http_error(error)

    @staticmethod
    def _fields(body: bytes | Mapping[str, Any] | None) -> dict[str, Any]:
        if body is None or isinstance(body, Mapping):
            return dict(body or {})
        text = bytes(body).strip()
        if text.startswith(b"{"):
            try:
                value = loads(text)
            except RemoteProtocolError as exc:
                raise ApiError("validation", f"body: {exc.message}") from None
            if not isinstance(value, dict):
                raise ApiError("validation", "body: must be a JSON object")
            return value
        try:
            return dict(parse_qsl(text.decode("utf-8"), strict_parsing=bool(text)))
        except (UnicodeDecodeError, ValueError):
            raise ApiError("validation", "body: must be JSON or a form") from None

    def _token_v2(
        self, headers: Mapping[str, str], body: bytes | Mapping[str, Any] | None, wall: float
    ) -> HttpReply:
        form = self._fields(body)
        grant = form.get("grant_type")
        if form.get("client_id") != self.config.client_id:
            raise ApiError("validation", "client_id: unknown client")
        if form.get("response_type", "token") != "token":
            raise ApiError("validation", "response_type: must be 'token'")
        organization = form.get("organization_id")
        if organization is not None and organization != self.config.organization_id:
            raise ApiError("validation", "organization_id: unknown organization")
        cookies: tuple[tuple[str, str], ...] = ()
        if grant == "agent_token":
            if headers.get("authorization") != f"Bearer {self.config.agent_token}":
                raise ApiError("authentication", "invalid agent access token")
            customer = self._entity(form.get("entity_id"))
        elif grant == "cookie":
            if organization is None:
                raise ApiError("validation", "organization_id: is required")
            customer = self._from_cookies(headers.get("cookie", ""))
            cookies = (
                ("Set-Cookie", f"{COOKIE_ID}={customer.id}; Path=/; HttpOnly"),
                ("Set-Cookie", f"{COOKIE_KEY}={customer.key}; Path=/; HttpOnly"),
            )
        else:
            raise ApiError("validation", "grant_type: must be 'agent_token' or 'cookie'")
        token = self.issue_token(customer.id, wall)
        body_out = {
            "access_token": token.token,
            "client_id": self.config.client_id,
            "entity_id": customer.id,
            "expires_in": self.config.token_ttl,
            "token_type": "Bearer",
            "organization_id": self.config.organization_id,
        }
        return HttpReply(status=200, body=body_out, headers=cookies)

    def _entity(self, entity_id: Any) -> CustomerRecord:
        """The customer ``entity_id`` names (created under that id when new)."""
        if entity_id is None or entity_id == "":
            return self.new_customer()
        if not isinstance(entity_id, str):
            raise ApiError("validation", "entity_id: must be a string")
        customer = self.store.customers.get(entity_id)
        if customer is None:
            customer = CustomerRecord(id=entity_id, key=self.source())
            self.store.put_customer(customer)
        return customer

    def _from_cookies(self, header: str) -> CustomerRecord:
        jar: dict[str, str] = {}
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            jar[name] = value
        customer = self.store.customers.get(jar.get(COOKIE_ID, ""))
        if customer is not None and customer.key == jar.get(COOKIE_KEY):
            return customer
        return self.new_customer()
