"""Exactly-once ``send_event`` across reconnects (``spec/sdk.md`` section 2, **(beyond)**).

A ``send_event`` in flight when the link drops is not failed: it is *held*. After the next
login, :meth:`Reconciler.start` looks for each held event's ``custom_id`` in every thread of its
chat that can hold it: from the thread that was the chat's newest known one when the send was
written (its ``since``) up to the newest, however many started meanwhile. The dialect reads the
pages (:meth:`customer_protocol.dialects.base.Dialect.lookup_page`: v0.3 reads
``get_chat_threads_summary`` pages newest first and loads each page's threads with
``get_chat_threads``; v3 reads ``list_threads`` pages), and the lookup stops as soon as every
held send of the chat is found, the page reaches the ``since`` thread, or the chat has no older
thread. (When the client never saw a
thread of the chat, every thread can hold the send and the lookup may read them all, one page at
a time.) A found event resolves its request; the others are handed back, in their original order,
to be sent again before anything queued later. While that runs the client holds its outbox, so
nothing overtakes them.

A push whose event carries the ``custom_id`` of a held send resolves that send the same way
(:meth:`Reconciler.claim`) and is not emitted as a ``new_event``: the server may deliver our
own stored event to the new connection without our ``request_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from .errors import CustomerSDKError
from .events import NewEvent, SDKEvent
from .models import Event, Thread
from .requests import PendingRequest

__all__ = ["RECONCILED_MEMORY", "LookupPage", "LookupState", "Reconciler"]

RECONCILED_MEMORY: Final = 256
"""How many reconciled sends are remembered, so that a late push of one is not a new_event."""


class LookupState:
    """The lookup of one chat: where the next page starts (the dialect's ``cursor``: an offset
    in v0.3, a ``page_id`` in v3; ``None`` for the newest page), the threads already read, and
    the oldest thread that can hold a held send (``since``)."""

    __slots__ = ("cursor", "seen", "since")

    def __init__(self, since: tuple[int, str] | None) -> None:
        self.since = since
        self.cursor: Any = None
        self.seen: set[str] = set()

    def wanted(self, page: Sequence[tuple[int, str]]) -> tuple[list[str], bool]:
        """Of a page of ``(order, id)`` (any order): the ids not read yet that can hold a
        held send, newest first, and whether the page reaches ``since`` (the last page)."""
        since = self.since
        ordered = sorted(page, reverse=True)
        wanted = [
            tid for order, tid in ordered if since is None or order >= since[0] or tid == since[1]
        ]
        new = [tid for tid in wanted if tid not in self.seen]
        self.seen.update(tid for _, tid in ordered)
        reached = since is not None and any(
            order <= since[0] or tid == since[1] for order, tid in ordered
        )
        return new, reached


LookupPage = Callable[
    [
        str,
        LookupState,
        Callable[[PendingRequest], None],
        Callable[[Sequence[Thread], bool], None],
        Callable[[CustomerSDKError], None],
    ],
    None,
]
"""A dialect's page reader ``(chat, state, write, on_page(threads, last), on_error)``."""


class Reconciler:
    """The held sends and the lookups in progress. Pure: it only writes through ``write``."""

    __slots__ = (
        "_active",
        "_done",
        "_lookups",
        "_page",
        "_reconciled",
        "_round",
        "_write",
        "held",
    )

    def __init__(
        self,
        *,
        write: Callable[[PendingRequest], None],
        page: LookupPage,
        active: Callable[[], bool],
        done: Callable[[list[PendingRequest]], None],
    ) -> None:
        self._write = write
        self._page = page
        self._active = active
        self._done = done
        self._lookups: dict[str, LookupState] = {}
        self._round = 0
        self.held: list[PendingRequest] = []
        """Sends waiting to be found or sent again, in their original order."""
        self._reconciled: dict[tuple[str, str], None] = {}  # (chat, custom_id), oldest first

    def hold(self, request: PendingRequest) -> None:
        """Keep ``request`` (written, unanswered) for the next connection."""
        self.held.append(request)

    def start(self) -> None:
        """Logged in again: look every held send up, one chat at a time in parallel."""
        self._round += 1
        chats = list(dict.fromkeys(request.chat or "" for request in self.held))
        self._lookups = {chat: LookupState(self._since(chat)) for chat in chats}
        for chat in chats:
            self._read_page(chat, self._round, self._lookups[chat])

    def abort(self) -> None:
        """The link dropped during the lookups: keep everything held for the next login."""
        self._round += 1
        self._lookups.clear()

    def take_all(self) -> list[PendingRequest]:
        """Remove and return every held send (the client stops; they will be failed)."""
        held, self.held = self.held, []
        self._reconciled.clear()
        self.abort()
        return held

    @property
    def claims(self) -> bool:
        """Whether :meth:`claim` can take anything (a send is held or was just reconciled)."""
        return bool(self.held or self._reconciled)

    def claim(self, events: list[SDKEvent]) -> list[SDKEvent]:
        """Resolve the held sends whose event a push carries; the events left to emit.

        A ``new_event`` whose event has the ``custom_id`` of a held send of the same chat ends
        that send with the event (as the lookup would) and is not emitted. Nor is one of a send
        the lookup already resolved (the server's push can come after the lookup's answer).
        """
        kept: list[SDKEvent] = []
        for event in events:
            if isinstance(event, NewEvent) and (
                (event.chat, event.event.custom_id) in self._reconciled
                or self._resolve(event.chat, (event.event,))
            ):
                continue
            kept.append(event)
        return kept

    # ----------------------------------------------------------------------------------------

    def _since(self, chat: str) -> tuple[int, str] | None:
        """The oldest ``since`` of the chat's held sends (``None``: any thread can hold one)."""
        marks = [request.since for request in self.held if request.chat == chat]
        if not marks or any(mark is None for mark in marks):
            return None
        return min(mark for mark in marks if mark is not None)

    def _resolve(self, chat: str, events: Iterable[Event]) -> bool:
        """End the held sends of ``chat`` whose ``custom_id`` one of ``events`` carries."""
        found = {event.custom_id: event for event in events if event.custom_id is not None}
        if not found:
            return False
        keep: list[PendingRequest] = []
        resolved = False
        for request in self.held:
            key = request.custom_id if request.chat == chat else None
            event = found.get(key) if key is not None else None
            if event is None:
                keep.append(request)
            else:
                resolved = True
                request.succeed(event)
                self._reconciled[chat, event.custom_id or ""] = None
                if len(self._reconciled) > RECONCILED_MEMORY:
                    del self._reconciled[next(iter(self._reconciled))]
        self.held = keep
        return resolved

    def _waiting(self, chat: str) -> bool:
        return any(request.chat == chat for request in self.held)

    def _current(self, chat: str, round_: int) -> LookupState | None:
        if round_ != self._round:
            return None
        return self._lookups.get(chat)

    def _read_page(self, chat: str, round_: int, lookup: LookupState) -> None:
        if not self._waiting(chat):  # every send of the chat was claimed by a push
            self._settle(chat, None)
            return

        def on_error(error: CustomerSDKError) -> None:
            if self._current(chat, round_) is not None and self._active():
                self._settle(chat, error)

        def on_page(threads: Sequence[Thread], last: bool) -> None:
            # (A dropped link fails the lookup's requests, it never answers them late; the
            # round check is a guard, not a path.)
            if self._current(chat, round_) is not lookup:  # pragma: no cover - a guard
                return
            self._resolve(chat, (event for thread in threads for event in thread.events))
            if last or not self._waiting(chat):
                self._settle(chat, None)
            else:
                self._read_page(chat, round_, lookup)

        self._page(chat, lookup, self._write, on_page, on_error)

    def _settle(self, chat: str, error: CustomerSDKError | None) -> None:
        """The lookup of ``chat`` ended; a server error fails the chat's held sends."""
        if self._lookups.pop(chat, None) is None:
            return  # pragma: no cover - a guard: one request per lookup is in flight
        if error is not None:
            keep = []
            for request in self.held:
                if request.chat == chat:
                    request.fail(error)
                else:
                    keep.append(request)
            self.held = keep
        if not self._lookups:
            resend, self.held = self.held, []
            self._done(resend)

    def __repr__(self) -> str:
        return f"Reconciler(held={len(self.held)}, lookups={sorted(self._lookups)})"
