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
from .context import Context
from .driver import DEMO_ACCOUNTS, AccountsCredentials, Failed, Skipped, Target
from .model import Result, Scenario
from .scenarios_http import SCENARIOS as HTTP
from .scenarios_pushes import SCENARIOS as PUSHES
from .scenarios_requests import SCENARIOS as REQUESTS
from .scenarios_rtm import SCENARIOS as RTM

__all__ = [
    "SCENARIOS",
    "add_conformance_arguments",
    "render_table",
    "report_json",
    "run_conformance",
    "run_scenario",
    "run_suite",
    "select",
]

SCENARIOS: tuple[Scenario, ...] = RTM + REQUESTS + PUSHES + HTTP
"""Every scenario, in the order they run."""

_SCENARIO_BUDGET = 30.0
"""Seconds a scenario may take beyond its own waits before it is failed as hanging."""


def select(patterns: Iterable[str] = ()) -> tuple[Scenario, ...]:
    """The scenarios whose id matches one of the glob ``patterns`` (all when none)."""
    wanted = list(patterns)
    if not wanted:
        return SCENARIOS
    return tuple(s for s in SCENARIOS if any(fnmatch.fnmatchcase(s.id, p) for p in wanted))


async def run_scenario(scenario: Scenario, target: Target) -> Result:
    """Run one scenario against ``target`` and say how it went (never raises).

    After the scenario's own checks, every frame its connections received must be well formed
    (``wire.md`` §2 and §5): a malformed frame or push fails the scenario that received it.
    """
    ctx = Context(target)
    started = time.monotonic()
    status, expected, seen, reason = "pass", "", "", ""
    budget = _SCENARIO_BUDGET + 4 * target.timeout + target.max_expiry_wait
    try:
        with anyio.fail_after(budget):
            await scenario.run(ctx)
        problems = [p for conn in ctx.connections for p in frame_problems(conn.frames)]
        if problems:
            raise Failed("every frame a well-formed response or push (§2, §5)", "; ".join(problems))
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


async def run_suite(target: Target, scenarios: Sequence[Scenario] = SCENARIOS) -> list[Result]:
    """Run ``scenarios`` one after the other; their results, in order."""
    return [await run_scenario(scenario, target) for scenario in scenarios]


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
    return {
        "target": {"url": target.url, "license_id": target.license_id},
        "summary": _counts(results),
        "results": [r.to_json() for r in results],
    }


# -- command line ------------------------------------------------------------------------------


def add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``customer-protocol conformance`` to ``parser``."""
    add = parser.add_argument
    add("url", help="API base URL of the server under test, e.g. ws://127.0.0.1:8080")
    add("--license-id", type=int, required=True, metavar="N", help="the license to test")
    add(
        "--token",
        action="append",
        default=[],
        metavar="T",
        help="use this access token (repeat for a second customer) instead of the accounts flow",
    )
    add("--client-id", default=DEMO_ACCOUNTS.client_id, help="accounts client_id")
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
    return Target(
        url=args.url,
        license_id=args.license_id,
        tokens=tuple(args.token),
        accounts=AccountsCredentials(
            client_id=args.client_id,
            client_secret=args.client_secret,
            app_access_token=args.app_token,
            redirect_uri=args.redirect_uri,
        ),
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
    scenarios = select(args.only)
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
    print(f"Conformance of {target.url} (license {target.license_id})\n", file=out)
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
