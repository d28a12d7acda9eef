"""SQLite persistence: a new server on the same file, and in-place restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest
from server_io_helpers import RawWS, ahttp, get_token, web_api

from adapters.server import serve
from customer_protocol.server import ServerConfig

pytestmark = pytest.mark.anyio
CONFIG = ServerConfig(agent=None)


async def _chat(server_url: str, token: str) -> tuple[str, str]:
    client = await RawWS.connect(server_url)
    await client.login(token)
    response, _ = await client.request(
        "start_chat", {"events": [{"type": "message", "text": "remember me"}]}
    )
    chat_id = response["payload"]["chat"]["id"]
    thread_id = response["payload"]["chat"]["thread"]["id"]
    await client.aclose()
    return chat_id, thread_id


async def test_a_new_server_on_the_same_file_has_everything(tmp_path: Path) -> None:
    db = tmp_path / "chats.sqlite3"
    with anyio.fail_after(10):
        async with serve(db_path=db, config=CONFIG) as server:
            customer_id, key, token = await get_token(server.http_url)
            chat_id, thread_id = await _chat(server.url, token)
            status, _ = await web_api(server.http_url, token, "start_chat", {})
            assert status == 200
            status, _, raw = await ahttp(
                server.http_url,
                "POST",
                "/customer/v0.3/action/send_file?license_id=1",
                b'--b\r\nContent-Disposition: form-data; name="payload.chat_id"\r\n\r\n'
                + chat_id.encode()
                + b'\r\n--b\r\nContent-Disposition: form-data; name="payload.file"; '
                b'filename="n.txt"\r\nContent-Type: text/plain\r\n\r\nkept\r\n--b--\r\n',
                {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "multipart/form-data; boundary=b",
                },
            )
            assert status == 200, raw
            file_path = raw.decode().split(server.http_url)[1].split('"')[0]
        journal = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"
        async with serve(db_path=db, config=CONFIG) as server:
            # the same token still logs the same customer in
            client = await RawWS.connect(server.url)
            assert (await client.login(token))["customer_id"] == customer_id
            response, _ = await client.request("get_chats_summary")
            assert response["payload"]["total_chats"] == 2
            response, _ = await client.request(
                "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
            )
            events = response["payload"]["chat"]["threads"][0]["events"]
            assert events[0].get("text") == "remember me"
            assert events[-1]["type"] == "file"
            await client.aclose()
            status, _, data = await ahttp(server.http_url, "GET", file_path)
            assert status == 200 and data == b"kept"
            # the identity is kept too
            again, _, _ = await get_token(server.http_url, identity=(customer_id, key))
            assert again == customer_id


@pytest.mark.parametrize("with_db", [True, False])
async def test_restart_in_place(tmp_path: Path, with_db: bool) -> None:
    db = tmp_path / "chats.sqlite3" if with_db else None
    with anyio.fail_after(10):
        async with serve(db_path=db, config=CONFIG) as server:
            _, _, token = await get_token(server.http_url)
            chat_id, _ = await _chat(server.url, token)
            client = await RawWS.connect(server.url)
            await client.login(token)
            old_core = server.core
            await server.restart()
            assert server.core is not old_core
            closed = await client.wait_closed()
            assert closed.code == 1012
            await client.aclose()
            client = await RawWS.connect(server.url)
            await client.login(token)
            response, _ = await client.request("get_chats_summary")
            assert [c["id"] for c in response["payload"]["chats_summary"]] == [chat_id]
            # the flag does the same from the timer task
            server.faults.restart_requested = True
            assert (await client.wait_closed()).code == 1012
            assert not server.faults.restart_requested
            await client.aclose()
