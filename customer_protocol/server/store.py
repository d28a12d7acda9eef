"""The in-memory chat store of the reference server, with a change journal for persistence.

The store holds plain records (customers, agents, chats, threads with their events, access
tokens, authorization codes) and the counters that name new chats, threads and events and give
them their ``order``. It has no notion of connections or time; the shared logic in
:mod:`customer_protocol.server.logic` changes it.

Persistence
-----------
Every record is a :class:`Record` ``(kind, key, data)`` whose ``data`` is a JSON-able dict
(``None`` means "deleted"). Kinds: ``meta`` (key ``counters``), ``customer``, ``agent``,
``chat`` (without its threads), ``thread`` (with its events), ``token``, ``code``.

* :meth:`Store.dump` gives every record; :meth:`Store.load` builds a store from them.
* :meth:`Store.drain_changes` gives the records changed since the last call (the journal),
  each with its current data or ``None`` when deleted. A driver that persists to SQLite keeps
  one table ``records(kind TEXT, key TEXT, data TEXT, PRIMARY KEY(kind, key))``, upserts each
  drained change (deleting rows whose data is ``None``) after every input, and on start calls
  ``Store.load`` with every row. Applying the changes in order to a dump gives the same store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "AgentRecord",
    "ChatRecord",
    "CodeRecord",
    "CustomerRecord",
    "Record",
    "Store",
    "ThreadRecord",
    "TokenRecord",
]

FORMAT_VERSION: Final = 1


@dataclass(slots=True, kw_only=True)
class CustomerRecord:
    """A customer identity (``key`` is the secret that lets accounts reuse it)."""

    id: str
    key: str
    name: str | None = None
    email: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    monitoring: dict[str, Any] | None = None
    banned: bool = False
    avatar: str | None = None
    side_storage: dict[str, str] = field(default_factory=dict)
    """v3 ``customer_side_storage``."""
    stats: dict[str, int] = field(default_factory=dict)
    """v3 ``statistics`` counters the store keeps (``visits_count``, ``page_views_count``,
    ``greetings_shown_count``, ``greetings_accepted_count``)."""


@dataclass(slots=True, kw_only=True)
class AgentRecord:
    """An agent (the simulator's)."""

    id: str
    name: str
    avatar: str


@dataclass(slots=True, kw_only=True)
class ThreadRecord:
    """A thread and its events (events are stored in their wire shape, ascending ``order``)."""

    id: str
    chat_id: str
    order: int
    active: bool
    user_ids: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    properties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    created_ms: int = 0
    """Wall-clock milliseconds of its creation, strictly increasing within a chat (``0`` in
    records written before it was kept: the first event's time is used)."""
    event_ms: dict[str, int] = field(default_factory=dict)
    """Event id → wall-clock milliseconds of its creation (v3 ``created_at``; events missing
    here use their ``timestamp`` seconds)."""


@dataclass(slots=True, kw_only=True)
class ChatRecord:
    """A chat of one customer. ``order`` is the order of its latest activity."""

    id: str
    customer_id: str
    order: int
    user_ids: list[str] = field(default_factory=list)
    properties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    scopes: dict[str, list[int]] = field(default_factory=dict)
    thread_ids: list[str] = field(default_factory=list)
    last_seen: dict[str, int] = field(default_factory=dict)
    seen_ms: dict[str, int] = field(default_factory=dict)
    """``last_seen`` in milliseconds where it was set with that precision (v3)."""


@dataclass(slots=True, kw_only=True)
class TokenRecord:
    """An access token; ``expires_at`` is wall-clock seconds."""

    token: str
    customer_id: str
    expires_at: float


@dataclass(slots=True, kw_only=True)
class CodeRecord:
    """A one-time authorization code of the accounts flow."""

    code: str
    customer_id: str
    client_id: str
    redirect_uri: str
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One persisted record: ``data`` is JSON-able, ``None`` when the record was deleted."""

    kind: str
    key: str
    data: dict[str, Any] | None


_KINDS: Final[dict[str, type[Any]]] = {
    "customer": CustomerRecord,
    "agent": AgentRecord,
    "chat": ChatRecord,
    "thread": ThreadRecord,
    "token": TokenRecord,
    "code": CodeRecord,
}
_COUNTERS: Final = ("order", "chat", "thread", "event", "file")


def _id36(prefix: str, number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            break
    return prefix + text.rjust(6, "0")


class Store:
    """Customers, agents, chats, threads, events, tokens and codes, in memory.

    Mutate records only through the methods below, or call :meth:`touch` after changing one in
    place, so that the journal (:meth:`drain_changes`) sees every change.
    """

    def __init__(self) -> None:
        self.customers: dict[str, CustomerRecord] = {}
        self.agents: dict[str, AgentRecord] = {}
        self.chats: dict[str, ChatRecord] = {}
        self.threads: dict[str, ThreadRecord] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.codes: dict[str, CodeRecord] = {}
        self._counters: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
        self._chats_by_customer: dict[str, list[str]] = {}
        self._dirty: dict[tuple[str, str], None] = {}

    # -- naming ------------------------------------------------------------------------------

    def _next(self, name: str) -> int:
        self._counters[name] += 1
        self._dirty[("meta", "counters")] = None
        return self._counters[name]

    def next_order(self) -> int:
        """A new ``order``, greater than every one given before (shared by chats, threads and
        events)."""
        return self._next("order")

    def new_chat_id(self) -> str:
        """A new chat id."""
        return _id36("CH", self._next("chat"))

    def new_thread_id(self) -> str:
        """A new thread id."""
        return _id36("TH", self._next("thread"))

    def new_event_id(self) -> str:
        """A new event id."""
        return _id36("EV", self._next("event"))

    def new_file_id(self) -> str:
        """A new file id."""
        return _id36("FI", self._next("file"))

    # -- changes -----------------------------------------------------------------------------

    def touch(self, kind: str, key: str) -> None:
        """Record that the record ``(kind, key)`` changed (or was deleted)."""
        if kind not in _KINDS:
            raise ValueError(f"unknown record kind {kind!r}")
        self._dirty[(kind, key)] = None

    def put_customer(self, customer: CustomerRecord) -> None:
        """Add or replace a customer."""
        self.customers[customer.id] = customer
        self.touch("customer", customer.id)

    def put_agent(self, agent: AgentRecord) -> None:
        """Add or replace an agent."""
        self.agents[agent.id] = agent
        self.touch("agent", agent.id)

    def put_chat(self, chat: ChatRecord) -> None:
        """Add or replace a chat."""
        if chat.id not in self.chats:
            self._chats_by_customer.setdefault(chat.customer_id, []).append(chat.id)
        self.chats[chat.id] = chat
        self.touch("chat", chat.id)

    def put_thread(self, thread: ThreadRecord) -> None:
        """Add or replace a thread (its chat must list it in ``thread_ids``)."""
        self.threads[thread.id] = thread
        self.touch("thread", thread.id)

    def put_token(self, token: TokenRecord) -> None:
        """Add an access token."""
        self.tokens[token.token] = token
        self.touch("token", token.token)

    def put_code(self, code: CodeRecord) -> None:
        """Add an authorization code."""
        self.codes[code.code] = code
        self.touch("code", code.code)

    def delete_code(self, code: str) -> None:
        """Forget an authorization code."""
        if self.codes.pop(code, None) is not None:
            self.touch("code", code)

    def purge_expired(self, wall: float) -> None:
        """Forget the tokens and codes that expired at or before ``wall``."""
        for token in [t.token for t in self.tokens.values() if t.expires_at <= wall]:
            del self.tokens[token]
            self.touch("token", token)
        for code in [c.code for c in self.codes.values() if c.expires_at <= wall]:
            self.delete_code(code)

    # -- queries -----------------------------------------------------------------------------

    def chats_of(self, customer_id: str) -> list[ChatRecord]:
        """The customer's chats, oldest first."""
        return [self.chats[c] for c in self._chats_by_customer.get(customer_id, ())]

    def threads_of(self, chat: ChatRecord) -> list[ThreadRecord]:
        """The chat's threads, oldest first."""
        return [self.threads[t] for t in chat.thread_ids]

    def active_thread(self, chat: ChatRecord) -> ThreadRecord | None:
        """The chat's active thread (at most one), if any."""
        if chat.thread_ids:
            last = self.threads[chat.thread_ids[-1]]
            if last.active:
                return last
        return None

    def last_thread(self, chat: ChatRecord) -> ThreadRecord | None:
        """The chat's newest thread, if any."""
        return self.threads[chat.thread_ids[-1]] if chat.thread_ids else None

    # -- persistence -------------------------------------------------------------------------

    def _record(self, kind: str, key: str) -> Record:
        if kind == "meta":
            return Record(
                kind="meta",
                key="counters",
                data={"version": FORMAT_VERSION, **self._counters},
            )
        table: dict[str, Any] = getattr(self, kind + "s")
        item = table.get(key)
        return Record(kind=kind, key=key, data=None if item is None else dataclasses.asdict(item))

    def _all_keys(self) -> Iterator[tuple[str, str]]:
        yield ("meta", "counters")
        for kind in _KINDS:
            table: dict[str, Any] = getattr(self, kind + "s")
            for key in table:
                yield (kind, key)

    def dump(self) -> list[Record]:
        """Every record of the store (a snapshot; JSON-able data)."""
        return [self._record(kind, key) for kind, key in self._all_keys()]

    def drain_changes(self) -> list[Record]:
        """The records changed since the last call, in the order they first changed."""
        keys = list(self._dirty)
        self._dirty.clear()
        return [self._record(kind, key) for kind, key in keys]

    @classmethod
    def load(cls, records: Iterable[Record]) -> Store:
        """Build a store from :meth:`dump` output (or a dump with changes applied in order).

        Raises :class:`ValueError` for a record of an unknown kind or version.
        """
        store = cls()
        for record in records:
            if record.data is None:
                table: dict[str, Any] = getattr(store, record.kind + "s", {})
                table.pop(record.key, None)
                continue
            if record.kind == "meta":
                if record.data.get("version") != FORMAT_VERSION:
                    raise ValueError("unsupported store format version")
                for name in _COUNTERS:
                    store._counters[name] = int(record.data.get(name, 0))
                continue
            kind = _KINDS.get(record.kind)
            if kind is None:
                raise ValueError(f"unknown record kind {record.kind!r}")
            getattr(store, record.kind + "s")[record.key] = kind(**record.data)
        for chat in store.chats.values():
            store._chats_by_customer.setdefault(chat.customer_id, []).append(chat.id)
        for ids in store._chats_by_customer.values():
            ids.sort(key=lambda c: store.chats[c].id)
        return store
