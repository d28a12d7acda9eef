"""Exactly-once ``send_event`` across reconnects (``spec/sdk.md`` section 2, **(beyond)**).

A ``send_event`` in flight when the link drops is not failed: it is *held*. After the next
login, :meth:`Reconciler.start` looks for each held event's ``custom_id`` in the newest threads
of its chat (the dialect's lookup: ``get_chat_threads_summary`` then ``get_chat_threads`` in
v0.3). A found event resolves its
request; the others are handed back, in their original order, to be sent again before anything
queued later. While that runs the client holds its outbox, so nothing overtakes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import CustomerSDKError
from .requests import PendingRequest

__all__ = ["Lookup", "Reconciler"]

Lookup = Callable[
    [
        str,
        Callable[[PendingRequest], None],
        Callable[[Mapping[str, Any]], None],
        Callable[[CustomerSDKError], None],
        int,
    ],
    None,
]
"""A dialect's lookup: ``(chat, write, found, failed, threads)``; see
:meth:`customer_protocol.dialects.base.Dialect.reconcile_lookup`."""


class Reconciler:
    """The held sends and the lookups in progress. Pure: it only writes through ``write``."""

    __slots__ = ("_active", "_chats", "_done", "_lookup", "_threads", "_write", "held")

    def __init__(
        self,
        *,
        write: Callable[[PendingRequest], None],
        lookup: Lookup,
        active: Callable[[], bool],
        done: Callable[[list[PendingRequest]], None],
        threads: int,
    ) -> None:
        self._write = write
        self._lookup = lookup
        self._active = active
        self._done = done
        self._threads = threads
        self._chats: set[str] = set()
        self.held: list[PendingRequest] = []
        """Sends waiting to be found or sent again, in their original order."""

    def hold(self, request: PendingRequest) -> None:
        """Keep ``request`` (written, unanswered) for the next connection."""
        self.held.append(request)

    def start(self) -> None:
        """Logged in again: look every held send up, one chat at a time in parallel."""
        chats = list(dict.fromkeys(request.chat or "" for request in self.held))
        self._chats = set(chats)
        for chat in chats:
            self._look_up(chat)

    def abort(self) -> None:
        """The link dropped during the lookups: keep everything held for the next login."""
        self._chats.clear()

    def take_all(self) -> list[PendingRequest]:
        """Remove and return every held send (the client stops; they will be failed)."""
        held, self.held = self.held, []
        self._chats.clear()
        return held

    def _look_up(self, chat: str) -> None:
        def on_error(error: CustomerSDKError) -> None:
            if chat in self._chats and self._active():
                self._settle(chat, {}, error)

        def on_found(found: Mapping[str, Any]) -> None:
            self._settle(chat, found, None)

        self._lookup(chat, self._write, on_found, on_error, self._threads)

    def _settle(self, chat: str, found: Mapping[str, Any], error: CustomerSDKError | None) -> None:
        """The lookup of ``chat`` ended: resolve what was found; fail all on a server error."""
        if chat not in self._chats:
            return
        self._chats.discard(chat)
        keep = []
        for request in self.held:
            if request.chat != chat:
                keep.append(request)
            elif error is not None:
                request.fail(error)
            elif request.custom_id is not None and request.custom_id in found:
                request.succeed(found[request.custom_id])
            else:
                keep.append(request)
        self.held = keep
        if not self._chats:
            resend, self.held = self.held, []
            self._done(resend)
