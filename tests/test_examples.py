"""Every program in ``examples/`` holds a whole conversation and exits 0.

Each example runs as a subprocess twice: against a reference server this test starts (the URL
argument), and on its own (it then starts a reference server in-process).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.server import ThreadedServer, run_in_thread
from customer_protocol.server import AgentConfig, ServerConfig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT = 90


def test_the_examples_are_the_documented_ones() -> None:
    names = {path.name for path in EXAMPLES}
    assert names == {"asyncio_chat.py", "trio_chat.py", "sync_chat.py", "bare_core.py"}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    agent = AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1)
    with run_in_thread(port=0, config=ServerConfig(agent=agent)) as running:
        yield running


def run(example: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(example), *args, "--timeout", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Thanks, bye!" in result.stdout
    assert "Goodbye! Closing this chat." in result.stdout
    assert "(the thread was closed)" in result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_against_a_server(example: Path, server: ThreadedServer) -> None:
    check(run(example, server.url))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_with_its_own_server(example: Path) -> None:
    check(run(example))


def test_an_example_without_an_agent_fails_instead_of_hanging() -> None:
    with run_in_thread(port=0, config=ServerConfig(agent=None)) as quiet:
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "sync_chat.py"), quiet.url, "--timeout", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    assert result.returncode == 1
    assert "no answer within" in result.stderr
