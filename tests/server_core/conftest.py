"""Make the repository root importable when the package is not installed (``pytest`` run from
the venv without ``pip install -e .``)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
