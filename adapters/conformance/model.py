"""Scenarios as data, and their results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .context import Context

__all__ = ["Result", "Scenario", "Status", "scenario"]

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One conformance check: ``id``, the ``spec`` section it tests, what it checks
    (``title``) and the function that drives it (raises ``Failed`` or ``Skipped``)."""

    id: str
    spec: str
    title: str
    run: Callable[[Context], Awaitable[None]] = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """How one scenario went. ``expected``/``seen`` explain a failure, ``reason`` a skip."""

    id: str
    spec: str
    title: str
    status: Status
    expected: str = ""
    seen: str = ""
    reason: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object (the ``--json`` report)."""
        return {
            "id": self.id,
            "spec": self.spec,
            "title": self.title,
            "status": self.status,
            "expected": self.expected,
            "seen": self.seen,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


def scenario(
    id: str,
    spec: str,
    title: str,
    run: Callable[[Context], Awaitable[None]],
) -> Scenario:
    """A :class:`Scenario`, positionally (for the compact tables of the v3 modules)."""
    return Scenario(id=id, spec=spec, title=title, run=run)
