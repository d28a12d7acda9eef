"""Reconnect backoff (``spec/sdk.md`` section 1) and a seedable random source.

Attempt ``n`` (from 0) waits ``base = 1000 ms * 2**n``; one draw ``r`` in [0, 1) gives
``deviation = floor(r * 0.5 * base)``, subtracted when ``floor(r * 10)`` is even and added
otherwise; the result is capped at 5000 ms.
"""

from __future__ import annotations

import math

__all__ = ["SeededRandom", "backoff_delay"]


def backoff_delay(attempt: int, r: float, *, base: float = 1.0, cap: float = 5.0) -> float:
    """The wait in seconds before reconnect attempt ``attempt``, given one random draw ``r``."""
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    if not 0.0 <= r < 1.0:
        raise ValueError("r must be in [0, 1)")
    base_ms = base * 1000.0 * 2.0 ** min(attempt, 64)
    deviation = math.floor(r * 0.5 * base_ms)
    delay_ms = base_ms - deviation if math.floor(r * 10) % 2 == 0 else base_ms + deviation
    return min(delay_ms, cap * 1000.0) / 1000.0


class SeededRandom:
    """A small deterministic source of floats in [0, 1) (splitmix64).

    The core's default, so that a client built without a random source still behaves the same
    on every run. Drivers pass ``random.random`` (or ``random.SystemRandom().random``) instead.
    """

    __slots__ = ("_state",)
    _MASK = (1 << 64) - 1

    def __init__(self, seed: int = 0) -> None:
        self._state = seed & self._MASK

    def __call__(self) -> float:
        self._state = (self._state + 0x9E3779B97F4A7C15) & self._MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        z ^= z >> 31
        return (z >> 11) / float(1 << 53)
