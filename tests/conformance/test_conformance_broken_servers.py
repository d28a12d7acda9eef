"""Each way the reference server can be broken is flagged by the scenario that tests it."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import pytest

from adapters.conformance import Target, run_suite, select
from adapters.server import serve
from customer_protocol.server import FaultKind, FaultRule, Faults, ServerConfig


@dataclass(frozen=True)
class Broken:
    rule: FaultRule
    scenario: str
    says: str  # a piece of the failure's expected/seen text


MODES = {
    "requester push without request_id": Broken(
        FaultRule(kind=FaultKind.ECHO_WITHOUT_REQUEST_ID, action="send_event", times=None),
        "push.echo_request_id",
        "to carry",
    ),
    "other connections' pushes with request_id": Broken(
        FaultRule(kind=FaultKind.REQUEST_ID_TO_ALL, action="send_event", times=None),
        "push.others_no_request_id",
        "without request_id",
    ),
    "missing echo push": Broken(
        FaultRule(kind=FaultKind.SKIP_PUSH, action="send_event", times=None),
        "push.echo_request_id",
        "incoming_event",
    ),
    "history paging from the oldest page": Broken(
        FaultRule(kind=FaultKind.OLDEST_PAGE_FIRST, action=None, times=None),
        "threads_summary.newest_first",
        "newest",
    ),
    "malformed push": Broken(
        FaultRule(kind=FaultKind.BROKEN_PUSH, action="send_event", times=None),
        "send_event.shape",
        "incoming_event",
    ),
    "malformed JSON frame": Broken(
        FaultRule(kind=FaultKind.MALFORMED_JSON, action="get_chats_summary", times=None),
        "rtm.response_envelope",
        "not a JSON object",
    ),
    "login refused with an error": Broken(
        FaultRule(kind=FaultKind.ERROR, action="login", times=None, error_type="internal"),
        "rtm.login_success",
        "login to succeed",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", sorted(MODES))
async def test_the_runner_flags_a_broken_server(mode: str) -> None:
    broken = MODES[mode]
    faults = Faults()
    faults.add(broken.rule)
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None), faults=faults) as server:
            target = Target(url=server.url, license_id=1, timeout=1, quiet=0.2)
            [result] = await run_suite(target, select([broken.scenario]))
            faults.clear()
            [healthy] = await run_suite(target, select([broken.scenario]))
    assert result.status == "fail", result
    assert broken.says in result.expected + result.seen, result
    assert healthy.status == "pass", healthy


@pytest.mark.anyio
async def test_a_refused_login_fails_every_scenario_that_logs_in() -> None:
    faults = Faults()
    faults.add(FaultRule(kind=FaultKind.ERROR, action="login", times=None))
    with anyio.fail_after(20):
        async with serve(config=ServerConfig(agent=None), faults=faults) as server:
            target = Target(url=server.url, license_id=1, timeout=1, quiet=0.2)
            results = await run_suite(target, select(["push.*", "thread.*", "rtm.upgrade"]))
    verdicts = {r.id: r.status for r in results}
    assert verdicts.pop("rtm.upgrade") == "pass"  # no login needed
    assert set(verdicts.values()) == {"fail"}
