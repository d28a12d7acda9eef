"""LiveChat's own JS SDK (@livechat/lc-sdk-js 4.x, customer RTM, API v3.4) against the server.

``tests/official/js/run.js`` drives the SDK unchanged: it only gets the server's
``host:port`` as ``apiUrl`` (the SDK always speaks ``wss://`` and verifies the certificate,
so the throwaway CA goes in ``NODE_EXTRA_CA_CERTS``). It prints one JSON line per step; this
test checks each step's payload against the docs' shapes. The Node packages are installed
with ``npm ci`` from the committed lock file (``scripts/test`` does it too).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.official import shapes
from tests.official.conftest import OfficialServer

pytestmark = pytest.mark.timeout(120)

JS_DIR = Path(__file__).with_name("js")
SDK_DIR = JS_DIR / "node_modules" / "@livechat" / "lc-sdk-js"


@pytest.fixture(scope="module")
def node() -> str:
    """The ``node`` executable, with the SDK installed from the lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed for the lc-sdk-js test (see README)"
    if not (SDK_DIR / "package.json").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
        )
    version = json.loads((SDK_DIR / "package.json").read_text())["version"]
    assert version.startswith("4."), version
    return node


def _run(node: str, official: OfficialServer, token: str) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "LC_API_URL": official.netloc,
        "LC_ORGANIZATION_ID": official.config.organization_id,
        "LC_ACCESS_TOKEN": token,
        "NODE_EXTRA_CA_CERTS": str(official.ca_path),
    }
    env.pop("NODE_TLS_REJECT_UNAUTHORIZED", None)  # certificates are verified
    result = subprocess.run(
        [node, "run.js"],
        check=False,
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-2000:])
    assert token not in result.stdout and token not in result.stderr
    return steps


def test_lc_sdk_js_chats_against_the_server(node: str, official_server: OfficialServer) -> None:
    token = official_server.customer_token()
    steps = _run(node, official_server, str(token["access_token"]))
    by_step: dict[str, Any] = {}
    pushes: list[dict[str, Any]] = []
    for step in steps:
        if step["step"] == "push":
            pushes.append(step["data"])
        else:
            by_step.setdefault(step["step"], step["data"])
    assert "failed" not in by_step and "error" not in by_step, by_step
    login = shapes.check_login(by_step["login"])
    assert login["customer"]["id"] == token["entity_id"]
    assert shapes.check_chats_summary(by_step["list_chats_before"]) == []
    started = shapes.fields(
        by_step["start_chat"], "start_chat", {"chat_id": str, "thread_id": str, "event_ids": list}
    )
    chat = shapes.check_chat(by_step["incoming_chat"]["chat"], "incoming_chat.chat")
    assert chat["id"] == started["chat_id"]
    assert chat["thread"]["events"][0]["text"] == "Hello from lc-sdk-js"
    sent = shapes.fields(by_step["send_event"], "send_event", {"event_id": str})
    event = shapes.check_event(by_step["incoming_event"]["event"], "incoming_event.event")
    assert event["id"] == sent["event_id"] and event["text"] == "A second message"
    (summary,) = shapes.check_chats_summary(by_step["list_chats"])
    assert summary["id"] == started["chat_id"]
    (thread,) = shapes.check_threads(by_step["list_threads"])
    assert thread["id"] == started["thread_id"]
    got = shapes.check_chat(by_step["get_chat"], "get_chat")
    assert got["thread"]["id"] == started["thread_id"]
    shapes.empty(by_step["deactivate_chat"], "deactivate_chat")
    closed = by_step["chat_deactivated"]
    assert (closed["chat_id"], closed["thread_id"]) == (started["chat_id"], started["thread_id"])
    assert isinstance(by_step["ping"], dict)  # the protocol ping, answered
    assert isinstance(by_step["heartbeat"]["answer"], dict)  # the SDK's own 10 s heartbeat
    done = by_step["done"]
    assert done["heartbeat"]["failed"] == 0 and done["heartbeat"]["answered"] >= 1
    names = [push["name"] for push in pushes]
    assert {"incoming_chat", "incoming_event", "chat_deactivated"} <= set(names), names
