"""1,000 concurrent RTM connections on one server process, and the ``serve`` command's life.

Half the connections speak v0.3, half LiveChat v3.6 (the same customers, one store).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from server_io_helpers import RawWS, get_token_blocking

from customer_protocol.server import ServerConfig

pytestmark = pytest.mark.anyio

CONNECTIONS = 1000
PER_CUSTOMER = 5  # ServerConfig.max_connections_per_customer
ROOT = Path(__file__).resolve().parents[2]
LAUNCH = (
    "import argparse, sys\n"
    "from adapters.serve_cli import add_serve_arguments, run_serve\n"
    "parser = argparse.ArgumentParser()\n"
    "add_serve_arguments(parser)\n"
    "sys.exit(run_serve(parser.parse_args(sys.argv[1:])))\n"
)


def _rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    assert match is not None
    return int(match.group(1))


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc for RSS")
async def test_thousand_connections_and_sigterm(anyio_backend: str) -> None:
    _raise_fd_limit(2 * CONNECTIONS + 200)  # the child inherits the raised limit
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--port", "0", "--no-agent", "--backend", anyio_backend],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    clients: list[RawWS] = []
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match is not None, first + (process.stderr.read() if process.stderr else "")
        port = int(match.group(1))
        base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        with anyio.fail_after(40):
            tokens = await anyio.to_thread.run_sync(
                lambda: [get_token_blocking(base)[2] for _ in range(CONNECTIONS // PER_CUSTOMER)]
            )
            before = _rss_kib(process.pid)
            limit = anyio.Semaphore(100)

            organization_id = ServerConfig().organization_id
            v3: set[RawWS] = set()

            async def open_one(index: int) -> None:
                async with limit:
                    if index % 2:
                        client = await RawWS.connect(
                            url, api="3.6", organization_id=organization_id
                        )
                        v3.add(client)
                    else:
                        client = await RawWS.connect(url)
                    await client.login(tokens[index // PER_CUSTOMER])
                    clients.append(client)

            async with anyio.create_task_group() as tg:
                for index in range(CONNECTIONS):
                    tg.start_soon(open_one, index)
            after = _rss_kib(process.pid)
            assert len(clients) == CONNECTIONS and len(v3) == CONNECTIONS // 2

            async def probe(client: RawWS) -> None:
                async with limit:
                    action = "list_chats" if client in v3 else "get_chats_summary"
                    response, _ = await client.request(action, {} if client in v3 else None)
                    assert response["success"], response

            async with anyio.create_task_group() as tg:
                for client in clients:
                    tg.start_soon(probe, client)
            per_connection = (after - before) * 1024 / CONNECTIONS
            print(
                f"\n[{anyio_backend}] {CONNECTIONS} logged-in connections: server RSS "
                f"{before} -> {after} KiB, ~{per_connection / 1024:.1f} KiB per connection"
            )
            assert per_connection < 256 * 1024
            process.send_signal(signal.SIGTERM)
            closed = await clients[0].wait_closed()
            assert closed.code == 1001
            code = await anyio.to_thread.run_sync(lambda: process.wait(10))
            assert code == 0
    finally:
        with anyio.CancelScope(shield=True):
            for client in clients:
                await client.stream.aclose()
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
