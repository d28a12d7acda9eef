"""The async driver's lock (adapters._async._DriverLock): exclusive, FIFO, cancel-safe.

Each check runs on asyncio and trio, and the same schedule through ``anyio.Lock`` (what the
driver used before) must give the same order.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from adapters._async import _DriverLock

BACKENDS = ("asyncio", "trio")


async def _order(lock: Any, cancel: frozenset[int]) -> list[str]:
    """Five tasks queue for a held lock; those in ``cancel`` are cancelled while waiting."""
    log: list[str] = []
    inside = 0

    async def worker(i: int, scope: anyio.CancelScope) -> None:
        nonlocal inside
        with scope:
            async with lock:
                inside += 1
                assert inside == 1, "two holders"
                log.append(f"in {i}")
                await anyio.sleep(0.001)
                inside -= 1
            return
        log.append(f"cancelled {i}")

    scopes = [anyio.CancelScope() for _ in range(5)]
    async with anyio.create_task_group() as tg, lock:
        for i, scope in enumerate(scopes):
            tg.start_soon(worker, i, scope)
            await anyio.sleep(0.001)  # queue them in order
        for i in sorted(cancel):
            scopes[i].cancel()
        await anyio.sleep(0.001)
    return log


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cancel", [frozenset(), frozenset({0}), frozenset({1, 3}), frozenset({4})])
def test_waiters_get_the_lock_in_order_as_with_anyio_s(
    backend: str, cancel: frozenset[int]
) -> None:
    ours = anyio.run(_order, _DriverLock(), cancel, backend=backend)
    theirs = anyio.run(_order, anyio.Lock(fast_acquire=True), cancel, backend=backend)
    # trio wakes the cancelled tasks in a random order: compare those as sets
    assert sorted(ours) == sorted(theirs)
    assert [entry for entry in ours if entry.startswith("in")] == [
        f"in {i}" for i in range(5) if i not in cancel
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_waiter_cancelled_after_the_hand_over_passes_the_lock_on(backend: str) -> None:
    async def main() -> list[str]:
        lock, log = _DriverLock(), []
        first = anyio.CancelScope()

        async def waiter(name: str, scope: anyio.CancelScope) -> None:
            with scope:
                async with lock:
                    log.append(name)

        async with anyio.create_task_group() as tg:
            await lock.__aenter__()
            tg.start_soon(waiter, "first", first)
            await anyio.sleep(0.001)
            tg.start_soon(waiter, "second", anyio.CancelScope())
            await anyio.sleep(0.001)
            await lock.__aexit__(None, None, None)  # handed to "first" ...
            first.cancel()  # ... cancelled before it ran
        assert not lock.locked()
        return log

    # "first" may still run (the cancellation meets no checkpoint before its body); either
    # way the lock is not lost: "second" gets it, and it is free at the end.
    assert anyio.run(main, backend=backend)[-1:] == ["second"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_uncontended_lock_does_not_yield(backend: str) -> None:
    async def main() -> list[str]:
        lock, log = _DriverLock(), []

        async def other() -> None:
            log.append("other ran")

        async with anyio.create_task_group() as tg:
            tg.start_soon(other)
            async with lock:
                log.append("locked")
            log.append("released")
        return log

    assert anyio.run(main, backend=backend) == ["locked", "released", "other ran"]
