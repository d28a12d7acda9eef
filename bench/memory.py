"""Figures 8-10: memory under a push backlog, a long history, and 1,000 clients.

Each measurement runs in a fresh process (``python -m bench.memory <figure> ...`` prints one
JSON line), which starts its own server subprocess, so tracemalloc and the peak RSS only see
the client side.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from contextlib import AsyncExitStack
from typing import Any

import anyio

from bench._util import ROOT, Figure, subprocess_server


def _rss_kib() -> int:
    """The peak resident set size of this process, KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _current_rss_kib() -> int:
    """The current resident set size (Linux), KiB; 0 where /proc is not available."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() // 1024
    except OSError:
        return 0


# -- in the child process ---------------------------------------------------------------------


_TRACE = True
"""Trace allocations (tracemalloc's own bookkeeping inflates the RSS: measure RSS without)."""


async def _backlog_async(url: str, n: int) -> dict[str, Any]:
    from adapters._async import connect

    if _TRACE:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    count = rss = 0
    async with connect(license_id=1, token="bench", url=url) as client:
        events = client.events("new_event")
        async for _ in events:
            count += 1
            if count == 1:
                await anyio.sleep(1.0)  # the application is busy: the backlog fills
            elif count % 100 == 0:
                await anyio.sleep(0.001)  # then it reads more slowly than pushes arrive
                if count % 1000 == 0:
                    rss = max(rss, _current_rss_kib())
            if count == n:
                break
        await events.aclose()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    return {"count": count, "peak": peak, "seconds": elapsed, "rss_kib": rss}


def _backlog_sync(url: str, n: int) -> dict[str, Any]:
    from adapters.sync import connect

    if _TRACE:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    count = rss = 0
    with connect(license_id=1, token="bench", url=url) as client:
        for _ in client.events("new_event", timeout=30):
            count += 1
            if count == 1:
                time.sleep(1.0)
            elif count % 100 == 0:
                time.sleep(0.001)
                if count % 1000 == 0:
                    rss = max(rss, _current_rss_kib())
            if count == n:
                break
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    return {"count": count, "peak": peak, "seconds": elapsed, "rss_kib": rss}


def child_backlog(kind: str, n: int, trace: bool = True) -> dict[str, Any]:
    global _TRACE  # noqa: PLW0603 - one measurement per process
    _TRACE = trace
    server = ("bench.pushserver", "--pushes", str(n), "--delay", "0.3")
    with subprocess_server(*server) as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        if kind == "sync":
            result = _backlog_sync(url, n)
        else:
            result = anyio.run(_backlog_async, url, n, backend=kind)
    return result


async def _history(url: str, token: str, chat: str) -> dict[str, Any]:
    from adapters._async import connect

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    count = batches = 0
    async with connect(license_id=1, token=token, url=url) as client:
        start = time.perf_counter()
        async for batch in client.get_chat_history(chat):
            count += len(batch)
            batches += 1
        elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    return {"count": count, "batches": batches, "peak": peak, "seconds": elapsed}


def child_history(threads: int, events: int) -> dict[str, Any]:
    args = ("bench.refserver", "--threads", str(threads), "--events", str(events))
    with subprocess_server(*args) as (port, line, _):
        info = json.loads(line.split(None, 1)[1])
        result = anyio.run(_history, f"ws://127.0.0.1:{port}", info["tokens"][0], info["chat"])
    result["rss_kib"] = _rss_kib()
    return result


async def _scale(url: str, tokens: list[str], proc: subprocess.Popen[str]) -> dict[str, Any]:
    from adapters._async import connect

    received = 0
    done = anyio.Event()

    def on_push(event: object) -> None:
        nonlocal received
        received += 1
        if received == len(tokens):
            done.set()

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rss_before = _current_rss_kib()
    async with AsyncExitStack() as stack:
        start = time.perf_counter()
        for token in tokens:
            client = connect(license_id=1, token=token, url=url)
            client.on("bench_broadcast", on_push)
            await stack.enter_async_context(client)
        connect_seconds = time.perf_counter() - start
        per_client = (tracemalloc.get_traced_memory()[0] - base) / len(tokens)
        rss_per_client = (_current_rss_kib() - rss_before) * 1024 / len(tokens)
        assert proc.stdin is not None and proc.stdout is not None
        start = time.perf_counter()
        proc.stdin.write("broadcast\n")
        proc.stdin.flush()
        with anyio.fail_after(60):
            await done.wait()
        broadcast_seconds = time.perf_counter() - start
        sent = await anyio.to_thread.run_sync(proc.stdout.readline)
    return {
        "clients": len(tokens),
        "received": received,
        "sent": int(sent.split()[1]),
        "per_client": per_client,
        "rss_per_client": rss_per_client,
        "connect_seconds": connect_seconds,
        "broadcast_seconds": broadcast_seconds,
    }


def child_scale(customers: int) -> dict[str, Any]:
    with subprocess_server("bench.refserver", "--customers", str(customers)) as (port, line, proc):
        info = json.loads(line.split(None, 1)[1])
        return anyio.run(_scale, f"ws://127.0.0.1:{port}", info["tokens"], proc)


# -- in the parent ----------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", *args],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode:
        raise RuntimeError(f"bench.memory {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def fig_backlog(n: int) -> list[Figure]:
    figures = []
    # The RSS sampled while reading (ru_maxrss would include the parent's, kept across exec).
    rss = _child("backlog", "asyncio", str(n), "untraced")["rss_kib"] / 1024
    for kind in ("asyncio", "trio", "sync"):
        result = _child("backlog", kind, str(n))
        per_push = result["peak"] / n
        figures.append(
            Figure(
                f"backlog_{kind}",
                f"backlog of {n:,} pushes, slow reader, {kind}: peak traced KiB",
                "bounded (<< 2 KiB/push)",
                per_push,
                result["peak"] / 1024,
                None,
                unit="KiB",
                ok=result["count"] == n and per_push < 200,
                notes=f"{per_push:.0f} B per push; {result['seconds']:.1f} s traced"
                + (f"; RSS untraced {rss:.0f} MiB (whole process)" if kind == "asyncio" else ""),
                extra=result,
            )
        )
    return figures


def fig_history(threads: int, events: int) -> list[Figure]:
    small = _child("history", str(max(threads // 10, 1)), str(events))
    big = _child("history", str(threads), str(events))
    growth = big["peak"] / small["peak"]
    return [
        Figure(
            "history",
            f"history of {threads:,} threads x {events} events: peak KiB (vs a 10x smaller one)",
            "bounded by a batch",
            growth,
            big["peak"] / 1024,
            small["peak"] / 1024,
            unit="KiB",
            ok=big["count"] == threads * events and growth < 2.0,
            notes=f"{big['count']:,} events in {big['batches']} batches, {big['seconds']:.1f} s "
            f"({big['count'] / big['seconds']:,.0f} events/s); peak grows {growth:.2f}x "
            f"for 10x the history",
            extra={"big": big, "small": small},
        )
    ]


def fig_scale(customers: int) -> list[Figure]:
    result = _child("scale", str(customers))
    per_client = result["per_client"] / 1024
    return [
        Figure(
            "scale",
            f"{customers:,} customers on one reference server: KiB per client (traced)",
            "<= 50 KiB/client",
            per_client,
            per_client,
            None,
            unit="KiB",
            ok=per_client <= 50 and result["received"] == customers,
            notes=f"{result['received']}/{customers} broadcasts delivered in "
            f"{result['broadcast_seconds'] * 1000:.0f} ms; connect all "
            f"{result['connect_seconds']:.1f} s; RSS {result['rss_per_client'] / 1024:.0f} "
            f"KiB/client",
            extra=result,
        )
    ]


def main(argv: list[str]) -> None:
    figure, *args = argv
    if figure == "backlog":
        result = child_backlog(args[0], int(args[1]), trace=args[2:] != ["untraced"])
    elif figure == "history":
        result = child_history(int(args[0]), int(args[1]))
    elif figure == "scale":
        result = child_scale(int(args[0]))
    else:
        raise SystemExit(f"unknown figure {figure!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
