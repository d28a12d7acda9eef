"""The dialects of the customer protocol: each one data and small functions beside the engine.

:func:`dialect_for` picks one by API version: ``v0.3`` (chat.io) is :mod:`.v03`; LiveChat v3.x
(``spec/v3.md``) is :mod:`.v3` with its data layer in the ``v3_*`` modules of this package.
"""

from __future__ import annotations

from .base import Dialect

__all__ = ["API_VERSIONS", "Dialect", "dialect_for"]

API_VERSIONS = ("0.3", "3.5", "3.6")
"""Every ``api`` value :func:`dialect_for` accepts."""


def dialect_for(api: str) -> Dialect:
    """A new dialect instance for ``api`` (``INVALID_ARGS`` for an unknown version)."""
    from customer_protocol.errors import InvalidArgumentsError  # noqa: PLC0415

    from .v03 import V03  # noqa: PLC0415 - dialect modules load on demand
    from .v3 import V3  # noqa: PLC0415

    if api == "0.3":
        return V03()
    if api in ("3.5", "3.6"):
        return V3(api)
    raise InvalidArgumentsError(f"Unknown API version {api!r} (one of {', '.join(API_VERSIONS)}).")
