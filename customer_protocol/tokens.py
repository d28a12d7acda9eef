"""Access tokens and the token-cache policy (``spec/sdk.md`` section 9).

The core never obtains a token itself: it emits :class:`~customer_protocol.outputs.FetchToken`
and the driver answers with :meth:`ClientProtocol.token_received
<customer_protocol.client.ClientProtocol.token_received>`. The core caches what it gets until
``token_refresh_margin`` seconds before it expires.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Token", "TokenCache"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """An access token as a token provider gives it.

    ``expires_in`` is in seconds from when the token was obtained (``None``: no expiry known).
    The ``repr`` never shows the token itself.
    """

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    expires_in: float | None = None
    customer_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, str) or not self.access_token:
            raise ValueError("Token.access_token must be a non-empty string")
        if not isinstance(self.token_type, str) or not self.token_type:
            raise ValueError("Token.token_type must be a non-empty string")

    @property
    def authorization(self) -> str:
        """The value of ``login.token`` and of the ``Authorization`` header."""
        return f"{self.token_type} {self.access_token}"

    def __str__(self) -> str:
        return repr(self)


class TokenCache:
    """Keeps the last token until ``margin`` seconds before it expires."""

    __slots__ = ("_expires_at", "_margin", "_token")

    def __init__(self, margin: float = 60.0) -> None:
        self._margin = margin
        self._token: Token | None = None
        self._expires_at: float | None = None

    def store(self, token: Token, now: float) -> None:
        """Remember ``token``, obtained at ``now``."""
        self._token = token
        self._expires_at = None if token.expires_in is None else now + token.expires_in

    def get(self, now: float) -> Token | None:
        """The cached token if it is still good at ``now``, else ``None``."""
        if self._token is None:
            return None
        if self._expires_at is not None and now >= self._expires_at - self._margin:
            return None
        return self._token

    def invalidate(self) -> None:
        """Forget the token (the server rejected it)."""
        self._token = None
        self._expires_at = None

    def __repr__(self) -> str:
        return f"TokenCache(cached={self._token is not None}, expires_at={self._expires_at})"
