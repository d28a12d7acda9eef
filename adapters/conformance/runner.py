"""Running the scenarios, the report (table and JSON) and the ``conformance`` command."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, TextIO

import anyio

from .checks import frame_problems
from .checks_v3 import v3_frame_problems
from .context import Context
from .driver import (
    DEMO_ACCOUNTS,
    DEMO_V3_ACCOUNTS,
    AccountsCredentials,
    Failed,
    Skipped,
    Target,
    V3Credentials,
)
from .model import Result, Scenario
from .paths import LEGACY_API, V3_APIS, is_v3
from .scenarios_http import SCENARIOS as HTTP
from .scenarios_pushes import SCENARIOS as PUSHES
from .scenarios_requests import SCENARIOS as REQUESTS
from .scenarios_rtm import SCENARIOS as RTM
from .scenarios_v3_chats import SCENARIOS as V3_CHATS
from .scenarios_v3_lists import SCENARIOS as V3_LISTS
from .scenarios_v3_other import SCENARIOS as V3_OTHER
from .scenarios_v3_props import SCENARIOS as V3_PROPS
from .scenarios_v3_session import SCENARIOS as V3_SESSION
from .scenarios_v3_web import SCENARIOS as V3_WEB

__all__ = [
    "SCENARIOS",
    "V3_SCENARIOS",
    "add_conformance_arguments",
    "render_table",
    "report_json",
    "run_conformance",
    "run_scenario",
    "run_suite",
    "select",
]

SCENARIOS: tuple[Scenario, ...] = RTM + REQUESTS + PUSHES + HTTP
"""Every v0.3 scenario (``wire.md``), in the order they run."""

V3_SCENARIOS: tuple[Scenario, ...] = V3_SESSION + V3_CHATS + V3_LISTS + V3_PROPS + V3_OTHER + V3_WEB
"""Every v3 scenario (``v3.md``), in the order they run."""

_SCENARIO_BUDGET = 30.0
"""Seconds a scenario may take beyond its own waits before it is failed as hanging."""


def select(patterns: Iterable[str] = (), api: str = LEGACY_API) -> tuple[Scenario, ...]:
    """The scenarios of dialect ``api`` whose id matches one of the glob ``patterns`` (all
    when none)."""
    every = V3_SCENARIOS if is_v3(api) else SCENARIOS
    wanted = list(patterns)
    if not wanted:
        return every
    return tuple(s for s in every if any(fnmatch.fnmatchcase(s.id, p) for p in wanted))


async def run_scenario(scenario: Scenario, target: Target) -> Result:
    """Run one scenario against ``target`` and say how it went (never raises).

    After the scenario's own checks, every frame its connections received must be well formed
    (``wire.md`` §2 and §5; in v3, ``v3.md`` §2 and the docs' pushes, ``version`` included): a
    malformed frame or push fails the scenario that received it.
    """
    ctx = Context(target)
    started = time.monotonic()
    status, expected, seen, reason = "pass", "", "", ""
    budget = _SCENARIO_BUDGET + 4 * target.timeout + target.max_expiry_wait
    try:
        with anyio.fail_after(budget):
            await scenario.run(ctx)
        if target.is_v3:
            problems = [p for c in ctx.connections for p in v3_frame_problems(c.frames, target.api)]
            where = "v3.md §2"
        else:
            problems = [p for c in ctx.connections for p in frame_problems(c.frames)]
            where = "§2, §5"
        if problems:
            raise Failed(
                f"every frame a well-formed response or push ({where})", "; ".join(problems)
            )
    except Failed as failure:
        status, expected, seen = "fail", failure.expected, failure.seen
    except Skipped as skip:
        status, reason = "skip", skip.reason
    except TimeoutError:
        status, expected, seen = "fail", f"the scenario to finish within {budget:.0f} s", "hung"
    except Exception as exc:  # the runner reports what the server made it trip over
        status, expected, seen = "fail", "a conformant exchange", f"{type(exc).__name__}: {exc}"
    finally:
        await ctx.aclose()
    return Result(
        id=scenario.id,
        spec=scenario.spec,
        title=scenario.title,
        status=status,  # type: ignore[arg-type]
        expected=expected,
        seen=seen,
        reason=reason,
        seconds=time.monotonic() - started,
    )


async def run_suite(target: Target, scenarios: Sequence[Scenario] | None = None) -> list[Result]:
    """Run ``scenarios`` (default: every scenario of the target's dialect) one after the
    other; their results, in order."""
    chosen = select(api=target.api) if scenarios is None else scenarios
    return [await run_scenario(scenario, target) for scenario in chosen]


def _counts(results: Sequence[Result]) -> dict[str, int]:
    return {
        "total": len(results),
        "passed": sum(r.status == "pass" for r in results),
        "failed": sum(r.status == "fail" for r in results),
        "skipped": sum(r.status == "skip" for r in results),
    }


def render_table(results: Sequence[Result], out: TextIO) -> None:
    """Print the pass/fail table: status, id, spec section, check; expected vs seen under
    each failure, the reason under each skip; then the totals."""
    width = max((len(r.id) for r in results), default=10)
    spec_width = max((len(r.spec) for r in results), default=10)
    print(f"{'RESULT':6}  {'SCENARIO':{width}}  {'SPEC':{spec_width}}  CHECK", file=out)
    for r in results:
        print(f"{r.status.upper():6}  {r.id:{width}}  {r.spec:{spec_width}}  {r.title}", file=out)
        if r.status == "fail":
            print(f"{'':8}expected: {r.expected}", file=out)
            print(f"{'':8}seen:     {r.seen}", file=out)
        elif r.status == "skip":
            print(f"{'':8}skipped:  {r.reason}", file=out)
    c = _counts(results)
    print(
        f"\n{c['total']} scenarios: {c['passed']} passed, {c['failed']} failed, "
        f"{c['skipped']} skipped (a skip is not a pass)",
        file=out,
    )


def report_json(results: Sequence[Result], target: Target) -> dict[str, Any]:
    """The ``--json`` report: target, totals and every result."""
    where: dict[str, Any] = {"url": target.url, "api": target.api}
    if target.is_v3:
        where["organization_id"] = target.organization_id
    else:
        where["license_id"] = target.license_id
    return {
        "target": where,
        "summary": _counts(results),
        "results": [r.to_json() for r in results],
    }


# -- command line ------------------------------------------------------------------------------


def add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``customer-protocol conformance`` to ``parser``."""
    add = parser.add_argument
    add("url", help="API base URL of the server under test, e.g. ws://127.0.0.1:8080")
    add(
        "--api",
        choices=(LEGACY_API, *V3_APIS),
        default=LEGACY_API,
        help="the dialect to test: 0.3 (wire.md, the default) or a LiveChat v3.x (v3.md)",
    )
    add("--license-id", type=int, metavar="N", help="the license to test (v0.3; required)")
    add("--organization-id", metavar="ID", help="the organization to test (v3; required)")
    add(
        "--token",
        action="append",
        default=[],
        metavar="T",
        help="use this access token (repeat for a second customer) instead of the accounts flow",
    )
    add("--client-id", default=DEMO_ACCOUNTS.client_id, help="accounts client_id")
    add(
        "--agent-token",
        default=DEMO_V3_ACCOUNTS.agent_token,
        help="v3: the agent access token of the agent-token grant",
    )
    add("--client-secret", default=DEMO_ACCOUNTS.client_secret, help="accounts client_secret")
    add("--app-token", default=DEMO_ACCOUNTS.app_access_token, help="accounts app access token")
    add("--redirect-uri", default=DEMO_ACCOUNTS.redirect_uri, help="accounts redirect_uri")
    add("--accounts-url", help="accounts base URL (default: the API URL over http(s))")
    add("--json", metavar="FILE", help="also write a JSON report to FILE ('-': stdout)")
    add("--only", action="append", default=[], metavar="GLOB", help="run matching scenario ids")
    add("--list", action="store_true", help="list the scenarios and exit")
    add("--timeout", type=float, default=5.0, metavar="S", help="wait per expected message")
    add("--quiet", type=float, default=0.5, metavar="S", help="listen time for 'nothing sent'")
    add("--max-connections", type=int, default=10, metavar="N", help="connection-limit probe")
    add(
        "--max-expiry-wait",
        type=float,
        default=5.0,
        metavar="S",
        help="test token expiry when expires_in is at most S seconds",
    )
    add("--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop")


def target_from_args(args: argparse.Namespace) -> Target:
    """The :class:`Target` the command-line options describe."""
    if is_v3(args.api) and not args.organization_id:
        raise ValueError(f"--api {args.api} needs --organization-id")
    if not is_v3(args.api) and args.license_id is None:
        raise ValueError("--license-id is required (v0.3)")
    return Target(
        url=args.url,
        license_id=args.license_id or 0,
        api=args.api,
        organization_id=args.organization_id,
        tokens=tuple(args.token),
        accounts=AccountsCredentials(
            client_id=args.client_id,
            client_secret=args.client_secret,
            app_access_token=args.app_token,
            redirect_uri=args.redirect_uri,
        ),
        v3_accounts=V3Credentials(client_id=args.client_id, agent_token=args.agent_token),
        accounts_url=args.accounts_url,
        timeout=args.timeout,
        quiet=args.quiet,
        max_connections_probe=args.max_connections,
        max_expiry_wait=args.max_expiry_wait,
    )


def run_conformance(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The ``conformance`` command: run, print the table, write ``--json``; 1 on any failure
    (2 when the options are unusable)."""
    out = out or sys.stdout
    scenarios = select(args.only, args.api)
    if args.list:
        for s in scenarios:
            print(f"{s.id:34}  {s.spec:38}  {s.title}", file=out)
        return 0
    if not scenarios:
        print(f"no scenario matches {args.only}", file=sys.stderr)
        return 2
    try:
        target = target_from_args(args)
        target.base  # noqa: B018 - parse the URLs now, to fail early
        target.accounts_base  # noqa: B018
    except Exception as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    where = (
        f"API {target.api}, organization {target.organization_id}"
        if target.is_v3
        else f"license {target.license_id}"
    )
    print(f"Conformance of {target.url} ({where})\n", file=out)
    results = anyio.run(partial(run_suite, target, scenarios), backend=args.backend)
    render_table(results, out)
    if args.json:
        text = json.dumps(report_json(results, target), indent=2)
        if args.json == "-":
            print(text, file=out)
        else:
            with open(args.json, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
    return 1 if any(r.status == "fail" for r in results) else 0
