"""Figures 4, 5 and 7: our asyncio, trio and sync clients against a bare websockets client.

Both sides talk to the same push server (:mod:`bench.pushserver`, its own process) on
loopback. Each round runs the baseline and every client in both setups, in a rotating order;
the ratio of each round is taken against that round's baseline, and the median is reported.

The two setups of each client: ``plain`` is the plain install (wsproto transport, stdlib
json, no typed decoder: ``Config(websocket="wsproto")``, ``codec.use_orjson(False)`` and
``codec.use_msgspec(False)``), ``speedups`` what the ``speedups`` extra brings (websockets'
protocol, orjson, and msgspec's typed decoder of the common push when installed). A setup
whose packages are missing is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio

from bench import reference
from bench._util import CHAT_ID, ORGANIZATION_ID, Figure, median, subprocess_server
from customer_protocol import Config, codec

RTM = reference.RTM
LOGIN = json.dumps({"request_id": "1", "action": "login", "payload": {"token": "Bearer bench"}})
SUMMARY = json.dumps(
    {"request_id": "2", "action": "get_chats_summary", "payload": {"offset": 0, "limit": 10}}
)
CLIENTS = ("asyncio", "trio", "sync")
#: setup -> (Config.websocket, orjson)
SETUPS = {"plain": ("wsproto", False), "speedups": ("auto", True)}
SPEEDUPS_INSTALLED = importlib.util.find_spec("orjson") is not None


def setups() -> tuple[str, ...]:
    """The setups this install can run."""
    return tuple(SETUPS) if SPEEDUPS_INSTALLED else ("plain",)


@contextlib.contextmanager
def setup(name: str) -> Iterator[Config]:
    """The client ``Config`` of setup ``name``, with the JSON backend switched for it."""
    websocket, orjson = SETUPS[name]
    previous = codec.use_orjson(orjson), codec.use_msgspec(orjson and codec._MSGSPEC_AVAILABLE)
    try:
        yield Config(websocket=websocket)  # type: ignore[arg-type]
    finally:
        codec.use_orjson(previous[0])
        codec.use_msgspec(previous[1])


# -- the baseline: websockets + json -----------------------------------------------------------


async def _ws_login(url: str):  # type: ignore[no-untyped-def]
    from websockets.asyncio.client import connect

    ws = await connect(url + RTM, compression=None, max_size=1 << 20)
    await ws.send(LOGIN)
    json.loads(await ws.recv())
    await ws.send(SUMMARY)
    json.loads(await ws.recv())
    return ws


async def _base_pushes(url: str, n: int) -> float:
    start = time.perf_counter()
    ws = await _ws_login(url)
    loads, recv = json.loads, ws.recv
    for _ in range(n):
        message = loads(await recv())
    elapsed = time.perf_counter() - start
    assert message["action"] == "incoming_event"
    await ws.close()
    return elapsed


async def _base_round_trips(url: str, n: int) -> tuple[float, float]:
    ws = await _ws_login(url)
    cpu, start = time.process_time(), time.perf_counter()
    for i in range(n):
        await ws.send(reference.request(i, CHAT_ID))
        json.loads(await ws.recv())  # the response
        json.loads(await ws.recv())  # the incoming_event push
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await ws.close()
    return elapsed, cpu


async def _base_connect(url: str) -> float:
    start = time.perf_counter()
    ws = await _ws_login(url)
    elapsed = time.perf_counter() - start
    await ws.close()
    return elapsed


# -- our clients ------------------------------------------------------------------------------


async def _async_pushes(config: Config, url: str, n: int) -> float:
    from adapters._async import connect

    done = anyio.Event()
    count = 0

    def on_event(event: object) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.set()

    client = connect(license_id=1, token="bench", url=url, config=config)
    client.on("new_event", on_event)
    start = time.perf_counter()
    async with client:
        await done.wait()
        return time.perf_counter() - start


async def _async_round_trips(config: Config, url: str, n: int) -> tuple[float, float]:
    from adapters._async import connect

    async with connect(license_id=1, token="bench", url=url, config=config) as client:
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(n):
            await client.send_message(CHAT_ID, "Hello")
        return time.perf_counter() - start, time.process_time() - cpu


async def _async_connect(config: Config, url: str) -> float:
    from adapters._async import connect

    client = connect(license_id=1, token="bench", url=url, config=config)
    start = time.perf_counter()
    async with client:
        return time.perf_counter() - start


def _sync_pushes(config: Config, url: str, n: int) -> float:
    from adapters.sync import connect

    done = threading.Event()
    count = 0

    def on_event(event: object) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.set()

    client = connect(license_id=1, token="bench", url=url, config=config)
    client.on("new_event", on_event)
    start = time.perf_counter()
    with client:
        if not done.wait(300):
            raise RuntimeError(f"sync client: {count} of {n} pushes")
        return time.perf_counter() - start


def _sync_round_trips(config: Config, url: str, n: int) -> tuple[float, float]:
    from adapters.sync import connect

    with connect(license_id=1, token="bench", url=url, config=config) as client:
        cpu, start = time.process_time(), time.perf_counter()  # process-wide: both threads
        for _ in range(n):
            client.send_message(CHAT_ID, "Hello")
        return time.perf_counter() - start, time.process_time() - cpu


def _sync_connect(config: Config, url: str) -> float:
    from adapters.sync import connect

    client = connect(license_id=1, token="bench", url=url, config=config)
    start = time.perf_counter()
    with client:
        return time.perf_counter() - start


def _runner(kind: str, job: str, url: str, *args: int) -> Callable[[], Any]:
    """``kind``: ``websockets`` (the baseline) or ``<client>/<setup>``."""
    async_jobs = {"pushes": _async_pushes, "rt": _async_round_trips, "connect": _async_connect}
    sync_jobs = {"pushes": _sync_pushes, "rt": _sync_round_trips, "connect": _sync_connect}
    base_jobs = {"pushes": _base_pushes, "rt": _base_round_trips, "connect": _base_connect}
    if kind == "websockets":
        return lambda: asyncio.run(base_jobs[job](url, *args))
    if kind == "ref/websockets-sync":
        return lambda: reference.websockets_sync(url, *args, [LOGIN, SUMMARY], CHAT_ID)
    if kind == "ref/trio-sansio":
        return lambda: anyio.run(
            reference.trio_sansio, url, *args, [LOGIN, SUMMARY], CHAT_ID, backend="trio"
        )
    client, name = kind.split("/")

    def run() -> Any:
        with setup(name) as config:
            if client == "sync":
                return sync_jobs[job](config, url, *args)
            return anyio.run(async_jobs[job], config, url, *args, backend=client)

    return run


def _kinds() -> tuple[str, ...]:
    return tuple(f"{client}/{name}" for name in setups() for client in CLIENTS)


def _rounds(
    job: str,
    url: str,
    rounds: int,
    *args: int,
    cpu: dict[str, list[float]] | None = None,
    references: tuple[str, ...] = (),
) -> dict[str, list[float]]:
    """Per-round elapsed times of the baseline and every client setup (rotating order).

    A job that returns ``(elapsed, cpu seconds)`` (the round trips) has its CPU time put
    into ``cpu`` (per kind) when given; ``references`` adds reference clients (``ref/...``).
    """
    kinds = ("websockets", *_kinds(), *references)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for r in range(rounds):
        order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
        for kind in order:
            result = _runner(kind, job, url, *args)()
            if isinstance(result, tuple):
                result, seconds = result
                if cpu is not None:
                    cpu.setdefault(kind, []).append(seconds)
            times[kind].append(result)
    return times


def fig_pushes(n: int, rounds: int) -> list[Figure]:
    with subprocess_server("bench.pushserver", "--pushes", str(n)) as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        times = _rounds("pushes", url, rounds, n)
    figures = []
    for kind in _kinds():
        ratio = median([b / o for b, o in zip(times["websockets"], times[kind], strict=True)])
        client, name = kind.split("/")
        target = 1.0 if name == "speedups" else 0.5
        figures.append(
            Figure(
                f"e2e_pushes_{client}_{name}",
                f"end to end: pushes received/s, {client} client ({name}) vs websockets + json",
                f">= {target}x",
                ratio,
                n / median(times[kind]),
                n / median(times["websockets"]),
                ok=ratio >= target,
            )
        )
    return figures


#: Figure 5's reference clients (bench.reference): kind -> what it is.
REFERENCES = {
    "ref/websockets-sync": "websockets' blocking client (a reader thread), round trips/s",
    "ref/trio-sansio": "websockets' sans-IO protocol on trio with a reader task, round trips/s",
}


def fig_round_trips(n: int, rounds: int) -> list[Figure]:
    """Figure 5: round trips per second (wall clock), with the CPU per round trip beside it.

    The wall-clock ratio is the figure; it swings with the load of the shared cores, since a
    round trip mostly waits for the server process. The CPU time of the client process per
    round trip (``time.process_time``, median of the rounds) does not wait, and is what our
    client can change: it is in the notes and in ``extra``. The reference clients of
    :mod:`bench.reference` (websockets' blocking client, a minimal trio client) run in the same
    rounds, for scale: their rows have no target.
    """
    cpu: dict[str, list[float]] = {}
    references = REFERENCES if importlib.util.find_spec("trio") is not None else ()
    with subprocess_server("bench.pushserver") as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        times = _rounds("rt", url, rounds, n, cpu=cpu, references=references)
    base_cpu = median(cpu["websockets"]) / n * 1e6
    figures = []
    for kind in (*_kinds(), *references):
        ratio = median([b / o for b, o in zip(times["websockets"], times[kind], strict=True)])
        client, name = kind.split("/")
        ours_cpu = median(cpu[kind]) / n * 1e6
        reference_row = client == "ref"
        figures.append(
            Figure(
                f"e2e_round_trips_ref_{name.replace('-', '_')}"
                if reference_row
                else f"e2e_round_trips_{client}_{name}",
                f"reference: {REFERENCES[kind]} vs websockets"
                if reference_row
                else f"end to end: send_message round trips/s, {client} client ({name}) "
                "vs websockets",
                "reference" if reference_row else ">= 0.9x",
                ratio,
                n / median(times[kind]),
                n / median(times["websockets"]),
                ok=None if reference_row else ratio >= 0.9,
                notes=f"CPU/round trip: {'it' if reference_row else 'ours'} {ours_cpu:.0f} us, "
                f"websockets {base_cpu:.0f} us ({base_cpu / ours_cpu:.2f}x)",
                extra={
                    "cpu_us_ours": round(ours_cpu, 1),
                    "cpu_us_baseline": round(base_cpu, 1),
                    "cpu_ratio": round(base_cpu / ours_cpu, 3),
                },
            )
        )
    return figures


def fig_connect(repeats: int) -> list[Figure]:
    with subprocess_server("bench.pushserver") as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        times = _rounds("connect", url, repeats)
    figures = []
    for kind in _kinds():
        ratio = median([o / b for b, o in zip(times["websockets"], times[kind], strict=True)])
        client, name = kind.split("/")
        figures.append(
            Figure(
                f"connect_{client}_{name}",
                f"connect + login, {client} client ({name}) vs websockets (lower is better)",
                "<= 1.5x",
                ratio,
                median(times[kind]) * 1000,
                median(times["websockets"]) * 1000,
                unit="ms",
                ok=ratio <= 1.5,
            )
        )
    return figures


# -- the v3 dialect (api="3.6"): pushes, asyncio client ------------------------------------------

RTM_V3 = f"/v3.6/customer/rtm/ws?organization_id={ORGANIZATION_ID}"
LOGIN_V3 = json.dumps({"request_id": "1", "action": "login", "payload": {"token": "Bearer bench"}})
LIST_CHATS = json.dumps({"request_id": "2", "action": "list_chats", "payload": {}})


async def _base_pushes_v3(url: str, n: int) -> float:
    from websockets.asyncio.client import connect

    start = time.perf_counter()
    ws = await connect(url + RTM_V3, compression=None, max_size=1 << 20)
    await ws.send(LOGIN_V3)
    json.loads(await ws.recv())
    await ws.send(LIST_CHATS)
    json.loads(await ws.recv())
    loads, recv = json.loads, ws.recv
    for _ in range(n):
        message = loads(await recv())
    elapsed = time.perf_counter() - start
    assert message["action"] == "incoming_event"
    await ws.close()
    return elapsed


async def _async_pushes_v3(config: Config, url: str, n: int) -> float:
    from adapters._async import connect

    done = anyio.Event()
    count = 0

    def on_event(event: object) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.set()

    client = connect(
        api="3.6", organization_id=ORGANIZATION_ID, token="bench", url=url, config=config
    )
    client.on("new_event", on_event)
    start = time.perf_counter()
    async with client:
        await done.wait()
        return time.perf_counter() - start


def fig_pushes_v3(n: int, rounds: int) -> list[Figure]:
    """Figure 4 for api="3.6": v3 pushes to the asyncio client vs websockets + json."""
    args = ("--pushes", str(n), "--api", "3.6", "--after", "list_chats")
    kinds = ("websockets", *(f"asyncio/{name}" for name in setups()))
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    with subprocess_server("bench.pushserver", *args) as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        for r in range(rounds):
            for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
                if kind == "websockets":
                    elapsed = asyncio.run(_base_pushes_v3(url, n))
                else:
                    with setup(kind.split("/")[1]) as config:
                        elapsed = anyio.run(_async_pushes_v3, config, url, n, backend="asyncio")
                times[kind].append(elapsed)
    figures = []
    for kind in kinds[1:]:
        ratio = median([b / o for b, o in zip(times["websockets"], times[kind], strict=True)])
        name = kind.split("/")[1]
        target = 1.0 if name == "speedups" else 0.5
        figures.append(
            Figure(
                f"e2e_pushes_v3_asyncio_{name}",
                f"end to end (api 3.6): pushes received/s, asyncio client ({name}) vs "
                "websockets + json",
                f">= {target}x",
                ratio,
                n / median(times[kind]),
                n / median(times["websockets"]),
                ok=ratio >= target,
            )
        )
    return figures
