"""Each way the reference server can be broken in v3 is flagged by the scenario that tests it
(and the healthy server passes that scenario)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from adapters.conformance import Target, run_suite, select
from adapters.server import serve
from customer_protocol.server import FaultKind, FaultRule, Faults, ServerConfig


@dataclass(frozen=True)
class Broken:
    rules: tuple[FaultRule, ...]
    scenario: str
    says: str  # a piece of the failure's expected/seen text
    config: dict[str, Any] = field(default_factory=dict)
    healthy: str = "pass"
    timeout: float = 1.0


def rule(kind: FaultKind, action: str | None, **kwargs: Any) -> tuple[FaultRule, ...]:
    return (FaultRule(kind=kind, action=action, times=None, **kwargs),)


MODES = {
    "requester's incoming_event without request_id": Broken(
        rule(FaultKind.ECHO_WITHOUT_REQUEST_ID, "send_event"),
        "v3.send_event.response",
        "with request_id",
    ),
    "other connection's incoming_event with request_id": Broken(
        rule(FaultKind.REQUEST_ID_TO_ALL, "send_event"),
        "v3.send_event.others_no_request_id",
        "without request_id",
    ),
    "other connection's incoming_chat with request_id": Broken(
        rule(FaultKind.REQUEST_ID_TO_ALL, "start_chat"),
        "v3.start_chat.others_no_request_id",
        "without request_id",
    ),
    "other connection's chat_deactivated with request_id": Broken(
        rule(FaultKind.REQUEST_ID_TO_ALL, "deactivate_chat"),
        "v3.deactivate_chat.others_no_request_id",
        "without request_id",
    ),
    "other connection's incoming_chat for resume_chat with request_id": Broken(
        rule(FaultKind.REQUEST_ID_TO_ALL, "resume_chat"),
        "v3.resume_chat.others_no_request_id",
        "without request_id",
    ),
    "deactivate_chat's system message with request_id": Broken(
        rule(FaultKind.REQUEST_ID_ON_SIDE_EFFECTS, "deactivate_chat"),
        "v3.deactivate_chat.side_effects",
        "no other push with request_id",
    ),
    "pushes without version": Broken(
        rule(FaultKind.PUSH_WITHOUT_VERSION, "start_chat"), "v3.rtm.push_version", "version"
    ),
    "no incoming_chat for start_chat": Broken(
        rule(FaultKind.SKIP_PUSH, "start_chat"), "v3.start_chat.requester_push", "incoming_chat"
    ),
    "chat_properties_updated without request_id": Broken(
        rule(FaultKind.ECHO_WITHOUT_REQUEST_ID, "update_chat_properties"),
        "v3.properties.chat_update",
        "with request_id",
    ),
    "a frame that is not JSON": Broken(
        rule(FaultKind.MALFORMED_JSON, "list_chats"),
        "v3.rtm.response_envelope",
        "not a JSON object",
    ),
    "an incoming_event without its event": Broken(
        rule(FaultKind.BROKEN_PUSH, "send_event"), "v3.send_event.response", "missing ['event']"
    ),
    "login refused": Broken(
        rule(FaultKind.ERROR, "login", error_type="internal"),
        "v3.login.response",
        "login to succeed",
    ),
    "get_customer fails": Broken(
        rule(FaultKind.ERROR, "get_customer"), "v3.customer.get", "get_customer to succeed"
    ),
    "protocol ping not answered": Broken(
        rule(FaultKind.UNANSWERED_PING, "ping"), "v3.rtm.ping_answered", "a ping response"
    ),
    "list_threads oldest first by default": Broken(
        rule(FaultKind.OLDEST_PAGE_FIRST, "list_threads"),
        "v3.list_threads.newest_first",
        "newest first",
    ),
    "no pending-request limit": Broken(
        rule(FaultKind.DELAY, "get_customer", delay=1.5),
        "v3.rtm.pending_limit",
        "pending_requests_limit_reached past 10",
        config={"max_pending_requests": 1000},
        timeout=4.0,  # (longer than the held answers take)
        healthy="skip",  # (a fast healthy server never has 10 pending)
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", sorted(MODES))
async def test_the_runner_flags_a_broken_v3_server(mode: str) -> None:
    broken = MODES[mode]
    faults = Faults()
    for one in broken.rules:
        faults.add(one)
    config = ServerConfig(agent=None, **broken.config)
    chosen = select([broken.scenario], "3.6")
    with anyio.fail_after(20):
        async with serve(config=config, faults=faults) as server:
            target = Target(
                url=server.url,
                api="3.6",
                organization_id=config.organization_id,
                timeout=broken.timeout,
                quiet=0.2,
            )
            [result] = await run_suite(target, chosen)
            faults.clear()
            [healthy] = await run_suite(target, chosen)
    assert result.status == "fail", result
    assert broken.says in result.expected + result.seen, result
    assert healthy.status == broken.healthy, healthy
