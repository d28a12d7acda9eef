"""What happened in the store, in no dialect's words: the facts pushes are made of.

The shared logic (:mod:`~customer_protocol.server.logic`) describes each change it makes as a
fact; every dialect renders a fact as zero or more pushes of its own (``v03.py`` as chat.io
v0.3 pushes, ``v3_views.py`` as LiveChat v3.x pushes), so one change reaches a customer's
v0.3 and v3 connections each in its own shape. A fact names records by id; it is rendered in
the same call that produced it, so the store still holds what it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "ChatPropertiesDeleted",
    "ChatPropertiesUpdated",
    "CustomerSideStorageUpdated",
    "CustomerUpdated",
    "EventAdded",
    "EventDeleted",
    "EventPropertiesDeleted",
    "EventPropertiesUpdated",
    "Fact",
    "RichMessagePostback",
    "ScopesUpdated",
    "SeenUpdated",
    "ThreadClosed",
    "ThreadOpened",
    "ThreadPropertiesDeleted",
    "ThreadPropertiesUpdated",
    "Typing",
    "UserAdded",
    "V3Only",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadOpened:
    """A chat got a new thread (a new chat, a resumed chat, or an event that reopened it)."""

    chat_id: str
    thread_id: str
    requester_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventAdded:
    """An event was stored in an existing thread (``event`` is the stored record)."""

    chat_id: str
    thread_id: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadClosed:
    """The chat's active thread was closed by ``user_id`` (``None``: the server)."""

    chat_id: str
    thread_id: str
    user_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAdded:
    """A user (an agent) joined the chat."""

    chat_id: str
    thread_id: str | None
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Typing:
    """An agent started or stopped typing (``wall``: seconds)."""

    chat_id: str
    thread_id: str | None
    author_id: str
    is_typing: bool
    wall: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPropertiesUpdated:
    """Chat properties changed: ``properties`` is flat ``{ns: {name: value}}``, only what
    changed."""

    chat_id: str
    properties: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadPropertiesUpdated:
    """Thread properties changed (flat, only what changed)."""

    chat_id: str
    thread_id: str
    properties: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerUpdated:
    """The customer's data changed; ``chat_ids``: the customer's chats with an active thread
    (v0.3 says it once per such chat)."""

    customer_id: str
    chat_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenUpdated:
    """``user_id`` has seen the chat up to ``ms`` (milliseconds)."""

    chat_id: str
    user_id: str
    ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopesUpdated:
    """v0.3 scopes changed (groups added and removed)."""

    chat_id: str
    added: tuple[int, ...]
    removed: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPropertiesDeleted:
    """Chat properties deleted: ``{ns: [names]}``."""

    chat_id: str
    properties: dict[str, list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadPropertiesDeleted:
    """Thread properties deleted: ``{ns: [names]}``."""

    chat_id: str
    thread_id: str
    properties: dict[str, list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPropertiesUpdated:
    """Event properties changed (flat, only what changed)."""

    chat_id: str
    thread_id: str
    event_id: str
    properties: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPropertiesDeleted:
    """Event properties deleted: ``{ns: [names]}``."""

    chat_id: str
    thread_id: str
    event_id: str
    properties: dict[str, list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDeleted:
    """An event was removed from its thread."""

    chat_id: str
    thread_id: str
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerSideStorageUpdated:
    """The customer's ``customer_side_storage`` map is now ``storage``."""

    storage: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RichMessagePostback:
    """A customer answered a rich message button."""

    user_id: str
    chat_id: str
    thread_id: str
    event_id: str
    postback: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class V3Only:
    """A push only v3 connections get, already in its wire shape (greetings, welcome
    messages)."""

    action: str
    payload: dict[str, Any] = field(default_factory=dict)


Fact: TypeAlias = (
    ThreadOpened
    | EventAdded
    | ThreadClosed
    | UserAdded
    | Typing
    | ChatPropertiesUpdated
    | ThreadPropertiesUpdated
    | CustomerUpdated
    | SeenUpdated
    | ScopesUpdated
    | ChatPropertiesDeleted
    | ThreadPropertiesDeleted
    | EventPropertiesUpdated
    | EventPropertiesDeleted
    | EventDeleted
    | CustomerSideStorageUpdated
    | RichMessagePostback
    | V3Only
)
"""Every fact a push can be made of."""
