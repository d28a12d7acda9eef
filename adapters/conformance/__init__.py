"""A conformance runner for any server speaking the Customer Chat API v0.3 (``wire.md``) or
the LiveChat Customer Chat API v3.4-v3.6 (``v3.md``, ``--api 3.6``).

It drives the server at the raw message level (its own small driver over
:mod:`transports.websocket` and :mod:`transports.http`, never the SDK client), runs the
scenarios (each tied to a section of ``wire.md``/``sdk.md``) and reports pass, fail (expected
vs seen) or skip (a precondition could not be established). From Python::

    results = await run_suite(Target(url="ws://127.0.0.1:8080", license_id=1))

from the command line: ``customer-protocol conformance ws://127.0.0.1:8080 --license-id 1``
(see ``docs/conformance.md``).
"""

from __future__ import annotations

from .context import Context
from .driver import DEMO_ACCOUNTS, AccountsCredentials, Failed, Skipped, Target, V3Credentials
from .model import Result, Scenario
from .runner import (
    SCENARIOS,
    V3_SCENARIOS,
    add_conformance_arguments,
    render_table,
    report_json,
    run_conformance,
    run_scenario,
    run_suite,
    select,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "SCENARIOS",
    "V3_SCENARIOS",
    "AccountsCredentials",
    "Context",
    "Failed",
    "Result",
    "Scenario",
    "Skipped",
    "Target",
    "V3Credentials",
    "add_conformance_arguments",
    "render_table",
    "report_json",
    "run_conformance",
    "run_scenario",
    "run_suite",
    "select",
]
