"""The SDK events a client emits (``spec/sdk.md`` section 4, ``design.md`` table).

Every event is a frozen, slotted, keyword-only dataclass whose ``name`` is the seed's event name,
so a listener registry can dispatch on ``event.name`` and a driver can ``match`` on the class.
:data:`SDKEvent` is the closed union of every event class, the seed's and those of the v3 pushes
the seed has no concept for (``spec/v3.md`` section 9, named after their push; ids are the
seed's short names, timestamps milliseconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import RemoteProtocolError
from .models import ChatSummary, Event, User

if TYPE_CHECKING:  # annotations only: the v3 results import this module
    from .dialects.v3_results import Greeting, Queue

__all__ = [
    "EVENT_NAMES",
    "V3_EVENT_NAMES",
    "ChatPropertiesDeleted",
    "ChatPropertiesUpdated",
    "ChatThreadPropertiesUpdated",
    "ChatTransferred",
    "Connected",
    "ConnectionLost",
    "ConnectionRestored",
    "CustomerId",
    "CustomerSideStorageUpdated",
    "CustomerUpdated",
    "Disconnected",
    "EventDeleted",
    "EventPropertiesDeleted",
    "EventPropertiesUpdated",
    "EventUpdated",
    "GreetingAccepted",
    "GreetingCanceled",
    "GroupsStatusUpdated",
    "IncomingEventPreview",
    "IncomingGreeting",
    "IncomingMulticast",
    "IncomingRichMessagePostback",
    "IncomingThinkingIndicator",
    "IncomingWelcomeMessage",
    "LastSeenTimestampUpdated",
    "NewEvent",
    "ProtocolErrorReport",
    "Push",
    "QueuePositionUpdated",
    "SDKEvent",
    "ThreadClosed",
    "ThreadPropertiesDeleted",
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


# v3 events (spec/v3.md section 9): pushes the seed has no concept for, named after them.


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPropertiesDeleted:
    """Chat properties were deleted: ``{namespace: (names, ...)}``."""

    name: ClassVar[str] = "chat_properties_deleted"
    chat: str
    properties: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadPropertiesDeleted:
    """Thread properties were deleted: ``{namespace: (names, ...)}``."""

    name: ClassVar[str] = "thread_properties_deleted"
    chat: str
    thread: str
    properties: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPropertiesUpdated:
    """Properties of event ``event`` changed (only what changed, flat)."""

    name: ClassVar[str] = "event_properties_updated"
    chat: str
    thread: str
    event: str
    properties: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPropertiesDeleted:
    """Properties of event ``event`` were deleted: ``{namespace: (names, ...)}``."""

    name: ClassVar[str] = "event_properties_deleted"
    chat: str
    thread: str
    event: str
    properties: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventUpdated:
    """An event was changed; ``event`` is the new version."""

    name: ClassVar[str] = "event_updated"
    chat: str
    thread: str
    event: Event


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDeleted:
    """Event ``event`` was deleted (v3.6)."""

    name: ClassVar[str] = "event_deleted"
    chat: str
    thread: str
    event: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingEventPreview:
    """A preview of an event still being written (v3.6); its ``id`` is empty until sent."""

    name: ClassVar[str] = "incoming_event_preview"
    chat: str
    thread: str
    event: Event


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingRichMessagePostback:
    """A user (``user``) answered rich message ``event`` with postback ``postback_id``."""

    name: ClassVar[str] = "incoming_rich_message_postback"
    chat: str
    thread: str
    event: str
    user: str | None
    postback_id: str
    toggled: bool
    button_type: str | None = None
    button_value: str | None = None
    ecommerce: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatTransferred:
    """The chat went to other groups or agents; ``queue`` when it is queued after that."""

    name: ClassVar[str] = "chat_transferred"
    chat: str
    thread: str | None = None
    requester: str | None = None
    group_ids: tuple[int, ...] = ()
    agent_ids: tuple[str, ...] = ()
    queue: Queue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePositionUpdated:
    """The chat's place in the queue changed."""

    name: ClassVar[str] = "queue_position_updated"
    chat: str
    thread: str | None
    queue: Queue


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerUpdated:
    """The customer's data changed; only the sent fields are set (``fields`` ``None``: the
    session fields did not change). Other fields are in ``extra``."""

    name: ClassVar[str] = "customer_updated"
    id: str | None = None
    customer_name: str | None = None
    email: str | None = None
    avatar: str | None = None
    fields: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerSideStorageUpdated:
    """The map the client keeps and sends back at every ``login``."""

    name: ClassVar[str] = "customer_side_storage_updated"
    customer_side_storage: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupsStatusUpdated:
    """Statuses of groups changed: ``{group id: "online" | "online_for_queue" | "offline"}``."""

    name: ClassVar[str] = "groups_status_updated"
    groups: Mapping[int, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingGreeting:
    """A greeting arrived (accept it with ``accept_greeting(greeting.id, greeting.unique_id)``)."""

    name: ClassVar[str] = "incoming_greeting"
    greeting: Greeting


@dataclass(frozen=True, slots=True, kw_only=True)
class GreetingAccepted:
    """The greeting ``unique_id`` was accepted."""

    name: ClassVar[str] = "greeting_accepted"
    unique_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GreetingCanceled:
    """The greeting ``unique_id`` was cancelled (by the customer or a newer greeting)."""

    name: ClassVar[str] = "greeting_canceled"
    unique_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMulticast:
    """A multicast message; ``author`` is ``None`` when the server sent it."""

    name: ClassVar[str] = "incoming_multicast"
    author: str | None
    content: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingThinkingIndicator:
    """An agent or bot is preparing an answer (v3.6); ``sent_at`` in ms."""

    name: ClassVar[str] = "incoming_thinking_indicator"
    chat: str
    thread: str | None
    author: str
    sent_at: int | None = None
    title: str | None = None
    description: str | None = None
    custom_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingWelcomeMessage:
    """A welcome message (v3.6), asked for with ``request_welcome_message``."""

    name: ClassVar[str] = "incoming_welcome_message"
    id: str
    event: Event


SeedEvent = (
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
"""The events of the seed (both dialects emit them; ``spec/sdk.md`` section 4)."""

V3Event = (
    ChatPropertiesDeleted
    | ThreadPropertiesDeleted
    | EventPropertiesUpdated
    | EventPropertiesDeleted
    | EventUpdated
    | EventDeleted
    | IncomingEventPreview
    | IncomingRichMessagePostback
    | ChatTransferred
    | QueuePositionUpdated
    | CustomerUpdated
    | CustomerSideStorageUpdated
    | GroupsStatusUpdated
    | IncomingGreeting
    | GreetingAccepted
    | GreetingCanceled
    | IncomingMulticast
    | IncomingThinkingIndicator
    | IncomingWelcomeMessage
)
"""The events named after a v3 push that the seed has no concept for (``spec/v3.md`` s. 9)."""

SDKEvent = SeedEvent | V3Event
"""Every event a client emits: a closed union a driver can ``match`` on exhaustively."""

EVENT_NAMES: frozenset[str] = frozenset(cls.name for cls in SeedEvent.__args__ if cls is not Push)
"""The names of the seed's events with a class of their own (any other push uses its action)."""

V3_EVENT_NAMES: frozenset[str] = frozenset(cls.name for cls in V3Event.__args__)
"""The names of the v3 events with a class of their own (each the name of its push)."""
