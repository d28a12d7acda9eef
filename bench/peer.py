"""Figure 6: LiveChat's ``lc-sdk-python`` customer RTM client, the peer.

It speaks Customer API v3.x, whose envelope (``request_id``, ``action``, ``type``,
``success``, ``payload``) is the one our push server answers, so the same server drives both.
Its URL is hard-wired to ``wss://``: the benchmark points ``client.ws.url`` at the plain
``ws://`` loopback server (no TLS on either side). Its logging (loguru) is disabled, as ours
is off by default.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from bench._util import CHAT_ID, Figure, median, subprocess_server
from bench.e2e import _async_connect, _async_pushes, _async_round_trips, setup


def available() -> str | None:
    """``None`` when lc-sdk-python can be driven here, else why not."""
    try:
        from livechat.customer.rtm.base import CustomerRTM  # noqa: F401
    except ImportError as exc:
        return f"lc-sdk-python is not installed ({exc})"
    return None


def _client(port: int) -> Any:
    from livechat.customer.rtm.base import CustomerRTM
    from loguru import logger

    logger.disable("livechat")
    client = CustomerRTM.get_client(version="3.6", base_url="unused", organization_id="bench")
    client.ws.url = f"ws://127.0.0.1:{port}/v3.6/customer/rtm/ws?organization_id=bench"
    return client


def _lc_connect(port: int) -> float:
    client = _client(port)
    start = time.perf_counter()
    client.open_connection()
    response = client.login(token="Bearer bench")
    elapsed = time.perf_counter() - start
    assert response is not None and response.success
    client.close_connection()
    return elapsed


def _lc_pushes(port: int, n: int) -> float:
    client = _client(port)
    start = time.perf_counter()
    client.open_connection()
    client.login(token="Bearer bench")
    deadline = time.monotonic() + 300
    while len(client.ws.messages) < n + 1:  # the login response and n pushes
        if time.monotonic() > deadline:
            raise RuntimeError(f"lc-sdk-python received {len(client.ws.messages)} of {n + 1}")
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    client.close_connection()
    return elapsed


def _lc_round_trips(port: int, n: int) -> float:
    client = _client(port)
    client.open_connection()
    client.login(token="Bearer bench")
    start = time.perf_counter()
    for i in range(n):
        event = {"type": "message", "text": "Hello", "custom_id": f"lc-{i}"}
        response = client.send_event(chat_id=CHAT_ID, event=event)
        assert response is not None and response.success
    elapsed = time.perf_counter() - start
    client.close_connection()
    return elapsed


def fig_peer(pushes: int, round_trips: int, rounds: int) -> list[Figure]:
    reason = available()
    if reason is not None:
        return [
            Figure(f"peer_{k}", f"lc-sdk-python: {k}", "n/a", notes=reason)
            for k in ("pushes", "round_trips", "connect")
        ]
    lc: dict[str, list[float]] = {"pushes": [], "rt": [], "connect": []}
    ours: dict[str, list[float]] = {"pushes": [], "rt": [], "connect": []}
    with subprocess_server("bench.pushserver", "--pushes", str(pushes), "--after", "login") as (
        port,
        _,
        _,
    ):
        for _ in range(rounds):
            lc["pushes"].append(_lc_pushes(port, pushes))
    with subprocess_server("bench.pushserver", "--pushes", str(pushes)) as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        for _ in range(rounds):
            with setup("plain") as config:  # the target is the plain install's
                ours["pushes"].append(anyio.run(_async_pushes, config, url, pushes))
    with subprocess_server("bench.pushserver") as (port, _, _):
        url = f"ws://127.0.0.1:{port}"
        for _ in range(rounds):
            lc["rt"].append(_lc_round_trips(port, round_trips))
            with setup("plain") as config:
                wall, _cpu = anyio.run(_async_round_trips, config, url, round_trips * 50)
                ours["rt"].append(wall)
                lc["connect"].append(_lc_connect(port))
                ours["connect"].append(anyio.run(_async_connect, config, url))
    push_ratio = median(lc["pushes"]) / median(ours["pushes"])
    rt_ours = round_trips * 50 / median(ours["rt"])
    rt_lc = round_trips / median(lc["rt"])
    connect_ratio = median(lc["connect"]) / median(ours["connect"])
    return [
        Figure(
            "peer_pushes",
            "pushes/s: our asyncio client (plain install) vs lc-sdk-python",
            ">= 5x",
            push_ratio,
            pushes / median(ours["pushes"]),
            pushes / median(lc["pushes"]),
            ok=push_ratio >= 5,
        ),
        Figure(
            "peer_round_trips",
            "send_message round trips/s: our asyncio client vs lc-sdk-python",
            ">= 100x",
            rt_ours / rt_lc,
            rt_ours,
            rt_lc,
            ok=rt_ours / rt_lc >= 100,
        ),
        Figure(
            "peer_connect",
            "connect + login: lc-sdk-python time / ours (higher is better)",
            ">= 20x",
            connect_ratio,
            median(ours["connect"]) * 1000,
            median(lc["connect"]) * 1000,
            unit="ms",
            ok=connect_ratio >= 20,
        ),
    ]
