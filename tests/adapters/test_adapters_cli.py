"""The ``customer-protocol`` command: ``demo`` as a subprocess, ``chat`` on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.server import run_in_thread
from customer_protocol.server import AgentConfig, ServerConfig

pytestmark = pytest.mark.timeout(90)

COMMAND = [str(Path(sys.executable).with_name("customer-protocol"))]
if not Path(COMMAND[0]).exists():  # pragma: no cover - not installed as a script
    COMMAND = [sys.executable, "-c", "import sys; from adapters.cli import main; sys.exit(main())"]


def test_demo_prints_the_whole_conversation_and_exits_0() -> None:
    result = subprocess.run(
        [*COMMAND, "demo"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in (
        "== Reference server on ws://127.0.0.1:",
        "* logged in as customer",
        "you: Hello! I have a question about my order.",
        "Ada: You wrote: Hello! I have a question about my order.",
        "Ada is typing...",
        "* the agent saw these sneak peeks:",
        "* connection lost",
        "* connection restored",
        "* you rated thread",
        "* thread closed",
        "batch of",
        "'Is it shipped yet?' appears 1 time(s) in the history",
        "'Thanks for checking.' appears 1 time(s) in the history",
        "== Done: every message exactly once",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert "Traceback" not in result.stderr


def test_demo_in_livechat_v3_runs_the_whole_conversation() -> None:
    result = subprocess.run(
        [*COMMAND, "demo", "--api", "3.6"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in (
        "(LiveChat v3.6, simulated agent on)",
        "* logged in as customer",
        "(token from /v2/customer/token)",
        "you: Hello! I have a question about my order.",
        "Ada joined the chat",
        "Ada is typing...",
        "Ada: You wrote: Hello! I have a question about my order.",
        "* the agent saw these sneak peeks: ['Where",
        "* connection restored",
        "* you rated thread",
        "* thread closed",
        "* that message opened a new thread",
        "* get_customer:",
        "* list_chats: ['",
        "* you deactivated the chat (deactivate_chat)",
        "batch of",
        "'Is it shipped yet?' appears 1 time(s) in the history",
        "== Done: every message exactly once",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert "Traceback" not in result.stderr


class Terminal:
    """A child process on a pseudo-terminal: write lines, wait for text in its output."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.output = ""

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def expect(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """Read until ``pattern`` (a regex) appears after what earlier calls consumed."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.output)
            if found:
                self.output = self.output[found.end() :]
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not seen; output so far:\n{self.output}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    data = b""
                if not data:
                    raise AssertionError(f"{pattern!r} not seen before EOF:\n{self.output}")
                self.output += data.decode(errors="replace").replace("\r\n", "\n")

    def close(self) -> int:
        """Wait for the exit status (kill the child if it does not exit in time)."""
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
            os.close(self.master)


def test_chat_interactively_through_a_pseudo_terminal() -> None:
    terminal = Terminal([*COMMAND, "chat"])
    try:
        terminal.expect(r"\* connected to ws://127\.0\.0\.1:\d+; chat \S+ started")
        terminal.expect(r"Type a message, or /history")
        terminal.send("Hello from the terminal")
        terminal.expect(r"Ada: You wrote: Hello from the terminal")
        terminal.send("/history")
        terminal.expect(r"\(history\) you: Hello from the terminal")
        terminal.expect(r"\(history\) Ada: You wrote: Hello from the terminal")
        terminal.send("/rate good")
        terminal.expect(r"\* rated good")
        terminal.send("/close")
        terminal.expect(r"\* thread closed")
        terminal.send("/quit")
        status = terminal.close()
    except BaseException:
        terminal.process.kill()
        raise
    assert status == 0, terminal.output


def test_chat_in_livechat_v3_through_a_pseudo_terminal() -> None:
    terminal = Terminal([*COMMAND, "chat", "--api", "3.6"])
    try:
        terminal.expect(r"\* connected to ws://127\.0\.0\.1:\d+; chat \S+ started")
        terminal.send("Hello over v3")
        terminal.expect(r"Ada is typing\.\.\.")
        terminal.expect(r"Ada: You wrote: Hello over v3")
        terminal.send("/history")
        terminal.expect(r"\(history\) you: Hello over v3")
        terminal.send("/rate bad")
        terminal.expect(r"\* rated bad")
        terminal.send("/close")
        terminal.expect(r"system: The customer closed the chat\.")
        terminal.expect(r"\* thread closed")
        terminal.send("/quit")
        status = terminal.close()
    except BaseException:
        terminal.process.kill()
        raise
    assert status == 0, terminal.output


def test_chat_with_url_and_token_against_a_running_server() -> None:
    config = ServerConfig(agent=AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1))
    with run_in_thread(config=config) as server:
        customer_id, token = server.create_customer()
        result = subprocess.run(
            [*COMMAND, "chat", "--url", server.url, "--token", token],
            input="piped message\n/quit\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (chat,) = server.call(server.core.store.chats_of, customer_id)
        stored = [
            event.get("text")
            for thread in chat.thread_ids
            for event in server.core.store.threads[thread].events
        ]
        assert stored[0] == "piped message"
    assert f"connected to {server.url}" in result.stdout
    assert token not in result.stdout + result.stderr
