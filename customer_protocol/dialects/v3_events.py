"""The v3 events, by their family (``spec/v3.md`` section 9), for the v3 dialect's modules.

The classes live in :mod:`customer_protocol.events`, inside the closed :data:`SDKEvent` union;
this module names the v3 part of it (:data:`V3Event`) and keeps :data:`AnyEvent`, the name the
v3 push handlers use for what they return (the same union as :data:`SDKEvent`).
"""

from __future__ import annotations

from customer_protocol.events import (
    V3_EVENT_NAMES,
    ChatPropertiesDeleted,
    ChatTransferred,
    CustomerSideStorageUpdated,
    CustomerUpdated,
    EventDeleted,
    EventPropertiesDeleted,
    EventPropertiesUpdated,
    EventUpdated,
    GreetingAccepted,
    GreetingCanceled,
    GroupsStatusUpdated,
    IncomingEventPreview,
    IncomingGreeting,
    IncomingMulticast,
    IncomingRichMessagePostback,
    IncomingThinkingIndicator,
    IncomingWelcomeMessage,
    QueuePositionUpdated,
    SDKEvent,
    ThreadPropertiesDeleted,
)

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
"""Every v3 event class (each also one of :data:`SDKEvent`'s)."""

AnyEvent = SDKEvent
"""What a v3 client can emit: :data:`SDKEvent` (every event is in it)."""
