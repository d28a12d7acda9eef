"""Generate docs/states.md (the lifecycle diagram) from the core's transition table.

Run: python docs/gen_states.py  (tests/test_docs_states.py checks the file is current).
"""

from __future__ import annotations

import pathlib

from customer_protocol.state import TRANSITIONS, Phase

HEADER = """# Client lifecycle states

Generated from `customer_protocol.state.TRANSITIONS` by `docs/gen_states.py`; do not edit.
Every `(phase, input)` pair not listed raises `LocalProtocolError`. Self-loops (inputs that are
valid but do not move the phase) are listed in the table, not drawn.

"""


def render() -> str:
    lines = [HEADER, "```mermaid", "stateDiagram-v2", "    [*] --> stopped"]
    for (phase, event), target in sorted(TRANSITIONS.items()):
        if target is not phase:
            lines.append(f"    {phase.value} --> {target.value}: {event.value}")
    lines += ["```", "", "| phase | input | next phase |", "|---|---|---|"]
    for (phase, event), target in sorted(TRANSITIONS.items()):
        lines.append(f"| {phase.value} | {event.value} | {target.value} |")
    lines.append("")
    lines.append("Phases: " + ", ".join(f"`{p.value}`" for p in Phase) + ".")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    path = pathlib.Path(__file__).with_name("states.md")
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
