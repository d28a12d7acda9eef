"""The public surface: every ``__all__`` matches the API reference, and every name exists.

The API reference (``docs/api/*.md``) names each public module with ``.. module::`` (or, for
the core, ``.. currentmodule::``) followed by one ``.. auto<kind>::`` / ``.. py:<kind>::``
directive per public name. This test parses those pages, so adding a name to ``__all__``
without documenting it (or documenting a name that is not exported) fails CI.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))

PUBLIC_MODULES = (
    "customer_protocol",
    "customer_protocol.server",
    "customer_protocol.endpoints",
    "transports.base",
    "transports.websocket",
    "transports.websocket_fast",
    "transports.memory",
    "transports.http",
    "transports.webapi",
    "transports.multipart",
    "transports.accounts",
    "adapters.asyncio",
    "adapters.trio",
    "adapters.sync",
    "adapters.webapi",
    "adapters.tokens",
    "adapters.server",
    "adapters.tls",
    "adapters.serve_cli",
    "adapters.cli",
)
"""The modules whose ``__all__`` is the public API (see the changelog's compatibility policy)."""

_MODULE = re.compile(r"^\.\. (?:module|currentmodule):: ([\w.]+)\s*$")
_NAME = re.compile(r"^\.\. (?:auto|py:)(?:class|function|data|exception):: (\w+)")


def documented() -> dict[str, set[str]]:
    """``{module: {names}}`` as the API reference pages list them."""
    names: dict[str, set[str]] = {}
    for page in API_PAGES:
        module: str | None = None
        for line in page.read_text(encoding="utf-8").splitlines():
            if found := _MODULE.match(line):
                module = found.group(1)
                names.setdefault(module, set())
            elif (found := _NAME.match(line)) and module is not None:
                names[module].add(found.group(1))
    return names


def test_the_reference_documents_exactly_the_public_modules() -> None:
    assert sorted(documented()) == sorted(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_matches_the_api_reference(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = set(module.__all__)
    listed = documented().get(module_name, set())
    assert sorted(exported - listed) == [], "exported but not in docs/api"
    assert sorted(listed - exported) == [], "in docs/api but not exported"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_exported_name_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert len(module.__all__) == len(set(module.__all__)), "duplicates in __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_the_async_entry_points_export_the_same_objects() -> None:
    asyncio_module = importlib.import_module("adapters.asyncio")
    trio_module = importlib.import_module("adapters.trio")
    assert asyncio_module.__all__ == trio_module.__all__
    for name in asyncio_module.__all__:
        assert getattr(asyncio_module, name) is getattr(trio_module, name)


def test_the_sync_client_has_the_async_clients_methods() -> None:
    from adapters.asyncio import AsyncClient
    from adapters.sync import Client

    public = {name for name in dir(AsyncClient) if not name.startswith("_")}
    assert public <= {name for name in dir(Client) if not name.startswith("_")}


@pytest.mark.parametrize("package", ["customer_protocol", "transports", "adapters"])
def test_each_package_ships_py_typed(package: str) -> None:
    assert (ROOT / package / "py.typed").is_file()
