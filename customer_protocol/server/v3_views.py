"""The LiveChat v3.x shapes of what the store holds, and the v3 pushes of each fact.

The store keeps v0.3-shaped records (events with ``order`` and integer-second ``timestamp``,
properties as ``{ns: {name: {"value": v}}}``, scopes); this module renders them as the v3.x data
structures of the public docs: RFC 3339 ``created_at`` with microseconds, flat properties,
``access: {group_ids}``, customers with ``session_fields`` as a list of one-key objects.
"""

from __future__ import annotations

from typing import Any, Final

from customer_protocol.codec import dumps
from customer_protocol.rfc3339 import format_ms

from .facts import (
    ChatPropertiesDeleted,
    ChatPropertiesUpdated,
    CustomerSideStorageUpdated,
    CustomerUpdated,
    EventAdded,
    EventDeleted,
    EventPropertiesDeleted,
    EventPropertiesUpdated,
    Fact,
    RichMessagePostback,
    SeenUpdated,
    ThreadClosed,
    ThreadOpened,
    ThreadPropertiesDeleted,
    ThreadPropertiesUpdated,
    Typing,
    UserAdded,
    V3Only,
)
from .logic import ChatLogic
from .store import ChatRecord, CustomerRecord, ThreadRecord

__all__ = ["V3Views", "encode_v3_push", "flat_properties"]

_HIDDEN: Final = frozenset({"id", "order", "timestamp", "type", "properties"})
STAT_NAMES: Final = (
    "visits_count",
    "page_views_count",
    "greetings_shown_count",
    "greetings_accepted_count",
)


def flat_properties(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stored ``{ns: {name: {"value": v}}}`` → flat ``{ns: {name: v}}``."""
    return {
        ns: {name: entry.get("value") for name, entry in entries.items()}
        for ns, entries in stored.items()
    }


def encode_v3_push(
    api: str, action: str, payload: dict[str, Any], request_id: str | None = None
) -> bytes:
    """A v3 push: ``version`` always, ``request_id`` only when given."""
    message: dict[str, Any] = {"version": api}
    if request_id is not None:
        message["request_id"] = request_id
    message.update(action=action, type="push", payload=payload)
    return dumps(message)


class V3Views:
    """Renders store records as v3.x objects (one instance serves every v3 version)."""

    def __init__(self, logic: ChatLogic) -> None:
        self.logic = logic
        self.store = logic.store

    # -- events and threads ------------------------------------------------------------------

    def event(self, stored: dict[str, Any], thread: ThreadRecord | None) -> dict[str, Any]:
        """A stored event of ``thread`` as a v3 event (``created_at`` instead of ``order`` and
        ``timestamp``)."""
        ms = (
            self.logic.event_ms(thread, stored)
            if thread is not None
            else int(stored.get("timestamp", 0)) * 1000
        )
        out: dict[str, Any] = {
            "id": stored["id"],
            "created_at": format_ms(ms),
            "type": stored["type"],
        }
        out.update((k, v) for k, v in stored.items() if k not in _HIDDEN)
        props = stored.get("properties")
        if isinstance(props, dict):
            out["properties"] = flat_properties(props)
        return out

    def thread_ms(self, thread: ThreadRecord) -> int:
        """When the thread was created, ms (older records: its first event's time)."""
        if thread.created_ms:
            return thread.created_ms
        if thread.events:
            return self.logic.event_ms(thread, thread.events[0])
        return 0

    def access(self, chat: ChatRecord) -> dict[str, Any]:
        """``{group_ids}`` (group 0, every agent, when the chat names none)."""
        return {"group_ids": list(chat.scopes.get("groups") or [0])}

    def thread(self, chat: ChatRecord, thread: ThreadRecord) -> dict[str, Any]:
        """A v3 thread with its events and neighbours."""
        view: dict[str, Any] = {
            "id": thread.id,
            "created_at": format_ms(self.thread_ms(thread)),
            "active": thread.active,
            "user_ids": list(thread.user_ids),
            "events": [self.event(e, thread) for e in thread.events],
            "properties": flat_properties(thread.properties),
            "access": self.access(chat),
        }
        index = chat.thread_ids.index(thread.id)
        if index > 0:
            view["previous_thread_id"] = chat.thread_ids[index - 1]
        if index + 1 < len(chat.thread_ids):
            view["next_thread_id"] = chat.thread_ids[index + 1]
        return view

    # -- users -------------------------------------------------------------------------------

    def customer(
        self, customer: CustomerRecord, *, statistics: bool = False, chat: ChatRecord | None = None
    ) -> dict[str, Any]:
        """The customer object (``statistics`` for ``login``/``get_customer``; ``chat`` adds
        ``present`` and ``events_seen_up_to`` as a chat user)."""
        view: dict[str, Any] = {"id": customer.id, "type": "customer"}
        if customer.name is not None:
            view["name"] = customer.name
        if customer.email is not None:
            view["email"] = customer.email
        if customer.avatar is not None:
            view["avatar"] = customer.avatar
        view["session_fields"] = [{k: v} for k, v in customer.fields.items()]
        if chat is not None:
            view["present"] = self.logic.present(customer.id)
            seen = self.logic.seen_ms(chat, customer.id)
            if seen is not None:
                view["events_seen_up_to"] = format_ms(seen)
        if statistics:
            chats = self.store.chats_of(customer.id)
            stats = {
                "chats_count": len(chats),
                "threads_count": sum(len(c.thread_ids) for c in chats),
            }
            stats.update((name, customer.stats.get(name, 0)) for name in STAT_NAMES)
            view["statistics"] = stats
        return view

    def agent(self, agent_id: str) -> dict[str, Any]:
        """An agent as the customer sees it (the simulator's agent, or a bare one)."""
        agent = self.store.agents.get(agent_id)
        return {
            "id": agent_id,
            "type": "agent",
            "name": agent.name if agent else agent_id,
            "avatar": agent.avatar if agent else "",
            "job_title": "Support Agent",
            "is_bot": False,
        }

    def user(self, user_id: str, chat: ChatRecord) -> dict[str, Any]:
        """A user of the chat."""
        customer = self.store.customers.get(user_id)
        if customer is not None:
            return self.customer(customer, chat=chat)
        view = {**self.agent(user_id), "present": True}
        seen = self.logic.seen_ms(chat, user_id)
        if seen is not None:
            view["events_seen_up_to"] = format_ms(seen)
        return view

    # -- chats -------------------------------------------------------------------------------

    def chat_head(self, chat: ChatRecord) -> dict[str, Any]:
        """``{id, users, properties, access}``."""
        return {
            "id": chat.id,
            "users": [self.user(u, chat) for u in chat.user_ids],
            "properties": flat_properties(chat.properties),
            "access": self.access(chat),
        }

    def chat_with_thread(self, chat: ChatRecord, thread: ThreadRecord | None) -> dict[str, Any]:
        """A chat with one thread (``get_chat``, ``incoming_chat``)."""
        view = self.chat_head(chat)
        if thread is not None:
            view["thread"] = self.thread(chat, thread)
        return view

    def chat_summary(self, chat: ChatRecord) -> dict[str, Any]:
        """A chat summary of ``list_chats``."""
        view: dict[str, Any] = {"id": chat.id}
        last = self.store.last_thread(chat)
        if last is not None:
            view["last_thread_id"] = last.id
            view["last_thread_created_at"] = format_ms(self.thread_ms(last))
        latest: dict[str, tuple[int, ThreadRecord, dict[str, Any]]] = {}
        for position, thread in enumerate(self.store.threads_of(chat), 1):
            for event in thread.events:
                latest[event["type"]] = (position, thread, event)
        view["last_event_per_type"] = {
            kind: {
                "thread_id": thread.id,
                "thread_order": position,
                "thread_created_at": format_ms(self.thread_ms(thread)),
                "event": self.event(event, thread),
            }
            for kind, (position, thread, event) in latest.items()
        }
        head = self.chat_head(chat)
        view.update(users=head["users"], properties=head["properties"], access=head["access"])
        view["active"] = self.store.active_thread(chat) is not None
        return view

    def has_unread(self, chat: ChatRecord, customer_id: str) -> bool:
        """Whether the chat has an event of another user newer than what the customer saw."""
        seen = self.logic.seen_ms(chat, customer_id)
        last = self.store.last_thread(chat)
        if last is None:
            return False
        for event in reversed(last.events):
            if event.get("author_id") == customer_id:
                continue
            return seen is None or self.logic.event_ms(last, event) > seen
        return False

    # -- pushes ------------------------------------------------------------------------------

    def render(self, fact: Fact) -> list[tuple[str, dict[str, Any]]]:
        """The v3 pushes of a fact."""
        store = self.store
        match fact:
            case ThreadOpened():
                chat = store.chats[fact.chat_id]
                thread = store.threads[fact.thread_id]
                payload: dict[str, Any] = {}
                if fact.requester_id is not None:
                    payload["requester_id"] = fact.requester_id
                payload["chat"] = self.chat_with_thread(chat, thread)
                return [("incoming_chat", payload)]
            case EventAdded():
                event = self.event(fact.event, store.threads.get(fact.thread_id))
                ids = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                return [("incoming_event", {**ids, "event": event})]
            case ThreadClosed():
                closed: dict[str, Any] = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                if fact.user_id is not None:
                    closed["user_id"] = fact.user_id
                return [("chat_deactivated", closed)]
            case UserAdded():
                chat = store.chats[fact.chat_id]
                last = store.last_thread(chat)
                thread_id = fact.thread_id or (last.id if last else "")
                added = {
                    "chat_id": chat.id,
                    "thread_id": thread_id,
                    "user": self.user(fact.user_id, chat),
                    "reason": "manual",
                    "requester_id": fact.user_id,
                }
                return [("user_added_to_chat", added)]
            case Typing():
                chat = store.chats[fact.chat_id]
                last = store.last_thread(chat)
                indicator = {
                    "author_id": fact.author_id,
                    "recipients": "all",
                    "timestamp": fact.wall,
                    "is_typing": fact.is_typing,
                }
                typing = {
                    "chat_id": fact.chat_id,
                    "thread_id": fact.thread_id or (last.id if last else ""),
                    "typing_indicator": indicator,
                }
                return [("incoming_typing_indicator", typing)]
            case ChatPropertiesUpdated() | ChatPropertiesDeleted():
                name = (
                    "chat_properties_updated"
                    if isinstance(fact, ChatPropertiesUpdated)
                    else "chat_properties_deleted"
                )
                return [(name, {"chat_id": fact.chat_id, "properties": fact.properties})]
            case ThreadPropertiesUpdated() | ThreadPropertiesDeleted():
                name = (
                    "thread_properties_updated"
                    if isinstance(fact, ThreadPropertiesUpdated)
                    else "thread_properties_deleted"
                )
                ids = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                return [(name, {**ids, "properties": fact.properties})]
            case EventPropertiesUpdated() | EventPropertiesDeleted():
                name = (
                    "event_properties_updated"
                    if isinstance(fact, EventPropertiesUpdated)
                    else "event_properties_deleted"
                )
                ids = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                return [(name, {**ids, "event_id": fact.event_id, "properties": fact.properties})]
            case EventDeleted():
                ids = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                return [("event_deleted", {**ids, "event_id": fact.event_id})]
            case CustomerUpdated():
                return [("customer_updated", self.customer(store.customers[fact.customer_id]))]
            case SeenUpdated():
                seen = {
                    "user_id": fact.user_id,
                    "chat_id": fact.chat_id,
                    "seen_up_to": format_ms(fact.ms),
                }
                return [("events_marked_as_seen", seen)]
            case CustomerSideStorageUpdated():
                storage = {"customer_side_storage": dict(fact.storage)}
                return [("customer_side_storage_updated", storage)]
            case RichMessagePostback():
                postback = {
                    "user_id": fact.user_id,
                    "chat_id": fact.chat_id,
                    "thread_id": fact.thread_id,
                    "event_id": fact.event_id,
                    "postback": fact.postback,
                }
                return [("incoming_rich_message_postback", postback)]
            case V3Only():
                return [(fact.action, fact.payload)]
            case _:
                return []
