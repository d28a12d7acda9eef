"""``run_in_thread`` for blocking code, and the ``serve`` command's options."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from server_io_helpers import fast_config, get_token_blocking

from adapters.serve_cli import _config_from_args, _faults_from_args, add_serve_arguments
from adapters.server import run_in_thread
from customer_protocol.server import FaultKind


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_run_in_thread_with_a_blocking_client(backend: str, tmp_path: Path) -> None:
    from websockets.sync.client import connect

    config = fast_config()
    db = tmp_path / "t.sqlite3"
    with run_in_thread(port=0, db_path=db, config=config, backend=backend) as server:
        assert server.url.startswith("ws://127.0.0.1:")
        _, _, token = get_token_blocking(server.http_url, config)
        with connect(server.rtm_url, ping_interval=None, open_timeout=5) as ws:
            login = {"request_id": "1", "action": "login", "payload": {"token": f"Bearer {token}"}}
            ws.send(json.dumps(login))
            assert json.loads(ws.recv(timeout=5))["success"]
            ws.send(json.dumps({"request_id": "2", "action": "start_chat"}))
            actions = set()
            while "incoming_event" not in actions:  # the agent's greeting or reply path
                message = json.loads(ws.recv(timeout=5))
                actions.add(message["action"])
                if message["action"] == "start_chat":
                    chat_id = message["payload"]["chat"]["id"]
                    event = {"type": "message", "text": "hi"}
                    ws.send(
                        json.dumps(
                            {
                                "request_id": "3",
                                "action": "send_event",
                                "payload": {"chat_id": chat_id, "event": event},
                            }
                        )
                    )
            customer_id, other_token = server.create_customer()
            assert other_token and customer_id in server.core.store.customers
            server.restart()
            with pytest.raises(Exception, match="1012"):
                while True:
                    ws.recv(timeout=5)
        assert server.call(lambda: server.server.connection_count) == 0


def test_serve_arguments_build_config_and_faults() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args([])
    assert (args.host, args.port, args.db, args.backend) == ("127.0.0.1", 8080, None, "asyncio")
    config = _config_from_args(args)
    assert config.agent is not None and config.license_id == 1
    faults = _faults_from_args(args)
    assert faults.rules == () and faults.drop_after_messages is None
    args = parser.parse_args(
        [
            "--port", "0", "--db", "x.db", "--license-id", "7", "--client-id", "c",
            "--client-secret", "s", "--app-token", "a", "--redirect-uri", "http://r",
            "--agent-delay", "0.4", "--idle-timeout", "0", "--drop-after", "3",
            "--ignore-pings", "--binary-frames", "--oversize-frames", "--malformed-json",
            "--delay-responses", "0.5", "--backend", "trio",
        ]
    )  # fmt: skip
    config = _config_from_args(args)
    assert (config.license_id, config.client_id, config.client_secret) == (7, "c", "s")
    assert (config.app_access_token, config.redirect_uri) == ("a", "http://r")
    assert config.idle_timeout is None
    assert config.agent is not None and config.agent.reply_delay == 0.4
    faults = _faults_from_args(args)
    assert faults.drop_after_messages == 3
    assert faults.ignore_pings and faults.binary_frames and faults.oversize_frames
    assert [r.kind for r in faults.rules] == [FaultKind.MALFORMED_JSON, FaultKind.DELAY]
    assert faults.rules[0].action is None and faults.rules[1].delay == 0.5
    no_agent = _config_from_args(parser.parse_args(["--no-agent", "--malformed-json", "login"]))
    assert no_agent.agent is None
    assert _faults_from_args(parser.parse_args(["--malformed-json", "login"])).rules[0].action == (
        "login"
    )
