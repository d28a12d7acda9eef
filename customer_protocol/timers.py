"""A deadline registry: many named deadlines, the earliest one in O(log n)."""

from __future__ import annotations

import heapq
from collections.abc import Hashable

__all__ = ["Timers"]


class Timers:
    """Named deadlines. Re-scheduling a name replaces its deadline."""

    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable]] = []
        self._live: dict[Hashable, tuple[float, int]] = {}
        self._seq = 0

    def tick(self) -> int:
        """Take a sequence number: the tie-break of a deadline scheduled later with it.

        A caller that keeps many deadlines behind one name (see :meth:`schedule`) takes one
        per deadline, so equal deadlines still fire in the order they were set.
        """
        self._seq += 1
        return self._seq

    def schedule(self, name: Hashable, when: float, seq: int | None = None) -> None:
        """Set (or move) deadline ``name`` to ``when``.

        Deadlines due at the same time fire in the order they were scheduled, or by ``seq``
        (from :meth:`tick`) when one is given.
        """
        if seq is None:
            self._seq += 1
            seq = self._seq
        self._live[name] = (when, seq)
        heapq.heappush(self._heap, (when, seq, name))
        if len(self._heap) > 64 and len(self._heap) > 4 * len(self._live):
            self._compact()

    def cancel(self, name: Hashable) -> None:
        """Remove deadline ``name`` if it is set."""
        self._live.pop(name, None)

    def __contains__(self, name: Hashable) -> bool:
        return name in self._live

    def when(self, name: Hashable) -> float | None:
        """The deadline of ``name``, or ``None``."""
        entry = self._live.get(name)
        return None if entry is None else entry[0]

    def next(self) -> float | None:
        """The earliest deadline, or ``None``."""
        heap = self._heap
        while heap:
            when, seq, name = heap[0]
            if self._live.get(name) == (when, seq):
                return when
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> Hashable | None:
        """Remove and return the earliest deadline that is due at ``now``, or ``None``."""
        when = self.next()
        if when is None or when > now:
            return None
        _, _, name = heapq.heappop(self._heap)
        del self._live[name]
        return name

    def clear(self) -> None:
        """Remove every deadline."""
        self._heap.clear()
        self._live.clear()

    def _compact(self) -> None:
        self._heap = [(when, seq, name) for name, (when, seq) in self._live.items()]
        heapq.heapify(self._heap)
