"""The request targets the runner sends, for both dialects: the one place that spells them.

``wire.md`` section 1 (v0.3) and ``v3.md`` section 1 (LiveChat v3.x)::

    RTM      {prefix}/customer/v0.3/rtm/ws?license_id=<int>
             {prefix}/v<ver>/customer/rtm/ws?organization_id=<str>
    Web API  {prefix}/customer/v0.3/action/<action>?license_id=<int>
             {prefix}/v<ver>/customer/action/<action>?organization_id=<str>
    token    {accounts prefix}/v2/customer/token        (v3 grants, section 7)
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

__all__ = [
    "LEGACY_API",
    "V3_APIS",
    "action_target",
    "address_query",
    "is_v3",
    "rtm_target",
    "token_v2_target",
]

LEGACY_API: Final = "0.3"
"""chat.io Customer API v0.3 (``wire.md``)."""
V3_APIS: Final = ("3.4", "3.5", "3.6")
"""The LiveChat Customer Chat API versions the runner knows (``v3.md`` section 1)."""


def is_v3(api: str) -> bool:
    """True for a LiveChat v3.x ``api``."""
    return api != LEGACY_API


def address_query(api: str, *, license_id: int, organization_id: str | None) -> str:
    """``license_id=<int>`` (v0.3) or ``organization_id=<str>`` (v3), encoded; an empty
    ``organization_id`` leaves the parameter out (to test a server's refusal)."""
    if not is_v3(api):
        return urlencode({"license_id": license_id})
    return urlencode({"organization_id": organization_id}) if organization_id else ""


def _base(api: str) -> str:
    return f"/v{api}/customer" if is_v3(api) else "/customer/v0.3"


def rtm_target(
    api: str, *, prefix: str = "", license_id: int = 0, organization_id: str | None = None
) -> str:
    """The RTM WebSocket request target."""
    query = address_query(api, license_id=license_id, organization_id=organization_id)
    return f"{prefix}{_base(api)}/rtm/ws" + (f"?{query}" if query else "")


def action_target(
    api: str,
    action: str,
    *,
    prefix: str = "",
    license_id: int = 0,
    organization_id: str | None = None,
) -> str:
    """The Web API request target of ``action``."""
    query = address_query(api, license_id=license_id, organization_id=organization_id)
    return f"{prefix}{_base(api)}/action/{action}" + (f"?{query}" if query else "")


def token_v2_target(prefix: str = "") -> str:
    """The v3 customer-token target (agent-token and cookie grants)."""
    return f"{prefix}/v2/customer/token"
