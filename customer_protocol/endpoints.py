"""The URL paths of every endpoint, both dialects: the one place that spells them.

``wire.md`` section 1 (chat.io v0.3) and ``v3.md`` section 1 (LiveChat v3.4-v3.6)::

    RTM      /customer/v0.3/rtm/ws?license_id=<int>
             /v<ver>/customer/rtm/ws?organization_id=<str>
    Web API  /customer/v0.3/action/<action>?license_id=<int>
             /v<ver>/customer/action/<action>?organization_id=<str>
    accounts /customer/  and  /customer/token   (v0.3 code flow)
             /v2/customer/token                 (v3 grants)

Both roles use this module: a client builds targets with :func:`rtm_path`,
:func:`action_path` and :func:`address_query`; a server routes a request path with
:func:`route` and reads the query with :func:`parse_address`. Pure string work, no I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlencode

__all__ = [
    "APIS",
    "CODE_PATH",
    "LEGACY_API",
    "TOKEN_PATH",
    "TOKEN_V2_PATH",
    "V3_APIS",
    "Address",
    "AddressError",
    "Endpoint",
    "Route",
    "action_base",
    "action_path",
    "address_query",
    "api_base",
    "check_api",
    "is_action_name",
    "is_v3_version",
    "parse_address",
    "route",
    "rtm_path",
]

LEGACY_API: Final = "0.3"
"""The chat.io dialect (the default everywhere)."""
V3_APIS: Final = ("3.4", "3.5", "3.6")
"""The LiveChat Customer Chat API versions the project knows."""
APIS: Final = (LEGACY_API, *V3_APIS)
"""Every value an ``api`` argument may take."""

CODE_PATH: Final = "/customer/"
"""v0.3 accounts, step 1 (a code for an app token)."""
TOKEN_PATH: Final = "/customer/token"
"""v0.3 accounts, step 2 (the code for an access token)."""
TOKEN_V2_PATH: Final = "/v2/customer/token"
"""v3 accounts: the agent-token and cookie grants (``v3.md`` section 7)."""

_ACTION_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LEGACY_BASE: Final = "/customer/v0.3"
_V3_BASE: Final = re.compile(r"/v(\d+\.\d+)/customer")
_RTM_TAIL: Final = "/rtm/ws"
_ACTION_TAIL: Final = "/action/"
_V3_VERSION: Final = re.compile(r"3\.\d{1,3}")


class Endpoint(enum.StrEnum):
    """What a request path addresses (see :func:`route`)."""

    RTM = "rtm"
    WEB_API = "web_api"
    CUSTOMER_CODE = "customer_code"
    CUSTOMER_TOKEN = "customer_token"
    CUSTOMER_TOKEN_V2 = "customer_token_v2"


@dataclass(frozen=True, slots=True)
class Route:
    """A routed path: the endpoint, and for RTM / Web API the ``api`` (and ``action``)."""

    endpoint: Endpoint
    api: str | None = None
    action: str | None = None


class AddressError(ValueError):
    """The query does not name the license / organization the way the ``api`` requires."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """Which dialect and which license (v0.3) or organization (v3) a request addressed.

    A v3 request that named a ``license_id`` instead of an ``organization_id`` has
    :attr:`license_id` set and :attr:`organization_id` ``None``.
    """

    api: str
    license_id: int | None = None
    organization_id: str | None = None

    @property
    def is_v3(self) -> bool:
        """``True`` for a LiveChat v3.x address."""
        return self.api != LEGACY_API


def check_api(api: object) -> str:
    """Return ``api`` if it is one of :data:`APIS`, else raise :class:`ValueError`."""
    if not isinstance(api, str) or api not in APIS:
        raise ValueError(f"api must be one of {', '.join(APIS)}, got {api!r}")
    return api


def api_base(api: str = LEGACY_API) -> str:
    """``/customer/v0.3`` or ``/v<ver>/customer``: where RTM and Web API live."""
    return _LEGACY_BASE if check_api(api) == LEGACY_API else f"/v{api}/customer"


def rtm_path(api: str = LEGACY_API) -> str:
    """The RTM WebSocket path of ``api`` (without query)."""
    return api_base(api) + _RTM_TAIL


def is_action_name(action: object) -> bool:
    """Whether ``action`` can be a Web API action segment (lower-case ``[a-z0-9_]``)."""
    return isinstance(action, str) and _ACTION_NAME.fullmatch(action) is not None


def action_base(api: str = LEGACY_API) -> str:
    """``{api_base}/action/``: the Web API actions of ``api`` are below it."""
    return api_base(api) + _ACTION_TAIL


def action_path(action: str, api: str = LEGACY_API) -> str:
    """The Web API path of ``action`` in ``api`` (without query)."""
    if not is_action_name(action):
        raise ValueError(f"invalid action name {action!r}")
    return action_base(api) + action


def address_query(
    api: str = LEGACY_API, *, license_id: int | None = None, organization_id: str | None = None
) -> str:
    """``license_id=<int>`` (v0.3) or ``organization_id=<str>`` (v3), encoded.

    Raises :class:`ValueError` when the id the dialect needs is missing or invalid, or the
    other dialect's id is given.
    """
    if check_api(api) == LEGACY_API:
        if organization_id is not None:
            raise ValueError("organization_id is a v3 parameter; v0.3 takes license_id")
        if isinstance(license_id, bool) or not isinstance(license_id, int) or license_id <= 0:
            raise ValueError(f"license_id must be a positive int, got {license_id!r}")
        return f"license_id={license_id}"
    if license_id is not None:
        raise ValueError(f"license_id is a v0.3 parameter; v{api} takes organization_id")
    if not isinstance(organization_id, str) or not organization_id:
        raise ValueError(f"organization_id must be a non-empty string, got {organization_id!r}")
    return urlencode({"organization_id": organization_id})


def is_v3_version(api: object) -> bool:
    """Whether ``api`` looks like a LiveChat ``3.<n>`` version (known or not)."""
    return isinstance(api, str) and _V3_VERSION.fullmatch(api) is not None


def route(path: str, *, prefix: str = "", other_v3: bool = False) -> Route | None:
    """Which endpoint ``path`` (a request path, below ``prefix``) addresses, or ``None``.

    A v3 path of a version outside :data:`V3_APIS` is ``None`` (404 for a server) unless
    ``other_v3`` is set: then any ``3.<n>`` is routed, for a server that answers it with
    ``unsupported_version``. A Web API path whose action is not a valid action name is
    ``None``.
    """
    if prefix and not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    if rest == CODE_PATH:
        return Route(Endpoint.CUSTOMER_CODE)
    if rest == TOKEN_PATH:
        return Route(Endpoint.CUSTOMER_TOKEN)
    if rest == TOKEN_V2_PATH:
        return Route(Endpoint.CUSTOMER_TOKEN_V2)
    if rest.startswith(_LEGACY_BASE + "/"):
        api, tail = LEGACY_API, rest[len(_LEGACY_BASE) :]
    else:
        match = _V3_BASE.match(rest)
        if match is None:
            return None
        known = match.group(1) in V3_APIS
        if not (known or (other_v3 and is_v3_version(match.group(1)))):
            return None
        api, tail = match.group(1), rest[match.end() :]
    if tail == _RTM_TAIL:
        return Route(Endpoint.RTM, api)
    if tail.startswith(_ACTION_TAIL):
        action = tail[len(_ACTION_TAIL) :]
        if is_action_name(action):
            return Route(Endpoint.WEB_API, api, action)
    return None


def parse_address(api: str, query: str) -> Address:
    """Read the license (v0.3) or organization (v3) from a raw query string.

    ``api`` is one of :data:`APIS` or any other ``3.<n>`` (see :func:`route`).

    v0.3 needs ``license_id`` once, a positive integer; v3 needs ``organization_id`` once, a
    non-empty string, or (liberal: older clients and one sample of the docs still send it)
    ``license_id`` instead, read as in v0.3 into :attr:`Address.license_id`. Other parameters
    (``bh``, ``group_id``, ...) are ignored. Raises :class:`AddressError` with a message
    naming the parameter.
    """
    params = parse_qs(query, keep_blank_values=True)
    if not is_v3_version(api):
        check_api(api)
    if api == LEGACY_API:
        return Address(api=api, license_id=_license_id(params.get("license_id", [])))
    values = params.get("organization_id", [])
    if not values and "license_id" in params:
        return Address(api=api, license_id=_license_id(params["license_id"]))
    if not values:
        raise AddressError("missing organization_id query parameter")
    if len(values) > 1:
        raise AddressError("organization_id must be given once")
    if not values[0].strip():
        raise AddressError("organization_id must not be empty")
    return Address(api=api, organization_id=values[0])


def _license_id(values: list[str]) -> int:
    if not values:
        raise AddressError("missing license_id query parameter")
    if len(values) > 1:
        raise AddressError("license_id must be given once, as a positive integer")
    raw = values[0]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) <= 0:
        raise AddressError("license_id must be a positive integer")
    return int(raw)
