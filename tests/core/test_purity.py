"""design.md: the core is pure. Importing customer_protocol loads no I/O, clock, thread,
randomness, logging or framing module, and no file of the package imports one."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import customer_protocol

FORBIDDEN = frozenset(
    {
        "socket",
        "ssl",
        "select",
        "asyncio",
        "trio",
        "anyio",
        "threading",
        "random",
        "secrets",
        "uuid",
        "h11",
        "wsproto",
        "logging",
    }
)
FORBIDDEN_IN_SOURCE = FORBIDDEN | {"time", "selectors", "transports", "adapters"}
PACKAGE = Path(customer_protocol.__file__).parent
ROOT = PACKAGE.parent

_PROBE = """
import json, sys
before = set(sys.modules)
{body}
print(json.dumps(sorted(set(sys.modules) - before) if {diff} else sorted(sys.modules)))
"""


def _modules(body: str, *, diff: bool) -> set[str]:
    code = _PROBE.format(body=body, diff=diff)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(json.loads(result.stdout))


def _top(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_importing_customer_protocol_loads_no_forbidden_module() -> None:
    bare = _top(_modules("pass", diff=False))
    added = _top(_modules("import customer_protocol", diff=True))
    assert "customer_protocol" in added
    assert (added - bare) & FORBIDDEN == set()


def test_importing_every_core_module_loads_no_forbidden_module() -> None:
    bare = _top(_modules("pass", diff=False))
    modules = sorted(
        "customer_protocol." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py"
    )
    body = "\n".join(f"import {m}" for m in modules)
    added = _top(_modules(body, diff=True))
    assert (added - bare) & FORBIDDEN == set()


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in ("__import__", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_no_core_source_file_imports_a_forbidden_module() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert any(p.parent.name == "server" for p in files)  # the server core is scanned too
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in files
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN_IN_SOURCE
    ]
    assert offences == []


def test_the_scanner_finds_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\nfrom socket import socket\nimport os.path as p\n"
        "from . import sibling\n__import__('random')\nimportlib.import_module('ssl')\n"
    )
    assert [name for _, name in _imports(sample)] == ["time", "socket", "os.path", "random", "ssl"]
