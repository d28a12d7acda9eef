"""Token providers (``spec/sdk.md`` section 9) for ``connect(token=...)``.

``token`` may be:

* an access token string, or a :class:`~customer_protocol.Token`;
* a callable returning one of those (or a mapping with ``access_token``, ``token_type``,
  ``expires_in``, ``customer_id``); it may be ``async`` in the async client, and may take one
  argument, ``fresh``, which is true when the server rejected the previous token;
* an :class:`AccountsFlow`: the accounts code flow of ``wire.md`` section 7, which remembers
  ``customer_id``/``customer_key`` so the same customer comes back on every renewal;
* an :class:`AgentTokenGrant` (LiveChat v3, ``v3.md`` section 7): customer tokens bought with
  an agent's access token on a server you run, keeping ``entity_id`` so the same customer
  comes back.

The core caches whatever the provider returns until 60 s before it expires.
"""

from __future__ import annotations

import ssl
from collections.abc import Generator
from typing import Final

from customer_protocol import Token
from customer_protocol.errors import InvalidArgumentsError
from transports.accounts import (
    CustomerToken,
    CustomerTokenV2,
    build_customer_code_request,
    build_customer_token_request,
    build_customer_token_v2_request,
    decode_customer_code_response,
    decode_customer_token_response,
    decode_customer_token_v2_response,
)
from transports.http import HTTPRequest, ResponseReceived

from ._url import BaseURL, parse_base_url

__all__ = ["DEMO_AGENT_GRANT", "DEMO_CREDENTIALS", "AccountsFlow", "AgentTokenGrant", "TokenFlow"]

DEMO_CREDENTIALS: Final = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "app_access_token": "demo-app-token",
    "redirect_uri": "http://localhost/callback",
}
"""The reference server's default accounts credentials."""
DEMO_AGENT_GRANT: Final = {"agent_token": "demo-agent-token", "client_id": "demo-client"}
"""The reference server's default agent token and client id for the v3 agent-token grant."""


class TokenFlow:
    """A token provider that talks HTTP to an accounts service, written as a plan.

    :meth:`steps` yields each request and is sent each response; the clients run it with their
    own sockets (the accounts URL defaults to the API host's, see :meth:`set_url`).
    """

    base: BaseURL | None = None
    """The accounts base URL (``None``: the client sets it from its own URL)."""
    ssl_context: ssl.SSLContext | None = None
    """The TLS context for the accounts requests (``None``: the client's own context)."""

    def __init__(
        self, *, accounts_url: str | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """``accounts_url`` as for :meth:`set_url` (``None``: the client sets it later)."""
        self.base = None
        if accounts_url is not None:
            self.set_url(accounts_url)
        self.ssl_context = ssl_context

    def set_url(self, accounts_url: str) -> None:
        """Set the accounts base URL (``http(s)://host[:port][/prefix]``)."""
        self.base = parse_base_url(accounts_url, kinds=("http", "https"))

    def steps(self) -> Generator[HTTPRequest, ResponseReceived, Token]:
        """The flow as a plan: yields each request, is sent each response, returns the token."""
        raise NotImplementedError

    def _base(self) -> BaseURL:
        if self.base is None:
            raise InvalidArgumentsError(f"{type(self).__name__} needs an accounts URL.")
        return self.base

    def _url_for_repr(self) -> str | None:
        return None if self.base is None else f"{self.base.scheme}://{self.base.host_header}"


def _to_token(answer: CustomerToken | CustomerTokenV2, customer_id: str | None) -> Token:
    """The core's :class:`~customer_protocol.Token` for an accounts answer."""
    return Token(
        access_token=answer.access_token,
        token_type=answer.token_type,
        expires_in=float(answer.expires_in),
        customer_id=customer_id,
    )


class AccountsFlow(TokenFlow):
    """Obtain customer tokens from an accounts service (``POST /customer/`` then ``/token``).

    Keeps :attr:`customer_id` and :attr:`customer_key` after the first exchange, so every later
    token (and a new client given the same values) belongs to the same customer.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        app_access_token: str,
        redirect_uri: str,
        accounts_url: str | None = None,
        customer_id: str | None = None,
        customer_key: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._app_access_token = app_access_token
        self.redirect_uri = redirect_uri
        self.customer_id = customer_id
        self._customer_key = customer_key
        super().__init__(accounts_url=accounts_url, ssl_context=ssl_context)

    @classmethod
    def demo(
        cls,
        accounts_url: str | None = None,
        *,
        customer_id: str | None = None,
        customer_key: str | None = None,
    ) -> AccountsFlow:
        """A flow with the reference server's default credentials (``DEMO_CREDENTIALS``)."""
        return cls(
            accounts_url=accounts_url,
            customer_id=customer_id,
            customer_key=customer_key,
            client_id=DEMO_CREDENTIALS["client_id"],
            client_secret=DEMO_CREDENTIALS["client_secret"],
            app_access_token=DEMO_CREDENTIALS["app_access_token"],
            redirect_uri=DEMO_CREDENTIALS["redirect_uri"],
        )

    @property
    def customer_key(self) -> str | None:
        """The secret that brings the same customer back (keep it with ``customer_id``)."""
        return self._customer_key

    def steps(self) -> Generator[HTTPRequest, ResponseReceived, Token]:
        """The flow as a plan: yields each request, is sent each response, returns the token."""
        base = self._base()
        customer_key = self._customer_key if self.customer_id is not None else None
        code_response = yield build_customer_code_request(
            host=base.host_header,
            app_access_token=self._app_access_token,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            customer_id=self.customer_id if customer_key is not None else None,
            customer_key=customer_key,
            prefix=base.prefix,
        )
        code = decode_customer_code_response(code_response)
        self.customer_id = code.customer_id
        self._customer_key = code.customer_key
        token_response = yield build_customer_token_request(
            host=base.host_header,
            code=code.code,
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            prefix=base.prefix,
        )
        return _to_token(decode_customer_token_response(token_response), code.customer_id)

    def __repr__(self) -> str:
        return (
            f"AccountsFlow(accounts_url={self._url_for_repr()!r}, client_id={self.client_id!r}, "
            f"customer_id={self.customer_id!r})"
        )


class AgentTokenGrant(TokenFlow):
    """LiveChat v3 customer tokens from the agent-token grant (``POST /v2/customer/token``).

    For code you run on a server (never in a browser: the agent token is a secret). Each token
    is bought with ``agent_token`` for ``client_id`` (and ``organization_id`` when given); the
    answer's ``entity_id`` is kept and sent with every later grant, so renewals (and a new
    provider given the same ``entity_id``) come back as the same customer. The clients cache
    each token until a minute before ``expires_in``. The accounts URL defaults to the API
    host's; LiveChat's is ``https://accounts.livechat.com``.
    """

    def __init__(
        self,
        *,
        agent_token: str,
        client_id: str,
        organization_id: str | None = None,
        entity_id: str | None = None,
        accounts_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._agent_token = agent_token
        self.client_id = client_id
        self.organization_id = organization_id
        self.entity_id = entity_id
        """The customer the grants are for (``None`` until the first answer names one)."""
        super().__init__(accounts_url=accounts_url, ssl_context=ssl_context)

    @classmethod
    def demo(
        cls,
        accounts_url: str | None = None,
        *,
        organization_id: str | None = None,
        entity_id: str | None = None,
    ) -> AgentTokenGrant:
        """A grant with the reference server's default agent token (``DEMO_AGENT_GRANT``)."""
        return cls(
            accounts_url=accounts_url,
            organization_id=organization_id,
            entity_id=entity_id,
            agent_token=DEMO_AGENT_GRANT["agent_token"],
            client_id=DEMO_AGENT_GRANT["client_id"],
        )

    @property
    def customer_id(self) -> str | None:
        """The customer's id: the grant's ``entity_id`` (``v3.md`` section 7)."""
        return self.entity_id

    def steps(self) -> Generator[HTTPRequest, ResponseReceived, Token]:
        """One grant: yields the request, is sent the response, returns the token."""
        base = self._base()
        response = yield build_customer_token_v2_request(
            host=base.host_header,
            agent_token=self._agent_token,
            client_id=self.client_id,
            organization_id=self.organization_id,
            entity_id=self.entity_id,
            prefix=base.prefix,
        )
        token = decode_customer_token_v2_response(response)
        self.entity_id = token.entity_id
        return _to_token(token, token.entity_id)

    def __repr__(self) -> str:
        return (
            f"AgentTokenGrant(accounts_url={self._url_for_repr()!r}, client_id={self.client_id!r}, "
            f"organization_id={self.organization_id!r}, entity_id={self.entity_id!r})"
        )
