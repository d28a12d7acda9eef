"""The shared chat logic over the store, in no dialect's words.

:class:`ChatLogic` is the engine every dialect's actions use: it finds a customer's chats and
threads, opens threads, stores events, closes threads, merges properties, updates customers and
carries out the agent simulator's moves. Each change is described as a
:mod:`~customer_protocol.server.facts` fact inside a :class:`PushOut`; the dialect modules
(``v03.py``, ``v3_actions.py``) build responses and validate payloads, and render facts as their
own pushes. Failures are :class:`~customer_protocol.server.validation.ApiError`, raised before
anything changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .config import ServerConfig
from .facts import (
    ChatPropertiesUpdated,
    EventAdded,
    Fact,
    ThreadClosed,
    ThreadOpened,
    ThreadPropertiesUpdated,
    Typing,
    UserAdded,
)
from .outputs import StoreFile
from .store import AgentRecord, ChatRecord, CustomerRecord, Store, ThreadRecord
from .validation import ApiError, get_str

__all__ = [
    "ChatLogic",
    "ChatStarted",
    "CustomerMessage",
    "Note",
    "Outcome",
    "PushOut",
    "SneakPeek",
    "ThreadRated",
    "Upload",
    "same_json",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PushOut:
    """A fact for every RTM connection of ``customer_id``; ``echo``: the requester's copy
    carries the request's ``request_id`` (the push that answers the request)."""

    customer_id: str
    fact: Fact
    echo: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatStarted:
    """A chat was started or resumed (the agent simulator joins it)."""

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


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadRated:
    """A customer rated a thread: its ``rating`` properties changed and ``rating.score`` is
    now ``1`` (good) or ``0`` (bad) (the agent simulator acknowledges it)."""

    chat_id: str
    thread_id: str
    score: int
    comment: str | None = None


Note = ChatStarted | CustomerMessage | SneakPeek | ThreadRated


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """A file received by the Web API (parsed from multipart by the I/O layer)."""

    name: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(slots=True, kw_only=True)
class Outcome:
    """What one action produced: the response payload, pushes, notes and files to keep."""

    response: dict[str, Any] = field(default_factory=dict)
    pushes: list[PushOut] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: list[StoreFile] = field(default_factory=list)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality (``1`` is not ``true``, ``1`` is ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


class ChatLogic:
    """The store operations every dialect shares (see the module docstring).

    ``present(customer_id)`` says whether the customer has a logged-in connection.
    """

    def __init__(self, store: Store, config: ServerConfig, present: Callable[[str], bool]) -> None:
        self.store = store
        self.config = config
        self.present = present
        self.clock_ms: int | None = None
        """The wall clock in ms at the current input (set by the core with ``wall``)."""

    def ms(self, wall: int) -> int:
        """Milliseconds of ``wall`` seconds: the current input's clock when it is that second."""
        clock = self.clock_ms
        if clock is not None and clock // 1000 == wall:
            return clock
        return wall * 1000

    # -- lookups -----------------------------------------------------------------------------

    def chat_for(
        self,
        customer_id: str,
        payload: dict[str, Any],
        key: str = "chat_id",
        *,
        missing: str = "validation",
        name: str | None = None,
    ) -> ChatRecord:
        """The chat named by ``payload[key]``, if it belongs to the customer (``missing``:
        the error type for an unknown chat)."""
        name = name or key
        chat_id = get_str(payload, key, name=name)
        chat = self.store.chats.get(chat_id or "")
        if chat is None:
            raise ApiError(missing, f"{name}: no such chat")
        if chat.customer_id != customer_id:
            raise ApiError("authorization", f"{name}: the chat belongs to another customer")
        return chat

    def thread_of(
        self, chat: ChatRecord, payload: dict[str, Any], *, missing: str = "validation"
    ) -> ThreadRecord:
        """The thread named by ``payload.thread_id``, if it is one of the chat's."""
        thread_id = get_str(payload, "thread_id")
        if thread_id not in chat.thread_ids:
            raise ApiError(missing, "thread_id: no such thread in this chat")
        return self.store.threads[thread_id or ""]

    def customer(self, customer_id: str) -> CustomerRecord:
        """The customer record."""
        return self.store.customers[customer_id]

    # -- chats, threads and events -----------------------------------------------------------

    def new_thread(
        self,
        chat: ChatRecord,
        props: dict[str, Any] | None = None,
        *,
        active: bool = True,
        wall_ms: int | None = None,
    ) -> ThreadRecord:
        """Open (or, ``active=False``, add a closed) thread in the chat."""
        thread = ThreadRecord(
            id=self.store.new_thread_id(),
            chat_id=chat.id,
            order=self.store.next_order(),
            active=active,
            user_ids=list(chat.user_ids),
            properties=props or {},
        )
        if wall_ms is not None:
            previous = self.store.last_thread(chat)
            floor = previous.created_ms + 1 if previous is not None else 0
            thread.created_ms = max(wall_ms, floor)
        chat.thread_ids.append(thread.id)
        self.store.put_thread(thread)
        self.store.touch("chat", chat.id)
        return thread

    def new_chat(
        self,
        customer_id: str,
        wall: int,
        *,
        properties: dict[str, Any] | None = None,
        groups: list[int] | None = None,
    ) -> ChatRecord:
        """Create a chat of the customer, without threads."""
        chat = ChatRecord(
            id=self.store.new_chat_id(),
            customer_id=customer_id,
            order=self.store.next_order(),
            user_ids=[customer_id],
            properties=properties or {},
            scopes={"groups": groups} if groups else {},
            last_seen={customer_id: wall},
        )
        self.store.put_chat(chat)
        return chat

    def add_event(
        self,
        chat: ChatRecord,
        author_id: str | None,
        event: dict[str, Any],
        wall: int,
        *,
        reopen: bool = True,
    ) -> tuple[ThreadRecord, dict[str, Any], bool]:
        """Store an event in the chat's active thread. Without one: open a new thread
        (``reopen``), else add it to the newest thread (an ``annotation`` always goes to the
        newest thread: it does not extend the thread). Returns the thread, the stored event
        and whether a thread was opened."""
        thread = self.store.active_thread(chat)
        opened = False
        if thread is None:
            last = self.store.last_thread(chat)
            if last is not None and (event["type"] == "annotation" or not reopen):
                thread = last
            else:
                thread = self.new_thread(chat, wall_ms=self.ms(wall))
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
        thread.event_ms[stored["id"]] = self.ms(wall)
        self.store.touch("thread", thread.id)
        self.store.touch("chat", chat.id)
        return thread, stored, opened

    @staticmethod
    def event_fact(
        chat: ChatRecord, thread: ThreadRecord, event: dict[str, Any], opened: bool, by: str | None
    ) -> Fact:
        """The fact of a stored event: the thread it opened, or the event itself."""
        if opened:
            return ThreadOpened(chat_id=chat.id, thread_id=thread.id, requester_id=by)
        return EventAdded(chat_id=chat.id, thread_id=thread.id, event=event)

    @staticmethod
    def note_message(
        outcome: Outcome, chat: ChatRecord, thread: ThreadRecord, event: dict[str, Any]
    ) -> None:
        """Tell the agent simulator about a customer message."""
        if event["type"] == "message" and isinstance(event.get("text"), str):
            outcome.notes.append(
                CustomerMessage(chat_id=chat.id, thread_id=thread.id, text=event["text"])
            )

    @staticmethod
    def rating_score(thread: ThreadRecord) -> int | None:
        """The thread's rating: its ``rating.score`` property when that is ``1`` (good) or
        ``0`` (bad), the values a customer's ``send_rating`` sets; else ``None``."""
        score = thread.properties.get("rating", {}).get("score", {}).get("value")
        return score if type(score) is int and score in (0, 1) else None

    @classmethod
    def note_rating(
        cls,
        outcome: Outcome,
        chat: ChatRecord,
        thread: ThreadRecord,
        changed: dict[str, dict[str, Any]],
    ) -> None:
        """Tell the agent simulator about a rating: the thread's ``rating`` properties
        changed (``changed`` is flat) and it now holds a rating."""
        score = cls.rating_score(thread)
        if "rating" not in changed or score is None:
            return
        comment = thread.properties["rating"].get("comment", {}).get("value")
        outcome.notes.append(
            ThreadRated(
                chat_id=chat.id,
                thread_id=thread.id,
                score=score,
                comment=comment if isinstance(comment, str) else None,
            )
        )

    def end_thread(self, chat: ChatRecord, user_id: str | None) -> PushOut:
        """Deactivate the chat's active thread; its push (echo only when ``user_id`` is the
        chat's customer)."""
        thread = self.store.active_thread(chat)
        if thread is None:
            raise ApiError("validation", "chat_id: the chat has no active thread")
        thread.active = False
        self.store.touch("thread", thread.id)
        return PushOut(
            customer_id=chat.customer_id,
            fact=ThreadClosed(chat_id=chat.id, thread_id=thread.id, user_id=user_id),
            echo=user_id == chat.customer_id,
        )

    # -- properties and customers ------------------------------------------------------------

    @staticmethod
    def merge(
        target: dict[str, dict[str, Any]], flat: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Merge flat properties into stored (read-form) ones; the flat changes."""
        changed: dict[str, dict[str, Any]] = {}
        for namespace, entries in flat.items():
            for name, value in entries.items():
                current = target.get(namespace, {}).get(name)
                if current is None or not same_json(current.get("value"), value):
                    target.setdefault(namespace, {})[name] = {"value": value}
                    changed.setdefault(namespace, {})[name] = value
        return changed

    @staticmethod
    def unset(
        target: dict[str, dict[str, Any]], names: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """Delete properties ``{ns: [names]}``; what was there and is now gone."""
        gone: dict[str, list[str]] = {}
        for namespace, keys in names.items():
            entries = target.get(namespace)
            if entries is None:
                continue
            for key in keys:
                if entries.pop(key, None) is not None:
                    gone.setdefault(namespace, []).append(key)
            if not entries:
                del target[namespace]
        return gone

    def update_chat_properties(
        self, chat: ChatRecord, flat: dict[str, dict[str, Any]]
    ) -> list[PushOut]:
        """Merge flat properties into the chat; a push with what changed (none if nothing)."""
        changed = self.merge(chat.properties, flat)
        if not changed:
            return []
        self.store.touch("chat", chat.id)
        fact = ChatPropertiesUpdated(chat_id=chat.id, properties=changed)
        return [PushOut(customer_id=chat.customer_id, fact=fact)]

    def update_thread_properties(
        self, chat: ChatRecord, thread: ThreadRecord, flat: dict[str, dict[str, Any]]
    ) -> Outcome:
        """Merge flat properties into a thread: a push with what changed (none if nothing),
        and a :class:`ThreadRated` note when that rated it (:meth:`note_rating`)."""
        outcome = Outcome()
        changed = self.merge(thread.properties, flat)
        if not changed:
            return outcome
        self.store.touch("thread", thread.id)
        fact = ThreadPropertiesUpdated(chat_id=chat.id, thread_id=thread.id, properties=changed)
        outcome.pushes.append(PushOut(customer_id=chat.customer_id, fact=fact))
        self.note_rating(outcome, chat, thread, changed)
        return outcome

    def apply_customer_update(self, customer: CustomerRecord, changes: dict[str, Any]) -> None:
        """Apply checked ``name``/``email``/``avatar``/``fields`` (merged)/``monitoring``
        changes."""
        if "name" in changes:
            customer.name = changes["name"]
        if "email" in changes:
            customer.email = changes["email"]
        if "avatar" in changes:
            customer.avatar = changes["avatar"]
        if "fields" in changes:
            customer.fields.update(changes["fields"])
        if "monitoring" in changes:
            customer.monitoring = changes["monitoring"]
        self.store.touch("customer", customer.id)

    def active_chat_ids(self, customer_id: str) -> tuple[str, ...]:
        """The customer's chats that have an active thread, oldest first."""
        return tuple(
            chat.id
            for chat in self.store.chats_of(customer_id)
            if self.store.active_thread(chat) is not None
        )

    def set_seen(self, chat: ChatRecord, user_id: str, ms: int) -> None:
        """Record that ``user_id`` has seen the chat up to ``ms``."""
        chat.last_seen[user_id] = ms // 1000
        chat.seen_ms[user_id] = ms
        self.store.touch("chat", chat.id)

    @staticmethod
    def event_ms(thread: ThreadRecord, event: dict[str, Any]) -> int:
        """When the event was created, ms."""
        ms = thread.event_ms.get(event["id"])
        return ms if ms is not None else int(event.get("timestamp", 0)) * 1000

    @staticmethod
    def seen_ms(chat: ChatRecord, user_id: str) -> int | None:
        """When ``user_id`` last saw the chat, in ms (``None``: never)."""
        if user_id in chat.seen_ms:
            return chat.seen_ms[user_id]
        seconds = chat.last_seen.get(user_id)
        return None if seconds is None else seconds * 1000

    # -- agent moves -------------------------------------------------------------------------

    def agent_join(self, agent: AgentRecord, chat: ChatRecord, wall: int) -> list[PushOut]:
        """Add the agent to the chat (and its active thread)."""
        if agent.id in chat.user_ids:
            return []
        chat.user_ids.append(agent.id)
        chat.last_seen[agent.id] = wall
        thread = self.store.active_thread(chat)
        if thread is not None and agent.id not in thread.user_ids:
            thread.user_ids.append(agent.id)
            self.store.touch("thread", thread.id)
        self.store.touch("chat", chat.id)
        fact = UserAdded(chat_id=chat.id, thread_id=thread.id if thread else None, user_id=agent.id)
        return [PushOut(customer_id=chat.customer_id, fact=fact, echo=False)]

    def agent_typing(
        self, agent: AgentRecord, chat: ChatRecord, typing: bool, wall: int
    ) -> PushOut:
        """The agent's typing indicator."""
        thread = self.store.active_thread(chat)
        fact = Typing(
            chat_id=chat.id,
            thread_id=thread.id if thread else None,
            author_id=agent.id,
            is_typing=typing,
            wall=wall,
        )
        return PushOut(customer_id=chat.customer_id, fact=fact, echo=False)

    def agent_message(self, agent: AgentRecord, chat: ChatRecord, text: str, wall: int) -> PushOut:
        """Store an agent ``message`` in the chat; its push."""
        thread, stored, opened = self.add_event(
            chat, agent.id, {"type": "message", "text": text}, wall
        )
        self.set_seen(chat, agent.id, self.ms(wall))
        fact = self.event_fact(chat, thread, stored, opened, agent.id)
        return PushOut(customer_id=chat.customer_id, fact=fact, echo=False)
