"""The protocol logic of every customer action, over the store, with no connections.

:class:`ChatLogic` carries out one action for one authenticated customer and describes what
must be said about it as an :class:`Outcome`: the response payload, the pushes (to whom, and
whether the requester's copy carries the ``request_id``), notes for the agent simulator and
files to keep. It raises :class:`~customer_protocol.server.validation.ApiError` before it
changes anything when the request is not acceptable.
:class:`~customer_protocol.server.server.ServerCore` turns outcomes into bytes for
connections; the same logic serves RTM and the Web API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from .config import ServerConfig
from .outputs import StoreFile
from .store import AgentRecord, ChatRecord, CustomerRecord, Store, ThreadRecord
from .validation import (
    ApiError,
    check_customer_update,
    check_event,
    check_flat_properties,
    check_scopes,
    get_int,
    get_object,
    get_str,
    to_read_form,
)
from .views import Views

__all__ = [
    "RTM_ACTIONS",
    "WEB_ACTIONS",
    "ChatLogic",
    "ChatStarted",
    "CustomerMessage",
    "Note",
    "Outcome",
    "PushOut",
    "SneakPeek",
    "Upload",
]

WEB_ACTIONS: Final = frozenset(
    {
        "start_chat",
        "send_event",
        "send_file",
        "send_sneak_peek",
        "close_thread",
        "update_chat_scopes",
        "update_customer",
        "update_chat_properties",
        "update_chat_thread_properties",
    }
)
RTM_ACTIONS: Final = (WEB_ACTIONS - {"send_file"}) | {
    "get_chats_summary",
    "get_chat_threads",
    "get_chat_threads_summary",
    "update_last_seen_timestamp",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PushOut:
    """A push for every RTM connection of ``customer_id``; ``echo``: the requester's copy
    carries the request's ``request_id``."""

    customer_id: str
    action: str
    payload: dict[str, Any]
    echo: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatStarted:
    """A chat was started (the agent simulator joins it)."""

    chat_id: str
    thread_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerMessage:
    """A customer's ``message`` event was stored (the agent simulator answers it)."""

    chat_id: str
    thread_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SneakPeek:
    """A sneak peek arrived (agents see it; the core records it)."""

    chat_id: str
    author_id: str
    text: str
    timestamp: int


Note = ChatStarted | CustomerMessage | SneakPeek


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """A file received by the Web API ``send_file`` (parsed from multipart by the I/O layer)."""

    name: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(slots=True, kw_only=True)
class Outcome:
    """What one action produced (see the module docstring)."""

    response: dict[str, Any] = field(default_factory=dict)
    pushes: list[PushOut] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: list[StoreFile] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    """JSON equality (``1`` is not ``true``, ``1`` is ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


class ChatLogic:
    """Every customer action and every agent move, as store changes plus an :class:`Outcome`."""

    def __init__(self, store: Store, config: ServerConfig, present: Callable[[str], bool]) -> None:
        self.store = store
        self.config = config
        self.views = Views(store, present)

    # -- helpers -----------------------------------------------------------------------------

    def chat_for(self, customer_id: str, payload: dict[str, Any]) -> ChatRecord:
        """The chat named by ``payload.chat_id``, if it belongs to the customer."""
        chat_id = get_str(payload, "chat_id")
        chat = self.store.chats.get(chat_id or "")
        if chat is None:
            raise ApiError("validation", "chat_id: no such chat")
        if chat.customer_id != customer_id:
            raise ApiError("authorization", "chat_id: the chat belongs to another customer")
        return chat

    def _thread_of(self, chat: ChatRecord, payload: dict[str, Any]) -> ThreadRecord:
        thread_id = get_str(payload, "thread_id")
        if thread_id not in chat.thread_ids:
            raise ApiError("validation", "thread_id: no such thread in this chat")
        return self.store.threads[thread_id or ""]

    def _new_thread(self, chat: ChatRecord, props: dict[str, Any] | None = None) -> ThreadRecord:
        thread = ThreadRecord(
            id=self.store.new_thread_id(),
            chat_id=chat.id,
            order=self.store.next_order(),
            active=True,
            user_ids=list(chat.user_ids),
            properties=props or {},
        )
        chat.thread_ids.append(thread.id)
        self.store.put_thread(thread)
        self.store.touch("chat", chat.id)
        return thread

    def add_event(
        self, chat: ChatRecord, author_id: str | None, event: dict[str, Any], wall: int
    ) -> tuple[ThreadRecord, dict[str, Any], bool]:
        """Store an event in the chat's active thread, opening a new thread when there is none
        (an ``annotation`` goes to the newest thread instead: it does not extend the thread).
        Returns the thread, the stored event and whether a thread was opened."""
        thread = self.store.active_thread(chat)
        opened = False
        if thread is None:
            last = self.store.last_thread(chat)
            if event["type"] == "annotation" and last is not None:
                thread = last
            else:
                thread = self._new_thread(chat)
                opened = True
        stored: dict[str, Any] = {"id": self.store.new_event_id(), "order": 0}
        stored["order"] = chat.order = self.store.next_order()
        stored["type"] = event["type"]
        if author_id is not None:
            stored["author_id"] = author_id
            if author_id not in thread.user_ids:
                thread.user_ids.append(author_id)
        stored["timestamp"] = wall
        stored.update((k, v) for k, v in event.items() if k != "type")
        thread.events.append(stored)
        self.store.touch("thread", thread.id)
        self.store.touch("chat", chat.id)
        return thread, stored, opened

    def _event_push(
        self, chat: ChatRecord, thread: ThreadRecord, event: dict[str, Any], opened: bool
    ) -> PushOut:
        if opened:
            payload = {"chat": self.views.chat_with_thread(chat, thread)}
            return PushOut(
                customer_id=chat.customer_id, action="incoming_chat_thread", payload=payload
            )
        return PushOut(
            customer_id=chat.customer_id,
            action="incoming_event",
            payload={"chat_id": chat.id, "thread_id": thread.id, "event": event},
        )

    def _customer(self, customer_id: str) -> CustomerRecord:
        return self.store.customers[customer_id]

    # -- actions -----------------------------------------------------------------------------

    def run(
        self,
        customer_id: str,
        action: str,
        payload: dict[str, Any],
        wall: int,
        upload: Upload | None = None,
    ) -> Outcome:
        """Carry out ``action`` (one of :data:`RTM_ACTIONS` or :data:`WEB_ACTIONS`) for the
        customer. Raises :class:`ApiError` (nothing changed) when it is not acceptable."""
        if action == "send_file":
            return self.send_file(customer_id, payload, wall, upload)
        handler = getattr(self, action, None)
        if action not in RTM_ACTIONS or handler is None:
            raise ApiError("validation", f"action: unknown action {action!r}")
        result: Outcome = handler(customer_id, payload, wall)
        return result

    def get_chats_summary(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{chats_summary, total_chats}``, most recent activity first."""
        offset = get_int(payload, "offset", default=0, maximum=100) or 0
        limit = get_int(payload, "limit", default=10, minimum=1, maximum=25) or 10
        chats = sorted(self.store.chats_of(customer_id), key=lambda c: c.order, reverse=True)
        page = chats[offset : offset + limit]
        return Outcome(
            response={
                "chats_summary": [self.views.chat_summary(c) for c in page],
                "total_chats": len(chats),
            }
        )

    def get_chat_threads(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{chat: {id, users, properties, scopes, threads}}``, threads ascending by order."""
        chat = self.chat_for(customer_id, payload)
        ids = payload.get("thread_ids")
        if not isinstance(ids, list) or not all(isinstance(t, str) for t in ids):
            raise ApiError("validation", "thread_ids: must be a list of strings")
        for thread_id in ids:
            if thread_id not in chat.thread_ids:
                raise ApiError("validation", f"thread_ids: no thread {thread_id!r} in this chat")
        threads = sorted((self.store.threads[t] for t in set(ids)), key=lambda t: t.order)
        return Outcome(response={"chat": self.views.chat_with_threads(chat, threads)})

    def get_chat_threads_summary(
        self, customer_id: str, payload: dict[str, Any], wall: int, *, oldest_first: bool = False
    ) -> Outcome:
        """``{threads_summary, total_threads}``: offset 0 is the newest page; the page is
        listed ascending by order. (``oldest_first``: the ``OLDEST_PAGE_FIRST`` fault.)"""
        chat = self.chat_for(customer_id, payload)
        offset = get_int(payload, "offset", default=0) or 0
        limit = get_int(payload, "limit", default=25, minimum=1, maximum=100) or 25
        newest_first = self.store.threads_of(chat)[:: 1 if oldest_first else -1]
        page = sorted(newest_first[offset : offset + limit], key=lambda t: t.order)
        summary = [{"id": t.id, "order": t.order, "total_events": len(t.events)} for t in page]
        return Outcome(response={"threads_summary": summary, "total_threads": len(newest_first)})

    def start_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Create a chat with its first (active) thread; push ``incoming_chat_thread``."""
        documented = get_object(payload, "chat")
        if documented is not None:
            groups = check_scopes(documented.get("scopes"), "chat.scopes")
            props = documented.get("properties")
            thread_part = get_object(documented, "thread", name="chat.thread") or {}
            raw_events = thread_part.get("events", [])
            thread_props = thread_part.get("properties")
            where = "chat.thread.events"
        else:
            groups = self._routing_groups(payload.get("routing_scope"))
            props = payload.get("properties")
            raw_events = payload.get("events", [])
            thread_props = None
            where = "events"
        if raw_events is None:
            raw_events = []
        if not isinstance(raw_events, list):
            raise ApiError("validation", f"{where}: must be a list")
        events = [check_event(e, f"{where}[{i}]") for i, e in enumerate(raw_events)]
        chat_props = to_read_form(check_flat_properties(props)) if props is not None else {}
        t_props = (
            to_read_form(check_flat_properties(thread_props, "chat.thread.properties"))
            if thread_props is not None
            else {}
        )
        chat = ChatRecord(
            id=self.store.new_chat_id(),
            customer_id=customer_id,
            order=self.store.next_order(),
            user_ids=[customer_id],
            properties=chat_props,
            scopes={"groups": groups} if groups else {},
            last_seen={customer_id: wall},
        )
        self.store.put_chat(chat)
        thread = self._new_thread(chat, t_props)
        outcome = Outcome(notes=[ChatStarted(chat_id=chat.id, thread_id=thread.id)])
        for event in events:
            _, stored, _ = self.add_event(chat, customer_id, event, wall)
            self._note_message(outcome, chat, thread, stored)
        view = {"chat": self.views.chat_with_thread(chat, thread)}
        outcome.response = view
        outcome.pushes.append(
            PushOut(customer_id=customer_id, action="incoming_chat_thread", payload=view)
        )
        return outcome

    @staticmethod
    def _routing_groups(scope: Any) -> list[int]:
        if scope is None:
            return []
        if not isinstance(scope, dict):
            raise ApiError("validation", "routing_scope: must be an object")
        kind = scope.get("type", "license")
        if kind == "license":
            return []
        if kind == "group":
            ids = scope.get("ids", scope.get("groups"))
            return check_scopes({"groups": ids}, "routing_scope")
        raise ApiError("validation", "routing_scope.type: must be 'license' or 'group'")

    @staticmethod
    def _note_message(
        outcome: Outcome, chat: ChatRecord, thread: ThreadRecord, event: dict[str, Any]
    ) -> None:
        if event["type"] == "message":
            outcome.notes.append(
                CustomerMessage(chat_id=chat.id, thread_id=thread.id, text=event["text"])
            )

    def send_event(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Store the event; push ``incoming_event`` (``incoming_chat_thread`` if it opened a
        thread). Response ``{thread_id, event}``."""
        chat = self.chat_for(customer_id, payload)
        event = check_event(payload.get("event"))
        thread, stored, opened = self.add_event(chat, customer_id, event, wall)
        outcome = Outcome(
            response={"thread_id": thread.id, "event": stored},
            pushes=[self._event_push(chat, thread, stored, opened)],
        )
        self._note_message(outcome, chat, thread, stored)
        return outcome

    def send_file(
        self, customer_id: str, payload: dict[str, Any], wall: int, upload: Upload | None
    ) -> Outcome:
        """Web API only: store a ``file`` event whose URL serves the upload; response
        ``{url}``; the outcome's ``files`` hold the bytes to keep."""
        chat = self.chat_for(customer_id, payload)
        custom_id = get_str(payload, "custom_id", required=False)
        if upload is None:
            raise ApiError("validation", "file: is required")
        if len(upload.data) > self.config.max_file_size:
            size = self.config.max_file_size / (1024 * 1024)
            raise ApiError("validation", f"file: The file is too big (max size is {size:.2f} MB).")
        file_id = self.store.new_file_id()
        name = upload.name or "file"
        url = f"{self.config.files_base_url}/{file_id}/{quote(name)}"
        event: dict[str, Any] = {
            "type": "file",
            "name": name,
            "url": url,
            "content_type": upload.content_type or "application/octet-stream",
            "size": len(upload.data),
        }
        if custom_id is not None:
            event["custom_id"] = custom_id
        thread, stored, opened = self.add_event(chat, customer_id, event, wall)
        kept = StoreFile(
            file_id=file_id,
            name=name,
            content_type=event["content_type"],
            url=url,
            data=upload.data,
        )
        return Outcome(
            response={"url": url},
            pushes=[self._event_push(chat, thread, stored, opened)],
            files=[kept],
        )

    def send_sneak_peek(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Record the sneak peek for the agents; response ``{}``, no push."""
        chat = self.chat_for(customer_id, payload)
        text = payload.get("sneak_peek_text")
        if not isinstance(text, str):
            raise ApiError("validation", "sneak_peek_text: must be a string")
        peek = SneakPeek(chat_id=chat.id, author_id=customer_id, text=text, timestamp=wall)
        return Outcome(notes=[peek])

    def close_thread(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Close the active thread; push ``thread_closed``."""
        chat = self.chat_for(customer_id, payload)
        if self.store.active_thread(chat) is None:
            raise ApiError("validation", "chat_id: the chat has no active thread")
        return Outcome(pushes=[self.end_thread(chat, customer_id)])

    def end_thread(self, chat: ChatRecord, user_id: str | None) -> PushOut:
        """Deactivate the chat's active thread; the ``thread_closed`` push (no echo when
        ``user_id`` is an agent or ``None``)."""
        thread = self.store.active_thread(chat)
        if thread is None:
            raise ApiError("validation", "chat_id: the chat has no active thread")
        thread.active = False
        self.store.touch("thread", thread.id)
        payload: dict[str, Any] = {"chat_id": chat.id, "thread_id": thread.id}
        if user_id is not None:
            payload["user_id"] = user_id
        return PushOut(
            customer_id=chat.customer_id,
            action="thread_closed",
            payload=payload,
            echo=user_id == chat.customer_id,
        )

    def update_chat_scopes(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Add and remove scope groups; push ``chat_scopes_updated`` with what changed."""
        chat = self.chat_for(customer_id, payload)
        add = check_scopes(payload.get("add_scopes"), "add_scopes")
        remove = check_scopes(payload.get("remove_scopes"), "remove_scopes")
        groups = list(chat.scopes.get("groups", []))
        added = [g for g in add if g not in groups and g not in remove]
        removed = [g for g in remove if g in groups]
        groups = [g for g in groups if g not in removed] + added
        chat.scopes = {"groups": groups} if groups else {}
        self.store.touch("chat", chat.id)
        push = PushOut(
            customer_id=customer_id,
            action="chat_scopes_updated",
            payload={
                "chat_id": chat.id,
                "scopes_added": {"groups": added},
                "scopes_removed": {"groups": removed},
            },
        )
        return Outcome(pushes=[push])

    def apply_customer_update(self, customer: CustomerRecord, changes: dict[str, Any]) -> None:
        """Apply checked ``name``/``email``/``fields`` (merged)/``monitoring`` changes."""
        if "name" in changes:
            customer.name = changes["name"]
        if "email" in changes:
            customer.email = changes["email"]
        if "fields" in changes:
            customer.fields.update(changes["fields"])
        if "monitoring" in changes:
            customer.monitoring = changes["monitoring"]
        self.store.touch("customer", customer.id)

    def update_customer(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Update the customer; response ``{customer}``; push ``customer_updated`` once per
        chat with an active thread."""
        changes = check_customer_update(payload.get("customer"))
        customer = self._customer(customer_id)
        self.apply_customer_update(customer, changes)
        pushes = [
            PushOut(
                customer_id=customer_id,
                action="customer_updated",
                payload={"chat_id": chat.id, "customer": self.views.customer(customer, chat)},
            )
            for chat in self.store.chats_of(customer_id)
            if self.store.active_thread(chat) is not None
        ]
        return Outcome(response={"customer": self.views.customer(customer)}, pushes=pushes)

    @staticmethod
    def _merge(
        target: dict[str, dict[str, Any]], flat: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        for namespace, entries in flat.items():
            for name, value in entries.items():
                current = target.get(namespace, {}).get(name)
                if current is None or not _same(current.get("value"), value):
                    target.setdefault(namespace, {})[name] = {"value": value}
                    changed.setdefault(namespace, {})[name] = {"value": value}
        return changed

    def update_chat_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge flat properties into the chat; push ``chat_properties_updated`` with only
        what changed (no push when nothing did)."""
        chat = self.chat_for(customer_id, payload)
        flat = check_flat_properties(payload.get("properties"))
        changed = self._merge(chat.properties, flat)
        if not changed:
            return Outcome()
        self.store.touch("chat", chat.id)
        push = PushOut(
            customer_id=customer_id,
            action="chat_properties_updated",
            payload={"chat_id": chat.id, "properties": changed},
        )
        return Outcome(pushes=[push])

    def update_chat_thread_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge flat properties into a thread (active or not); push
        ``chat_thread_properties_updated`` with only what changed."""
        chat = self.chat_for(customer_id, payload)
        thread = self._thread_of(chat, payload)
        flat = check_flat_properties(payload.get("properties"))
        changed = self._merge(thread.properties, flat)
        if not changed:
            return Outcome()
        self.store.touch("thread", thread.id)
        push = PushOut(
            customer_id=customer_id,
            action="chat_thread_properties_updated",
            payload={"chat_id": chat.id, "thread_id": thread.id, "properties": changed},
        )
        return Outcome(pushes=[push])

    def update_last_seen_timestamp(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Set the customer's last-seen time in the chat (default: now); response
        ``{timestamp}``; push ``last_seen_timestamp_updated``."""
        chat = self.chat_for(customer_id, payload)
        timestamp = get_int(payload, "timestamp", default=wall) or 0
        chat.last_seen[customer_id] = timestamp
        self.store.touch("chat", chat.id)
        push = PushOut(
            customer_id=customer_id,
            action="last_seen_timestamp_updated",
            payload={"user_id": customer_id, "chat_id": chat.id, "timestamp": timestamp},
        )
        return Outcome(response={"timestamp": timestamp}, pushes=[push])

    # -- agent moves -------------------------------------------------------------------------

    def agent_join(self, agent: AgentRecord, chat: ChatRecord, wall: int) -> list[PushOut]:
        """Add the agent to the chat (and its active thread); ``chat_users_updated``."""
        if agent.id in chat.user_ids:
            return []
        chat.user_ids.append(agent.id)
        chat.last_seen[agent.id] = wall
        thread = self.store.active_thread(chat)
        if thread is not None and agent.id not in thread.user_ids:
            thread.user_ids.append(agent.id)
            self.store.touch("thread", thread.id)
        self.store.touch("chat", chat.id)
        added = {"added": [self.views.user(agent.id, chat)], "removed_ids": []}
        return [
            PushOut(
                customer_id=chat.customer_id,
                action="chat_users_updated",
                payload={"chat_id": chat.id, "updated_users": added},
                echo=False,
            )
        ]

    def agent_typing(
        self, agent: AgentRecord, chat: ChatRecord, typing: bool, wall: int
    ) -> PushOut:
        """The ``incoming_typing_indicator`` push of the agent."""
        indicator = {"author_id": agent.id, "timestamp": wall, "is_typing": typing}
        return PushOut(
            customer_id=chat.customer_id,
            action="incoming_typing_indicator",
            payload={"chat_id": chat.id, "typing_indicator": indicator},
            echo=False,
        )

    def agent_message(self, agent: AgentRecord, chat: ChatRecord, text: str, wall: int) -> PushOut:
        """Store an agent ``message`` in the chat; its push."""
        thread, stored, opened = self.add_event(
            chat, agent.id, {"type": "message", "text": text}, wall
        )
        chat.last_seen[agent.id] = wall
        push = self._event_push(chat, thread, stored, opened)
        return PushOut(
            customer_id=push.customer_id, action=push.action, payload=push.payload, echo=False
        )
