"""How much slower the same core work runs right after the thread slept (a diagnostic).

``python -m bench.idle [N]`` times one request round trip of the client core (v0.3, stdlib
json): ``send_message`` + ``outputs()``, then ``receive_many`` of the response and the push
that resolves it, as figure 5's server sends them. It does so back to back, then with a
100 us and a 1 ms sleep before each round trip (a client waiting for the server sleeps in
``epoll_wait`` between its round trips). It reports microseconds per round trip and the
slowdown against back to back. Not a figure with a target: it explains why figure 5's CPU
per round trip is several times what the core costs in a tight loop (``docs/performance.md``).
"""

from __future__ import annotations

import json
import sys
import time

from bench._util import CHAT_ID
from bench.core import ready_core
from bench.pushserver import send_event_answers
from customer_protocol import codec


def _answers(send: bytes, number: int) -> list[bytes]:
    """The server's response and push for one ``send_event`` (``bench.pushserver``'s)."""
    request = json.loads(send)
    custom_id = request["payload"]["event"]["custom_id"]
    return list(send_event_answers(number, request["request_id"], custom_id))


def measure(n: int, sleep: float) -> float:
    """Microseconds of core work per round trip, each round trip after ``sleep`` seconds."""
    core = ready_core()
    clock, total = time.perf_counter, 0.0
    for number in range(n):
        if sleep:
            time.sleep(sleep)
        now = 100.0 + number * 0.001
        start = clock()
        core.send_message(CHAT_ID, "Hello", now=now)
        (send,) = core.outputs()
        middle = clock()
        answers = _answers(send.data, number)  # type: ignore[union-attr]
        resumed = clock()
        core.receive_many(answers, now)
        core.outputs()
        total += (middle - start) + (clock() - resumed)
    return total / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    previous = codec.use_orjson(False), codec.use_msgspec(False)
    try:
        base = measure(n, 0.0)
        print(f"back to back      {base:6.1f} us a round trip")
        for sleep in (0.0001, 0.001):
            took = measure(n, sleep)
            slower = took / base
            print(f"after {sleep * 1e6:5.0f} us sleep {took:6.1f} us a round trip ({slower:.1f}x)")
    finally:
        codec.use_orjson(previous[0])
        codec.use_msgspec(previous[1])


if __name__ == "__main__":
    main()
