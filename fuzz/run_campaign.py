"""A long fuzz campaign over every fuzz test, in one command.

    python fuzz/run_campaign.py                        # 1,000,000 examples overall
    python fuzz/run_campaign.py --examples 200000      # a smaller campaign
    python fuzz/run_campaign.py --only client --examples 50000
    python fuzz/run_campaign.py --only _v3 --examples 50000     # the v3 tests only

The examples are split across the fuzz tests by weight (a stateful example is a whole run of
up to ``--steps`` steps, so those tests get fewer). Settings are those of the ``long`` profile
with ``derandomize`` off (a new random seed each run) and the example database on, so a
failure is saved and replayed first by the next ``pytest fuzz`` run. For each test the runner
prints the examples actually run, the time and the failure (with the shrunk example) if any;
the exit status is 1 if any test failed.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

# (module, test name, weight): a stateful machine's example is many inputs, hence the weights.
TESTS: list[tuple[str, str, float]] = [
    ("test_fuzz_client", "TestClientMachine", 0.04),
    ("test_fuzz_client_v3", "TestV3ClientMachine", 0.04),
    ("test_fuzz_messages", "test_decode_arbitrary_input", 0.13),
    ("test_fuzz_messages", "test_decode_mutated_messages_on_both_backends", 0.13),
    ("test_fuzz_messages", "test_client_survives_mutated_answers", 0.06),
    ("test_fuzz_messages", "test_client_survives_mutated_pushes_in_any_phase", 0.04),
    ("test_fuzz_messages_v3", "test_a_v3_client_survives_mutated_answers", 0.03),
    ("test_fuzz_messages_v3", "test_a_v3_client_survives_mutated_pushes_in_any_phase", 0.03),
    ("test_fuzz_transports", "test_websocket_chunking_independence", 0.08),
    ("test_fuzz_transports", "test_websocket_corrupted_streams", 0.08),
    ("test_fuzz_transports", "test_http_client_chunking_independence", 0.06),
    ("test_fuzz_transports", "test_http_client_corrupted_responses", 0.08),
    ("test_fuzz_transports", "test_http_server_chunking_independence", 0.06),
    ("test_fuzz_transports", "test_http_server_corrupted_requests", 0.08),
    ("test_fuzz_server", "TestServerMachine", 0.06),
    # the LiveChat v3 dialect (besides the v3 entries above)
    ("test_fuzz_messages_v3", "test_v3_decode_mutated_messages_on_both_backends", 0.03),
    ("test_fuzz_messages_v3", "test_every_v3_push_mutated_on_both_backends", 0.03),
    ("test_fuzz_messages_v3", "test_every_v3_response_mutated_on_both_backends", 0.03),
    ("test_fuzz_messages_v3", "test_mutated_login_and_ping_answers", 0.01),
    ("test_fuzz_server_v3", "TestV3ServerMachine", 0.02),
]


class Counter:
    """Counts the test-function calls Hypothesis makes (generation, replay and shrinking)."""

    def __init__(self) -> None:
        self.calls = 0


def campaign_settings(examples: int, steps: int | None = None) -> settings:
    extra: dict[str, Any] = {}
    if steps is not None:
        extra["stateful_step_count"] = steps
    return settings(
        max_examples=examples,
        derandomize=False,
        deadline=None,
        print_blob=True,
        database=DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "examples")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **extra,
    )


def run_one(module_name: str, name: str, examples: int, steps: int) -> tuple[int, str | None]:
    """Run one fuzz test with ``examples``; returns (calls made, failure text or None)."""
    module = __import__(f"fuzz.{module_name}", fromlist=[name])
    target = getattr(module, name)
    counter = Counter()
    if isinstance(target, type):  # a RuleBasedStateMachine's TestCase
        from hypothesis.stateful import run_state_machine_as_test

        base = getattr(module, name.removeprefix("Test"))  # TestClientMachine -> ClientMachine

        class Counted(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                counter.calls += 1
                super().__init__()

        Counted.__name__ = base.__name__
        try:
            run_state_machine_as_test(Counted, settings=campaign_settings(examples, steps))
        except Exception:
            return counter.calls, traceback.format_exc()
        return counter.calls, None
    inner = target.hypothesis.inner_test

    @functools.wraps(inner)
    def counted(*args: Any, **kwargs: Any) -> Any:
        counter.calls += 1
        return inner(*args, **kwargs)

    target.hypothesis.inner_test = counted
    test = settings(campaign_settings(examples))(target)
    try:
        test()
    except Exception:
        return counter.calls, traceback.format_exc()
    finally:
        target.hypothesis.inner_test = inner
    return counter.calls, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1_000_000, help="examples overall")
    parser.add_argument("--steps", type=int, default=60, help="steps per stateful example")
    parser.add_argument("--only", default="", help="run only tests whose name contains this")
    options = parser.parse_args(argv)
    chosen = [t for t in TESTS if options.only in f"{t[0]}::{t[1]}"]
    total_weight = sum(weight for _, _, weight in chosen)
    failures = 0
    total_calls = 0
    started = time.monotonic()
    print(f"{'test':<82} {'asked':>9} {'run':>9} {'seconds':>9}  result", flush=True)
    for module_name, name, weight in chosen:
        examples = max(1, round(options.examples * weight / total_weight))
        begin = time.monotonic()
        calls, failure = run_one(module_name, name, examples, options.steps)
        elapsed = time.monotonic() - begin
        total_calls += calls
        label = f"{module_name}::{name}"
        result = "ok" if failure is None else "FAILED"
        print(f"{label:<82} {examples:>9} {calls:>9} {elapsed:>9.1f}  {result}", flush=True)
        if failure is not None:
            failures += 1
            print(failure, flush=True)
    elapsed = time.monotonic() - started
    print(f"{'total':<82} {options.examples:>9} {total_calls:>9} {elapsed:>9.1f}  "
          f"{failures} failed", flush=True)  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
