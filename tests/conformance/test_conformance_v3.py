"""The v3 scenarios: many, tied to v3.md; the reference server passes them in v3.4-v3.6, with
token grants and with fixed tokens; the CLI and the report."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import anyio
import pytest

from adapters.cli import main
from adapters.conformance import V3_SCENARIOS, Context, Target, render_table, run_suite, select
from adapters.server import run_in_thread, serve
from customer_protocol.server import AgentConfig, FaultKind, FaultRule, Faults, ServerConfig

BUSY_AGENT = ServerConfig(agent=AgentConfig(join_delay=0.05, typing_delay=0.05, reply_delay=0.1))
ORG = BUSY_AGENT.organization_id
# Without a slow action, no server has 10 requests pending: the limit is tested below.
FAST_SERVER_SKIPS = {"v3.rtm.pending_limit"}


def v3_target(url: str, api: str = "3.6", timeout: float = 5.0) -> Target:
    return Target(url=url, api=api, organization_id=ORG, quiet=0.3, timeout=timeout)


def test_v3_scenarios_are_many_unique_and_tied_to_v3_md_sections() -> None:
    ids = [s.id for s in V3_SCENARIOS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("v3.") for i in ids)
    for s in V3_SCENARIOS:
        assert s.spec.startswith("v3.md §"), s
        sections = [int(n) for n in re.findall(r"§(\d+)", s.spec)]
        assert sections and all(1 <= n <= 11 for n in sections), s  # v3.md has sections 1-11
    assert select(["v3.web.*"], "3.6") and not select(["v3.*"], "0.3")


@pytest.mark.anyio
async def test_reference_server_passes_every_v3_scenario() -> None:
    with anyio.fail_after(90):
        async with serve(config=BUSY_AGENT) as server:
            results = await run_suite(v3_target(server.url))
    failed = [(r.id, r.expected, r.seen) for r in results if r.status == "fail"]
    assert failed == []
    assert {r.id for r in results if r.status == "skip"} == FAST_SERVER_SKIPS
    assert len(results) == len(V3_SCENARIOS)


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["3.4", "3.5"])
async def test_reference_server_passes_in_the_older_v3_versions(api: str) -> None:
    chosen = select(["v3.rtm.*", "v3.login.*", "v3.start_chat.*", "v3.send_event.*"], api)
    with anyio.fail_after(60):
        async with serve(config=ServerConfig(agent=None)) as server:
            results = await run_suite(v3_target(server.url, api), chosen)
    assert [(r.id, r.seen) for r in results if r.status == "fail"] == []


@pytest.mark.anyio
async def test_the_pending_limit_is_tested_when_responses_are_held() -> None:
    faults = Faults()
    faults.add(FaultRule(kind=FaultKind.DELAY, action="get_customer", times=None, delay=0.5))
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None), faults=faults) as server:
            [result] = await run_suite(
                v3_target(server.url), select(["v3.rtm.pending_limit"], "3.6")
            )
    assert result.status == "pass", result


def _tokens(url: str, count: int) -> tuple[str, ...]:
    async def grant() -> tuple[str, ...]:
        ctx = Context(v3_target(url))
        return tuple([(await ctx.v3_customer()).access_token for _ in range(count)])

    return anyio.run(grant)


def test_v3_cli_with_grants_and_with_fixed_tokens_run_after_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "v3.json"
    with run_in_thread(config=BUSY_AGENT) as server:
        v3 = ["conformance", server.url, "--api", "3.6", "--organization-id", ORG]
        assert main([*v3, "--quiet", "0.3", "--json", str(report)]) == 0
        table = capsys.readouterr().out
        assert "PASS    v3.rtm.ping_answered" in table and "v3.md §2" in table
        data = json.loads(report.read_text())
        assert data["target"] == {"url": server.url, "api": "3.6", "organization_id": ORG}
        assert data["summary"]["failed"] == 0 and data["summary"]["total"] == len(V3_SCENARIOS)
        assert all(r["spec"].startswith("v3.md §") for r in data["results"])
        first, second = _tokens(server.url, 2)
        fixed = [*v3, "--quiet", "0.3", "--token", first, "--token", second]
        for run in (1, 2):  # the second run meets everything the first left behind
            assert main(fixed) == 0, run
            table = capsys.readouterr().out
            skipped = {line.split()[1] for line in table.splitlines() if line.startswith("SKIP")}
            assert skipped == FAST_SERVER_SKIPS | {s.id for s in select(["v3.token.*"], "3.6")}
    assert main(["conformance", "ws://x", "--api", "3.6"]) == 2  # no --organization-id
    assert main(["conformance", "ws://x", "--api", "3.6", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "v3.web.upload_file" in listing
    assert all(line.startswith("v3.") for line in listing.splitlines())


@pytest.mark.anyio
async def test_a_v3_failure_reads_expected_versus_seen() -> None:
    faults = Faults()
    faults.add(FaultRule(kind=FaultKind.UNANSWERED_PING, action="ping", times=None))
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None), faults=faults) as server:
            results = await run_suite(
                v3_target(server.url, timeout=1), select(["v3.rtm.ping_*"], "3.6")
            )
    out = io.StringIO()
    render_table(results, out)
    text = out.getvalue()
    assert "FAIL    v3.rtm.ping_answered" in text and "expected: a ping response" in text
    assert "2 scenarios: 0 passed, 2 failed" in text
