"""Run every benchmark: ``python -m bench [--quick] [--only KEY ...] [--chart PATH]``.

Prints a table of ratios against baselines measured in the same run and writes every figure
to ``bench/results/latest.json`` (and ``--out``). Exits non-zero only when a benchmark fails
to run (an exception, a lost message); missed targets are reported, not fatal, because the
timings of a shared machine are noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench._util import Figure

RESULTS = Path(__file__).resolve().parent / "results"

# name -> (quick arguments, full arguments)
SIZES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "core_receive": ((20_000, 5), (100_000, 7)),
    "core_send": ((20_000, 5), (100_000, 7)),
    "transport": ((20_000, 5), (100_000, 7)),
    "pushes": ((5_000, 3), (30_000, 5)),
    "pushes_v3": ((5_000, 3), (30_000, 5)),
    "round_trips": ((500, 3), (2_000, 9)),  # its wall ratio swings: more rounds
    "connect": ((5,), (15,)),
    "peer": ((5_000, 3, 1), (30_000, 10, 3)),
    "backlog": ((20_000,), (100_000,)),
    "history": ((1_000, 10), (10_000, 10)),
    "scale": ((200,), (1_000,)),
}


def _benchmarks() -> dict[str, Callable[..., list[Figure]]]:
    from bench import core, e2e, memory, peer

    return {
        "core_receive": core.fig_core_receive,
        "core_send": core.fig_core_send,
        "transport": core.fig_transport,
        "pushes": e2e.fig_pushes,
        "pushes_v3": e2e.fig_pushes_v3,
        "round_trips": e2e.fig_round_trips,
        "connect": e2e.fig_connect,
        "peer": peer.fig_peer,
        "backlog": memory.fig_backlog,
        "history": memory.fig_history,
        "scale": memory.fig_scale,
    }


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit in ("ms", "KiB"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.3g}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "ratio", "target", "ok", "ours", "baseline", "notes")]
    for f in figures:
        ok = "-" if f.ok is None else ("yes" if f.ok else "NO")
        ratio = "-" if f.ratio is None else f"{f.ratio:.3g}x"
        if f.unit == "KiB":  # memory figures: the ratio column holds the key number
            ratio = f"{f.ratio:,.2f}" if f.ratio is not None else "-"
        rows.append(
            (f.key, ratio, f.target, ok, _fmt(f.ours, f.unit), _fmt(f.baseline, f.unit), f.notes)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = []
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:6], widths, strict=False))
            + "  "
            + row[6]
        )
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized (well under 2 minutes)")
    parser.add_argument("--only", nargs="*", choices=sorted(SIZES), help="run only these")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--chart", type=Path, help="draw a PNG chart of the ratios here")
    args = parser.parse_args(argv)
    benchmarks = _benchmarks()
    names = args.only or list(SIZES)
    figures: list[Figure] = []
    failures: list[str] = []
    started = time.perf_counter()
    for name in names:
        sizes = SIZES[name][0 if args.quick else 1]
        t0 = time.perf_counter()
        print(f"== {name} {sizes}", file=sys.stderr, flush=True)
        try:
            figures.extend(benchmarks[name](*sizes))
        except Exception:
            failures.append(name)
            traceback.print_exc()
        print(f"   {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(table(figures))
    from customer_protocol import codec

    result = {
        "mode": "quick" if args.quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "orjson_default": codec._USE_ORJSON,
        "failures": failures,
        "figures": [dataclasses.asdict(f) for f in figures],
    }
    RESULTS.mkdir(exist_ok=True)
    for path in [RESULTS / "latest.json", *([args.out] if args.out else [])]:
        path.write_text(json.dumps(result, indent=2) + "\n")
    if args.chart:
        from bench.chart import draw

        draw(result, args.chart)
    if failures:
        print(f"FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0
