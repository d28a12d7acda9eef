"""Fault injection as data: switches the core and its I/O driver consult.

A :class:`Faults` object belongs to one :class:`~customer_protocol.server.server.ServerCore`
(``core.faults``) and may be changed at any time from Python. It holds

* **rules** (:class:`FaultRule`) that the core applies to requests -- protocol logic, so it
  lives here: drop the connection before or after the request changes the store, answer with an
  error, answer ``success`` without the echo push, delay or reorder the response, send a
  malformed frame or a push with missing fields;
* **flags** only the I/O layer can implement (:attr:`Faults.binary_frames`,
  :attr:`Faults.oversize_frames`, :attr:`Faults.ignore_pings`, :attr:`Faults.restart_requested`).
  The core stores them and never looks at them.

Rules apply to RTM requests; the Web API honours only :attr:`FaultKind.ERROR`.
A rule matches requests whose action is :attr:`FaultRule.action` (``None``: any action except
``ping``) and fires :attr:`FaultRule.times` times (``None``: forever); then it is removed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

__all__ = ["FaultKind", "FaultRule", "Faults"]


class FaultKind(enum.StrEnum):
    """What a :class:`FaultRule` does to a matching request."""

    DROP_BEFORE_STORE = "drop_before_store"
    """Close the requester's connection; the request is not carried out."""
    DROP_AFTER_STORE = "drop_after_store"
    """Carry the request out (store change, pushes to the customer's *other* connections), then
    close the requester's connection instead of answering it."""
    ERROR = "error"
    """Answer with an error of :attr:`FaultRule.error_type` (e.g. refuse ``login``)."""
    SKIP_PUSH = "skip_push"
    """Answer ``success`` but do not send the echo push (the one carrying the request_id)."""
    DELAY = "delay"
    """Hold the response back for :attr:`FaultRule.delay` seconds (pushes go at once)."""
    REORDER = "reorder"
    """Hold the response back until the connection's next response has been sent (or at most
    :attr:`FaultRule.delay` seconds)."""
    MALFORMED_JSON = "malformed_json"
    """Send a frame that is not valid JSON before the answer."""
    BROKEN_PUSH = "broken_push"
    """Send an ``incoming_event`` push missing its ``event`` before the answer."""
    ECHO_WITHOUT_REQUEST_ID = "echo_without_request_id"
    """Send the requester's echo push without the ``request_id`` (breaks ``wire.md`` §2)."""
    REQUEST_ID_TO_ALL = "request_id_to_all"
    """Send the ``request_id`` on the push to the customer's *other* connections too."""
    OLDEST_PAGE_FIRST = "oldest_page_first"
    """``get_chat_threads_summary``: serve ``offset`` 0 as the *oldest* page (breaks §4); v3
    ``list_threads`` without ``sort_order``: oldest first (breaks ``v3.md`` §11)."""
    UNANSWERED_PING = "unanswered_ping"
    """v3: do not answer the protocol ``ping`` (breaks ``v3.md`` §2)."""
    REQUEST_ID_ON_SIDE_EFFECTS = "request_id_on_side_effects"
    """Put the ``request_id`` on *every* push the request causes on the requester's
    connection, side effects too (e.g. ``deactivate_chat``'s system message; breaks
    ``v3.md`` §2)."""
    PUSH_WITHOUT_VERSION = "push_without_version"
    """v3: send the requester's copies of the pushes the request causes without ``version``
    (breaks ``v3.md`` §2)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """One fault switch. See :class:`FaultKind` for what each kind does."""

    kind: FaultKind
    action: str | None = None
    times: int | None = 1
    error_type: str = "internal"
    delay: float = 1.0

    def __post_init__(self) -> None:
        if self.times is not None and (not isinstance(self.times, int) or self.times <= 0):
            raise ValueError("FaultRule.times must be a positive integer or None")
        if self.delay < 0:
            raise ValueError("FaultRule.delay must not be negative")


class Faults:
    """The fault switches of one server (mutable; change them between inputs)."""

    __slots__ = (
        "_rules",
        "binary_frames",
        "drop_after_messages",
        "ignore_pings",
        "oversize_frames",
        "restart_requested",
    )

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self.drop_after_messages: int | None = None
        """Close every connection after it has sent this many messages (core-applied)."""
        self.binary_frames: bool = False
        """I/O layer: send messages as binary frames instead of text frames."""
        self.oversize_frames: bool = False
        """I/O layer: send one frame larger than the client's size limit."""
        self.ignore_pings: bool = False
        """I/O layer: stop answering WebSocket pings."""
        self.restart_requested: bool = False
        """I/O layer: drop every connection, reload the store from persistence, go on."""

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        """The active rules, oldest first."""
        return tuple(self._rules)

    def add(self, rule: FaultRule) -> FaultRule:
        """Activate ``rule`` and return it."""
        if not isinstance(rule, FaultRule):
            raise TypeError("Faults.add() takes a FaultRule")
        self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Deactivate ``rule`` (no error when it is already gone)."""
        if rule in self._rules:
            self._rules.remove(rule)

    def clear(self) -> None:
        """Turn every rule and flag off."""
        self._rules.clear()
        self.drop_after_messages = None
        self.binary_frames = self.oversize_frames = False
        self.ignore_pings = self.restart_requested = False

    def take(self, kind: FaultKind, action: str) -> FaultRule | None:
        """The first rule of ``kind`` matching ``action``, consuming one of its uses."""
        for index, rule in enumerate(self._rules):
            if rule.kind is kind and rule.action in (None, action):
                if rule.times == 1:
                    del self._rules[index]
                elif rule.times is not None:
                    self._rules[index] = replace(rule, times=rule.times - 1)
                return rule
        return None
