"""The request targets the runner sends, for both dialects, from
:mod:`customer_protocol.endpoints` (the project's one spelling of every path)::

    RTM      {prefix}/customer/v0.3/rtm/ws?license_id=<int>
             {prefix}/v<ver>/customer/rtm/ws?organization_id=<str>
    Web API  {prefix}/customer/v0.3/action/<action>?license_id=<int>
             {prefix}/v<ver>/customer/action/<action>?organization_id=<str>
    token    {accounts prefix}/v2/customer/token        (v3 grants, ``v3.md`` section 7)

Unlike a client's, these builders also make targets a client must not send (a v3 RTM target
without ``organization_id``), so the runner can check that a server refuses them.
"""

from __future__ import annotations

from customer_protocol.endpoints import (
    LEGACY_API,
    TOKEN_V2_PATH,
    V3_APIS,
    action_path,
    address_query,
    rtm_path,
)

__all__ = [
    "LEGACY_API",
    "V3_APIS",
    "action_target",
    "is_v3",
    "rtm_target",
    "token_v2_target",
]


def is_v3(api: str) -> bool:
    """True for a LiveChat v3.x ``api``."""
    return api != LEGACY_API


def _query(api: str, license_id: int, organization_id: str | None) -> str:
    if is_v3(api) and not organization_id:
        return ""  # (deliberately without: to test a server's refusal)
    lid = None if is_v3(api) else license_id
    return "?" + address_query(api, license_id=lid, organization_id=organization_id or None)


def rtm_target(
    api: str, *, prefix: str = "", license_id: int = 0, organization_id: str | None = None
) -> str:
    """The RTM WebSocket request target."""
    return f"{prefix}{rtm_path(api)}{_query(api, license_id, organization_id)}"


def action_target(
    api: str,
    action: str,
    *,
    prefix: str = "",
    license_id: int = 0,
    organization_id: str | None = None,
) -> str:
    """The Web API request target of ``action``."""
    return f"{prefix}{action_path(action, api)}{_query(api, license_id, organization_id)}"


def token_v2_target(prefix: str = "") -> str:
    """The v3 customer-token target (agent-token and cookie grants)."""
    return f"{prefix}{TOKEN_V2_PATH}"
