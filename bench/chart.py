"""A bar chart of the ratios of one run: ``python -m bench.chart results.json out.png``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def draw(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        f
        for f in result["figures"]
        if f["ratio"] is not None and f["unit"] != "KiB" and f["target"].startswith(">=")
    ]
    names = [f["key"] for f in rows]
    ratios = [f["ratio"] for f in rows]
    targets = [float(f["target"].split()[1].rstrip("x")) for f in rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.2))
    y = range(len(rows))
    colors = ["tab:green" if r >= t else "tab:red" for r, t in zip(ratios, targets, strict=True)]
    ax.barh(list(y), ratios, color=colors)
    ax.scatter(targets, list(y), marker="|", s=300, color="black", label="target", zorder=3)
    ax.set_yticks(list(y), names)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("ratio vs baseline in the same run (log scale; higher is better)")
    ax.set_title(f"customer-protocol benchmarks ({result['mode']} run)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
