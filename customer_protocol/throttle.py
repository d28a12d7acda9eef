"""The per-chat sneak-peek throttle (``spec/sdk.md`` section 6), as pure state.

At most one sneak peek per chat every ``interval`` seconds, on the leading and the trailing edge,
the latest text winning: ``"h"`` at 0 is sent at 0; ``"he"`` at 0.5 and ``"hel"`` at 1.0 leave
``"hel"`` to be sent at 2.0.
"""

from __future__ import annotations

__all__ = ["SneakPeekThrottle"]


class SneakPeekThrottle:
    """Decides when each chat's sneak peek goes out; the caller owns the timers."""

    __slots__ = ("_interval", "_last", "_pending")

    def __init__(self, interval: float = 2.0) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._pending: dict[str, str] = {}

    def offer(self, chat: str, text: str, now: float) -> tuple[str | None, float | None]:
        """Offer a new text for ``chat``.

        Returns ``(text_to_send_now, None)`` on the leading edge, or ``(None, deadline)`` when
        the text must wait: call :meth:`fire` for ``chat`` at ``deadline``.
        """
        last = self._last.get(chat)
        if last is None or now - last >= self._interval:
            self._pending.pop(chat, None)
            return text, None
        self._pending[chat] = text
        return None, last + self._interval

    def sent(self, chat: str, now: float) -> None:
        """Record that a sneak peek for ``chat`` went out at ``now``."""
        self._last[chat] = now

    def fire(self, chat: str) -> str | None:
        """The trailing edge for ``chat``: the latest waiting text, if any."""
        return self._pending.pop(chat, None)

    def forget(self) -> None:
        """Drop every waiting text (the client stopped)."""
        self._pending.clear()
        self._last.clear()
