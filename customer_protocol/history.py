"""The chat history cursor of ``spec/sdk.md`` section 7, as a pure planner.

A :class:`HistoryPlanner` decides which request each ``next()`` needs and folds the answers in;
the client sends the requests. State only changes when a batch has loaded completely, so a failed
``next()`` can simply be retried. The position is a small serialisable
:class:`HistoryPosition`, so loading can resume after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidArgumentsError
from .models import Event, Thread, ThreadsSummary

__all__ = ["SUMMARY_PAGE", "HistoryPlanner", "HistoryPosition"]

SUMMARY_PAGE = 25
"""The ``limit`` of the ``get_chat_threads_summary`` pages the cursor reads."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryPosition:
    """Where a cursor is: threads still to load, and summaries already read but not loaded
    (v0.3), or the ``next_page_id`` of ``list_threads`` (v3, ``page_id``)."""

    chat: str
    left_to_fetch: int | None = None
    leftovers: tuple[tuple[str, int, int], ...] = ()
    done: bool = False
    page_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form of the position."""
        data: dict[str, Any] = {
            "chat": self.chat,
            "left_to_fetch": self.left_to_fetch,
            "leftovers": [list(item) for item in self.leftovers],
            "done": self.done,
        }
        if self.page_id is not None:
            data["page_id"] = self.page_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryPosition:
        """Rebuild a position from :meth:`to_dict` output; ``INVALID_ARGS`` if malformed."""
        try:
            chat = data["chat"]
            left = data.get("left_to_fetch")
            leftovers = tuple(
                (str(thread_id), int(order), int(total))
                for thread_id, order, total in data.get("leftovers", ())
            )
            done = bool(data.get("done", False))
            page_id = data.get("page_id")
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentsError("Malformed history position.") from exc
        if not isinstance(chat, str) or not chat:
            raise InvalidArgumentsError("Malformed history position.")
        if left is not None and (not isinstance(left, int) or left < 0):
            raise InvalidArgumentsError("Malformed history position.")
        if page_id is not None and (not isinstance(page_id, str) or not page_id):
            raise InvalidArgumentsError("Malformed history position.")
        return cls(chat=chat, left_to_fetch=left, leftovers=leftovers, done=done, page_id=page_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryStep:
    """Read ``get_chat_threads_summary(offset, limit)``; ``probe`` only reads the total."""

    offset: int
    limit: int | None
    probe: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadsStep:
    """Load these threads with ``get_chat_threads``."""

    thread_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DoneStep:
    """No request: the call ends with ``HistoryBatch(done=True, value=events)``."""

    events: tuple[Event, ...] | None


Step = SummaryStep | ThreadsStep | DoneStep


class HistoryPlanner:
    """The decisions of one history cursor. Drive one ``next()`` at a time:

    1. :meth:`begin` gives the first step;
    2. feed each answer with :meth:`on_summary` / :meth:`on_threads`, each giving the next step;
    3. a :class:`DoneStep`-free answer to :meth:`on_threads` ends the call: the planner has
       committed its new position and :meth:`finish` gives the batch.

    If a request fails, call :meth:`abort`; the position is unchanged.
    """

    __slots__ = ("_batch", "_loading", "_pending", "_position", "_threads_left")

    def __init__(self, position: HistoryPosition, *, batch_events: int = 50) -> None:
        self._position = position
        self._batch = batch_events
        self._pending: HistoryPosition | None = None
        self._loading: tuple[str, ...] = ()
        self._threads_left = 0

    @property
    def position(self) -> HistoryPosition:
        """The committed position (serialise it to resume later)."""
        return self._position

    @property
    def chat(self) -> str:
        """The chat this cursor reads."""
        return self._position.chat

    def begin(self) -> Step:
        """The first step of a ``next()`` call."""
        position = self._position
        if position.done:
            return DoneStep(events=None)
        if position.left_to_fetch is None:
            return SummaryStep(offset=0, limit=SUMMARY_PAGE)
        if position.leftovers:
            return self._split(list(position.leftovers), position.left_to_fetch)
        return SummaryStep(offset=0, limit=SUMMARY_PAGE, probe=True)

    def on_summary(self, step: SummaryStep, summary: ThreadsSummary) -> Step:
        """Fold in the answer to ``step``; returns the next step."""
        position = self._position
        if step.probe:
            left = position.left_to_fetch or 0
            offset = max(summary.total_threads - left, 0)
            return SummaryStep(offset=offset, limit=SUMMARY_PAGE)
        left = summary.total_threads if position.left_to_fetch is None else position.left_to_fetch
        items = [(s.id, s.order, s.total_events) for s in summary.threads_summary]
        if left <= 0 or not items:
            # No threads, or an empty page: the cursor ends here instead of looping.
            self._pending = HistoryPosition(chat=position.chat, left_to_fetch=0, done=True)
            self._commit()
            return DoneStep(events=())
        return self._split(items, left)

    def _split(self, items: list[tuple[str, int, int]], left: int) -> Step:
        items.sort(key=lambda item: item[1])
        total = 0
        cut = len(items)
        while cut > 0 and total < self._batch:
            cut -= 1
            total += items[cut][2]
        load, rest = items[cut:], items[:cut]
        self._loading = tuple(item[0] for item in load)
        self._threads_left = left
        self._pending = HistoryPosition(
            chat=self._position.chat, left_to_fetch=left, leftovers=tuple(rest)
        )
        return ThreadsStep(thread_ids=self._loading)

    def on_threads(self, threads: Sequence[Thread]) -> DoneStep:
        """Fold in the loaded threads; commits the new position and returns the batch."""
        pending = self._pending
        if pending is None:
            raise RuntimeError("on_threads() without a ThreadsStep")  # pragma: no cover
        left = max(self._threads_left - len(self._loading), 0)
        short = len(threads) < len(self._loading)
        done = left == 0 or short
        self._pending = HistoryPosition(
            chat=pending.chat,
            left_to_fetch=0 if short else left,
            leftovers=() if done else pending.leftovers,
            done=done,
        )
        self._commit()
        ordered = sorted(threads, key=lambda thread: thread.order)
        events = tuple(event for thread in ordered for event in thread.events)
        return DoneStep(events=events)

    @property
    def done(self) -> bool:
        """Whether the whole history has been loaded."""
        return self._position.done

    def abort(self) -> None:
        """Forget the call in progress; the position stays where it was."""
        self._pending = None
        self._loading = ()

    def _commit(self) -> None:
        if self._pending is not None:
            self._position = self._pending
        self._pending = None
        self._loading = ()
