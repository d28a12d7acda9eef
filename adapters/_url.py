"""API base URLs: where to connect and how (shared by every client and token source)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from customer_protocol import InvalidArgumentsError

__all__ = ["BaseURL", "parse_base_url"]


@dataclass(frozen=True, slots=True)
class BaseURL:
    """A parsed API base URL: where to connect and how."""

    scheme: str
    host: str
    port: int
    tls: bool
    prefix: str

    @property
    def host_header(self) -> str:
        """The ``Host`` header value."""
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_base_url(url: str, *, kinds: tuple[str, ...] = ("ws", "wss", "http", "https")) -> BaseURL:
    """Parse ``ws(s)://host[:port][/prefix]`` or ``http(s)://...`` into a :class:`BaseURL`."""
    if not isinstance(url, str):
        raise InvalidArgumentsError("'url' must be a string.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in kinds or not parts.hostname:
        raise InvalidArgumentsError(f"'url' must be a {'/'.join(kinds)} URL with a host.")
    tls = scheme in ("wss", "https")
    try:
        port = parts.port or (443 if tls else 80)
    except ValueError:
        raise InvalidArgumentsError("'url' has an invalid port.") from None
    return BaseURL(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        tls=tls,
        prefix=parts.path.rstrip("/"),
    )
