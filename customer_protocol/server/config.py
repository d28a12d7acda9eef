"""The reference server's settings, in one frozen value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["AgentConfig", "ServerConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """The scripted agent of the simulator (``ServerConfig.agent``; ``None`` turns it off).

    Delays are seconds of the core's ``now``. When a chat starts the agent joins after
    :attr:`join_delay` (``chat_users_updated``) and, if :attr:`greeting` is set, says it. For
    each customer ``message`` it starts typing after :attr:`typing_delay`, and after
    :attr:`reply_delay` stops typing and answers :attr:`reply_template` (``{text}`` is the
    customer's text). A message matching :attr:`goodbye_pattern` (case-insensitive) is answered
    with :attr:`farewell` and the agent then closes the thread (``thread_closed``). When the
    customer rates an active thread (its ``rating.score`` property set to ``1`` or ``0``) the
    agent types and answers :attr:`rating_reply` the same way, ``{score_word}`` being ``good``
    or ``bad`` (e.g. ``"Thanks for rating us {score_word}!"``); ``None`` turns that off. A
    rating withdrawn before the answer is due gets none.
    """

    id: str = "agent@example.com"
    name: str = "Ada"
    avatar: str = "https://example.com/ada.png"
    join_delay: float = 1.0
    typing_delay: float = 0.5
    reply_delay: float = 2.0
    greeting: str | None = None
    reply_template: str = "You wrote: {text}"
    farewell: str = "Goodbye! Closing this chat."
    goodbye_pattern: str = r"\b(good)?bye\b"
    rating_reply: str | None = "Thanks for your rating!"

    def __post_init__(self) -> None:
        for name in ("join_delay", "typing_delay", "reply_delay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise ValueError(f"AgentConfig.{name} must be a non-negative number")
        if self.typing_delay > self.reply_delay:
            raise ValueError("AgentConfig.typing_delay must not exceed reply_delay")
        if not self.id:
            raise ValueError("AgentConfig.id must not be empty")
        re.compile(self.goodbye_pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """Identity, credentials, limits and timings of the reference server.

    The defaults are the demo credentials of ``wire.md`` section 7 as the project uses them.
    """

    license_id: int = 1
    organization_id: str = "8f3e1c52-6b0a-4d47-9e21-5a7c0d9b4e13"
    """The v3 ``organization_id`` (a fixed UUID string by default)."""
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    app_access_token: str = "demo-app-token"
    agent_token: str = "demo-agent-token"
    """The agent access token the v3 agent-token grant accepts (``POST /v2/customer/token``)."""
    redirect_uri: str = "http://localhost/callback"
    token_ttl: int = 3600
    """Lifetime of an access token, seconds (``expires_in``)."""
    code_ttl: int = 600
    """Lifetime of an authorization code, seconds."""
    max_connections_per_customer: int = 5
    """One more login disconnects the customer's oldest connection (``too_many_connections``)."""
    idle_timeout: float | None = 60.0
    """Close a connection silent for this long (``None``: never). Feed activity with
    ``ServerCore.note_activity`` for frames the core does not see (WebSocket pings)."""
    login_timeout: float | None = 30.0
    """Close a v3 connection that has not logged in this long after opening (``None``:
    never)."""
    max_pending_requests: int = 10
    """v3: a request arriving while this many responses of its connection are still held
    back fails with ``pending_requests_limit_reached``."""
    request_timeout: float = 15.0
    """A response held back longer than this (the ``DELAY`` fault) becomes a
    ``request_timeout`` error at this time (``wire.md`` section 6)."""
    static_config_path: str = "/licence/1/static_config.json"
    files_base_url: str = "/files"
    max_file_size: int = 10 * 1024 * 1024
    agent: AgentConfig | None = field(default_factory=AgentConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.license_id, int) or self.license_id <= 0:
            raise ValueError("ServerConfig.license_id must be a positive integer")
        if not isinstance(self.organization_id, str) or not self.organization_id:
            raise ValueError("ServerConfig.organization_id must be a non-empty string")
        for name in (
            "token_ttl",
            "code_ttl",
            "max_connections_per_customer",
            "max_file_size",
            "max_pending_requests",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"ServerConfig.{name} must be a positive integer")
        if self.request_timeout <= 0:
            raise ValueError("ServerConfig.request_timeout must be positive")
        if self.login_timeout is not None and self.login_timeout <= 0:
            raise ValueError("ServerConfig.login_timeout must be positive or None")
        if self.idle_timeout is not None and self.idle_timeout <= 0:
            raise ValueError("ServerConfig.idle_timeout must be positive or None")
