"""The SDK events a client emits (``spec/sdk.md`` section 4, ``design.md`` table).

Every event is a frozen, slotted, keyword-only dataclass whose ``name`` is the seed's event name,
so a listener registry can dispatch on ``event.name`` and a driver can ``match`` on the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import RemoteProtocolError
from .models import ChatSummary, Event, User

__all__ = [
    "EVENT_NAMES",
    "ChatPropertiesUpdated",
    "ChatThreadPropertiesUpdated",
    "Connected",
    "ConnectionLost",
    "ConnectionRestored",
    "CustomerId",
    "Disconnected",
    "LastSeenTimestampUpdated",
    "NewEvent",
    "ProtocolErrorReport",
    "Push",
    "SDKEvent",
    "ThreadClosed",
    "ThreadSummaryEvent",
    "UserData",
    "UserIsTyping",
    "UserJoinedChat",
    "UserLeftChat",
    "UserStoppedTyping",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Connected:
    """The first successful login of this client instance."""

    name: ClassVar[str] = "connected"
    chats_summary: tuple[ChatSummary, ...]
    total_chats: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionRestored:
    """Every later successful login (after a drop or a ``connect()``)."""

    name: ClassVar[str] = "connection_restored"
    chats_summary: tuple[ChatSummary, ...]
    total_chats: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLost:
    """The connected link went down (emitted once per drop)."""

    name: ClassVar[str] = "connection_lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerId:
    """The customer's id; emitted once per instance, before the first ``connected``."""

    name: ClassVar[str] = "customer_id"
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Disconnected:
    """The server (or a terminal login failure) ended the session; ``reason`` says why."""

    name: ClassVar[str] = "disconnected"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """A chat event arrived (not the requester's own echo)."""

    name: ClassVar[str] = "new_event"
    chat: str
    event: Event


@dataclass(frozen=True, slots=True, kw_only=True)
class UserData:
    """A user object was seen (summaries, new threads, history, joins)."""

    name: ClassVar[str] = "user_data"
    user: User


@dataclass(frozen=True, slots=True, kw_only=True)
class UserJoinedChat:
    """A user (id) joined a chat."""

    name: ClassVar[str] = "user_joined_chat"
    user: str
    chat: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLeftChat:
    """A user (id) left a chat."""

    name: ClassVar[str] = "user_left_chat"
    user: str
    chat: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserIsTyping:
    """A user (id) started typing in a chat."""

    name: ClassVar[str] = "user_is_typing"
    chat: str
    user: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserStoppedTyping:
    """A user (id) stopped typing in a chat."""

    name: ClassVar[str] = "user_stopped_typing"
    chat: str
    user: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadClosed:
    """The chat's active thread was closed; the chat is now inactive."""

    name: ClassVar[str] = "thread_closed"
    chat: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadSummaryEvent:
    """A thread became known: ``{id, chat, order, total_events}``."""

    name: ClassVar[str] = "thread_summary"
    id: str
    chat: str
    order: int
    total_events: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LastSeenTimestampUpdated:
    """A user's last-seen timestamp (ms) in a chat changed."""

    name: ClassVar[str] = "last_seen_timestamp_updated"
    chat: str
    user: str
    timestamp: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPropertiesUpdated:
    """Chat properties changed (only what changed)."""

    name: ClassVar[str] = "chat_properties_updated"
    chat: str
    properties: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatThreadPropertiesUpdated:
    """Thread properties changed (only what changed)."""

    name: ClassVar[str] = "chat_thread_properties_updated"
    chat: str
    thread: str
    properties: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    """Any other push, forwarded raw: ``name`` is the push action."""

    name: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolErrorReport:
    """The server sent a malformed message; it was dropped and nothing else changed."""

    name: ClassVar[str] = "error"
    error: RemoteProtocolError


SDKEvent = (
    Connected
    | ConnectionRestored
    | ConnectionLost
    | CustomerId
    | Disconnected
    | NewEvent
    | UserData
    | UserJoinedChat
    | UserLeftChat
    | UserIsTyping
    | UserStoppedTyping
    | ThreadClosed
    | ThreadSummaryEvent
    | LastSeenTimestampUpdated
    | ChatPropertiesUpdated
    | ChatThreadPropertiesUpdated
    | Push
    | ProtocolErrorReport
)

EVENT_NAMES: frozenset[str] = frozenset(
    cls.name
    for cls in (
        Connected,
        ConnectionRestored,
        ConnectionLost,
        CustomerId,
        Disconnected,
        NewEvent,
        UserData,
        UserJoinedChat,
        UserLeftChat,
        UserIsTyping,
        UserStoppedTyping,
        ThreadClosed,
        ThreadSummaryEvent,
        LastSeenTimestampUpdated,
        ChatPropertiesUpdated,
        ChatThreadPropertiesUpdated,
        ProtocolErrorReport,
    )
)
"""The names of the events with a class of their own (any other push uses its action)."""
