"""The wire shapes (``wire.md`` section 3) of what the store holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .store import ChatRecord, CustomerRecord, Store, ThreadRecord

__all__ = ["Views"]


class Views:
    """Renders store records as server objects. ``present(customer_id)`` says whether the
    customer has a logged-in connection (agents are always present)."""

    def __init__(self, store: Store, present: Callable[[str], bool]) -> None:
        self.store = store
        self.present = present

    def customer(self, customer: CustomerRecord, chat: ChatRecord | None = None) -> dict[str, Any]:
        """A customer user; ``last_seen_timestamp`` is the chat's (else the latest of any)."""
        if chat is not None:
            seen = chat.last_seen.get(customer.id, 0)
        else:
            seen = max(
                (c.last_seen.get(customer.id, 0) for c in self.store.chats_of(customer.id)),
                default=0,
            )
        user: dict[str, Any] = {"id": customer.id, "type": "customer"}
        if customer.name is not None:
            user["name"] = customer.name
        if customer.email is not None:
            user["email"] = customer.email
        user["present"] = self.present(customer.id)
        user["fields"] = dict(customer.fields)
        user["last_seen_timestamp"] = seen
        return user

    def user(self, user_id: str, chat: ChatRecord) -> dict[str, Any]:
        """The user ``user_id`` of ``chat`` (a customer or an agent)."""
        customer = self.store.customers.get(user_id)
        if customer is not None:
            return self.customer(customer, chat)
        agent = self.store.agents.get(user_id)
        return {
            "id": user_id,
            "type": "agent",
            "name": agent.name if agent else user_id,
            "avatar": agent.avatar if agent else "",
            "present": True,
            "last_seen_timestamp": chat.last_seen.get(user_id, 0),
        }

    def users(self, chat: ChatRecord) -> list[dict[str, Any]]:
        """Every user of the chat."""
        return [self.user(u, chat) for u in chat.user_ids]

    @staticmethod
    def thread(thread: ThreadRecord) -> dict[str, Any]:
        """A thread with its events."""
        return {
            "id": thread.id,
            "active": thread.active,
            "order": thread.order,
            "user_ids": list(thread.user_ids),
            "events": [dict(e) for e in thread.events],
            "properties": _copy(thread.properties),
        }

    def _chat_head(self, chat: ChatRecord) -> dict[str, Any]:
        return {
            "id": chat.id,
            "users": self.users(chat),
            "properties": _copy(chat.properties),
            "scopes": _copy(chat.scopes),
        }

    def chat_with_thread(self, chat: ChatRecord, thread: ThreadRecord) -> dict[str, Any]:
        """``{id, users, properties, scopes, thread}`` (``start_chat``,
        ``incoming_chat_thread``)."""
        return {**self._chat_head(chat), "thread": self.thread(thread)}

    def chat_with_threads(
        self, chat: ChatRecord, threads: Iterable[ThreadRecord]
    ) -> dict[str, Any]:
        """``{id, users, properties, scopes, threads}`` (``get_chat_threads``)."""
        return {**self._chat_head(chat), "threads": [self.thread(t) for t in threads]}

    def chat_summary(self, chat: ChatRecord) -> dict[str, Any]:
        """A chat summary; ``last_event_per_type`` is ``{thread_id, events: {type: Event}}``
        for the chat's newest thread."""
        last = self.store.last_thread(chat)
        per_type: dict[str, Any] = {}
        if last is not None:
            events: dict[str, Any] = {}
            for event in last.events:
                events[event["type"]] = dict(event)
            per_type = {"thread_id": last.id, "events": events}
        return {
            "id": chat.id,
            "order": chat.order,
            "users": self.users(chat),
            "properties": _copy(chat.properties),
            "scopes": _copy(chat.scopes),
            "last_event_per_type": per_type,
        }


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in value.items()}
