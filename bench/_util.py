"""Shared helpers: sample messages, a ready client core, timing and subprocesses."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CHAT_ID = "PJ0MRSHTDG"
THREAD_ID = "PZ070E0W1B"
AGENT_ID = "b7eff798-f8df-4364-8059-649c35c9ed0c"


def incoming_event(i: int, *, request_id: str | None = None, custom_id: str | None = None) -> dict:
    """One realistic ``incoming_event`` push (a message from the agent), ~300 bytes."""
    event: dict[str, Any] = {
        "id": f"{THREAD_ID}_{i}",
        "order": i,
        "type": "message",
        "author_id": AGENT_ID,
        "timestamp": 1508414284 + i,
        "text": f"Hello! This is message number {i}. How can I help you today?",
        "properties": {},
    }
    if custom_id is not None:
        event["custom_id"] = custom_id
    message: dict[str, Any] = {
        "action": "incoming_event",
        "type": "push",
        "payload": {"chat_id": CHAT_ID, "thread_id": THREAD_ID, "event": event},
    }
    if request_id is not None:
        message = {"request_id": request_id, **message}
    return message


def push_messages(n: int) -> list[bytes]:
    """``n`` distinct incoming_event pushes, compact JSON bytes."""
    return [json.dumps(incoming_event(i), separators=(",", ":")).encode() for i in range(1, n + 1)]


ORGANIZATION_ID = "390e44e6-f1e6-4368-a6dd-b74a14508c2e"
CUSTOMER_ID = "c0ffee00-0000-4000-8000-000000000001"


def rfc3339(seconds: int) -> str:
    """``seconds`` since the epoch as v3 writes timestamps (RFC 3339, microseconds, UTC)."""
    moment = time.gmtime(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{(seconds * 7919) % 1000:03d}000Z"


def incoming_event_v3(i: int) -> dict:
    """One v3.6 ``incoming_event`` push (the docs' shape: ``created_at``, ``recipients``)."""
    event: dict[str, Any] = {
        "id": f"{THREAD_ID}_{i}",
        "created_at": rfc3339(1700000000 + i),
        "recipients": "all",
        "type": "message",
        "properties": {},
        "text": f"Hello! This is message number {i}. How can I help you today?",
        "author_id": AGENT_ID,
    }
    return {
        "action": "incoming_event",
        "type": "push",
        "payload": {"chat_id": CHAT_ID, "thread_id": THREAD_ID, "event": event},
    }


def push_messages_v3(n: int) -> list[bytes]:
    """``n`` distinct v3.6 incoming_event pushes, compact JSON bytes."""
    return [
        json.dumps(incoming_event_v3(i), separators=(",", ":")).encode() for i in range(1, n + 1)
    ]


@dataclass
class Figure:
    """One measured figure: the ratio (ours / baseline, higher is better unless noted)."""

    key: str
    title: str
    target: str
    ratio: float | None = None
    ours: float | None = None
    baseline: float | None = None
    unit: str = "/s"
    ok: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def best_of(func: Callable[[], float], rounds: int) -> float:
    """The fastest of ``rounds`` timings of ``func()`` (which returns seconds)."""
    return min(func() for _ in range(rounds))


@contextmanager
def collector_off() -> Iterator[None]:
    """The cyclic garbage collector collected, then off for the block (as ``timeit`` runs)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def paired(
    ours: Callable[[], float], base: Callable[[], float], rounds: int
) -> tuple[float, float, float]:
    """Time ``ours`` and ``base`` alternately; returns (median ratio base/ours, t_ours, t_base).

    Both return elapsed seconds for the same amount of work, so base/ours is the throughput
    ratio of ours to the baseline. Each round's ratio is taken between neighbouring runs.
    The cyclic garbage collector is off while either side runs, as ``timeit`` does: these
    micro-benchmarks keep every request they make alive (no server answers them), and the
    collector's passes over that growing heap would otherwise be billed to whichever side
    happened to allocate when a pass started.
    """
    ratios, t_ours, t_base = [], [], []
    for i in range(rounds):
        with collector_off():
            if i % 2:
                a = ours()
                b = base()
            else:
                b = base()
                a = ours()
        t_ours.append(a)
        t_base.append(b)
        ratios.append(b / a)
    return median(ratios), median(t_ours), median(t_base)


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


@contextmanager
def subprocess_server(module: str, *args: str) -> Iterator[tuple[int, str, subprocess.Popen[str]]]:
    """Run ``python -m <module> <args>``; it prints its port first on its first line.

    Yields ``(port, first line, process)``; the server exits when its stdin closes.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{module} did not start (exit {proc.wait()})")
        yield int(line.split()[0]), line, proc
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the server exits when its stdin closes
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
