"""The reference server passes every conformance scenario; the CLI and the report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import anyio
import pytest

from adapters.cli import main
from adapters.conformance import (
    SCENARIOS,
    Context,
    Target,
    render_table,
    report_json,
    run_suite,
    select,
)
from adapters.server import run_in_thread, serve
from customer_protocol.server import AgentConfig, ServerConfig

# A busy simulated agent (joins, types and answers quickly) must not disturb any scenario.
BUSY_AGENT = ServerConfig(agent=AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1))


def test_scenarios_are_many_unique_and_tied_to_the_spec() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(s.spec.startswith(("wire.md §", "sdk.md §")) for s in SCENARIOS)
    assert select(["push.*"]) and all(s.id.startswith("push.") for s in select(["push.*"]))


@pytest.mark.anyio
async def test_reference_server_passes_every_scenario() -> None:
    with anyio.fail_after(50):
        async with serve(config=BUSY_AGENT) as server:
            results = await run_suite(Target(url=server.url, license_id=1, quiet=0.3))
    failed = [(r.id, r.expected, r.seen) for r in results if r.status == "fail"]
    assert failed == []
    skipped = {r.id for r in results if r.status == "skip"}
    assert skipped == {"accounts.token_expiry"}  # tokens live an hour: not worth the wait
    out = io.StringIO()
    render_table(results, out)
    assert f"{len(SCENARIOS)} scenarios: {len(SCENARIOS) - 1} passed, 0 failed" in out.getvalue()


@pytest.mark.anyio
async def test_token_expiry_is_tested_when_tokens_are_short_lived() -> None:
    config = ServerConfig(agent=None, token_ttl=1)
    with anyio.fail_after(15):
        async with serve(config=config) as server:
            target = Target(url=server.url, license_id=1, max_expiry_wait=2)
            [result] = await run_suite(target, select(["accounts.token_expiry"]))
    assert result.status == "pass", result


@pytest.mark.anyio
async def test_fixed_tokens_skip_what_needs_fresh_customers_and_accounts() -> None:
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None)) as server:
            _, token = server.create_customer()
            target = Target(url=server.url, license_id=1, tokens=(token,))
            chosen = select(["chats_summary.empty", "send_event.shape", "authz.*", "accounts.*"])
            results = {r.id: r for r in await run_suite(target, chosen)}
    assert results["send_event.shape"].status == "pass"
    assert results["chats_summary.empty"].status == "skip"
    assert "fresh customer" in results["chats_summary.empty"].reason
    assert results["authz.other_customers_chat"].status == "skip"
    assert all(r.status == "skip" for k, r in results.items() if k.startswith("accounts."))


# What a fixed customer cannot do: be brand new, or be made by the accounts flow.
TOKEN_SKIPS = {"chats_summary.empty"} | {s.id for s in select(["accounts.*"])}


def test_cli_passes_with_fixed_tokens_run_after_run_and_with_accounts_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with run_in_thread(config=BUSY_AGENT) as server:
        _, first = server.create_customer()
        _, second = server.create_customer()
        url = ["conformance", server.url, "--license-id", "1", "--quiet", "0.3"]
        for run in (1, 2):  # the second run meets everything the first left behind
            assert main([*url, "--token", first, "--token", second]) == 0, run
            table = capsys.readouterr().out
            assert "PASS    customer.update" in table
            skipped = {line.split()[1] for line in table.splitlines() if line.startswith("SKIP")}
            assert skipped == TOKEN_SKIPS
        accounts = ["--client-id", "demo-client", "--client-secret", "demo-secret"]
        accounts += ["--app-token", "demo-app-token", "--redirect-uri", "http://localhost/callback"]
        assert main([*url, *accounts]) == 0
        assert f"{len(SCENARIOS) - 1} passed, 0 failed, 1 skipped" in capsys.readouterr().out


@pytest.mark.anyio
async def test_scenarios_close_the_threads_they_opened() -> None:
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None)) as server:
            customer_id, token = server.create_customer()
            target = Target(url=server.url, license_id=1, tokens=(token,))
            results = await run_suite(target, select(["start_chat.*", "webapi.start_chat"]))
            assert {r.status for r in results} == {"pass"}
            chats = server.core.store.chats_of(customer_id)
            assert len(chats) == len(results)
            assert [c.id for c in chats if server.core.store.active_thread(c)] == []


@pytest.mark.anyio
async def test_customer_update_closes_threads_left_active_before_it() -> None:
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None)) as server:
            _, token = server.create_customer()
            target = Target(url=server.url, license_id=1, tokens=(token,))
            ctx = Context(target)
            conn, _ = await ctx.login(await ctx.customer())
            for _ in range(3):  # left active, as by a run that was interrupted
                await conn.ok("start_chat", {})
            await conn.close()  # (not ctx.aclose(): that would close the threads)
            [result] = await run_suite(target, select(["customer.update"]))
    assert result.status == "pass", result


def test_cli_table_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    with run_in_thread(config=ServerConfig(agent=None)) as server:
        argv = ["conformance", server.url, "--license-id", "1", "--json", str(report)]
        assert main([*argv, "--only", "rtm.*", "--only", "webapi.bad_token"]) == 0
        table = capsys.readouterr().out
        assert "PASS    rtm.upgrade" in table and "wire.md §1" in table
        data = json.loads(report.read_text())
        assert data["summary"]["failed"] == 0
        assert data["summary"]["total"] == len(select(["rtm.*"])) + 1
        assert {"id", "spec", "status", "expected", "seen"} <= set(data["results"][0])
        # A wrong license id makes login impossible: failures, exit code 1.
        wrong = ["conformance", server.url, "--license-id", "2", "--only", "rtm.login_success"]
        assert main(wrong) == 1
        assert "FAIL    rtm.login_success" in capsys.readouterr().out
    assert main(["conformance", "ftp://nowhere", "--license-id", "1"]) == 2
    assert main(["conformance", "ws://x", "--license-id", "1", "--only", "nothing*"]) == 2
    assert main(["conformance", "ws://x", "--license-id", "1", "--list"]) == 0
    assert "accounts.code_and_token" in capsys.readouterr().out


def test_report_json_shape() -> None:
    target = Target(url="ws://127.0.0.1:1", license_id=7)
    assert report_json([], target) == {
        "target": {"url": "ws://127.0.0.1:1", "api": "0.3", "license_id": 7},
        "summary": {"total": 0, "passed": 0, "failed": 0, "skipped": 0},
        "results": [],
    }


@pytest.mark.anyio
async def test_an_unreachable_server_fails_rather_than_hangs() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens on that port any more
    target = Target(url=f"ws://127.0.0.1:{port}", license_id=1, timeout=1)
    with anyio.fail_after(10):
        [result] = await run_suite(target, select(["rtm.upgrade"]))
    assert result.status == "fail"
