"""The SDK events of v3 pushes the seed has no concept for (``spec/v3.md`` section 9).

Each is named after its push (``name``), frozen, slotted and keyword-only like the events of
:mod:`customer_protocol.events`; ids are the seed's short names (``chat``, ``thread``, ``event``,
``user``), timestamps are milliseconds. Pushes of concepts the seed knows keep the seed's event
classes (:mod:`customer_protocol.events`); :data:`AnyEvent` is the union of both families.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from customer_protocol.events import SDKEvent
from customer_protocol.models import Event

from .v3_results import Greeting, Queue

__all__ = [
    "V3_EVENT_NAMES",
    "AnyEvent",
    "ChatPropertiesDeleted",
    "ChatTransferred",
    "CustomerSideStorageUpdated",
    "CustomerUpdated",
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
    "QueuePositionUpdated",
    "ThreadPropertiesDeleted",
    "V3Event",
]


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
"""Every event class of this module."""

AnyEvent = SDKEvent | V3Event
"""What a v3 client can emit: the seed's events and the v3 ones."""

V3_EVENT_NAMES: frozenset[str] = frozenset(
    cls.name
    for cls in (
        ChatPropertiesDeleted,
        ThreadPropertiesDeleted,
        EventPropertiesUpdated,
        EventPropertiesDeleted,
        EventUpdated,
        EventDeleted,
        IncomingEventPreview,
        IncomingRichMessagePostback,
        ChatTransferred,
        QueuePositionUpdated,
        CustomerUpdated,
        CustomerSideStorageUpdated,
        GroupsStatusUpdated,
        IncomingGreeting,
        GreetingAccepted,
        GreetingCanceled,
        IncomingMulticast,
        IncomingThinkingIndicator,
        IncomingWelcomeMessage,
    )
)
"""The names of the events of this module (each the name of its push)."""
