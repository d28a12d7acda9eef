"""The reference server's protocol core: pure state machine and chat store (no I/O).

Start with :class:`ServerCore` (``server.py``); the I/O layer feeds it connections, messages,
Web API and accounts requests and timer ticks, and acts on the :data:`Output` values it returns.
Persistence goes through :class:`Store` records (``store.py``); fault injection through
:class:`Faults` (``faults.py``).

Two dialects share one store: chat.io v0.3 (``v03.py``, ``views.py``) and LiveChat v3.4-3.6
(``v3_actions.py``, ``v3_other.py``, ``v3_views.py``); the shared logic (``logic.py``) describes
every change as a fact (``facts.py``) that each connection's dialect renders as its own push.
"""

from __future__ import annotations

from .accounts import SequentialSource
from .config import AgentConfig, ServerConfig
from .faults import FaultKind, FaultRule, Faults
from .logic import SneakPeek, Upload
from .outputs import Close, ConnId, HttpReply, Output, Send, StoreFile, WebResult
from .server import MALFORMED_FRAME, ServerCore
from .store import Record, Store
from .v3_actions import V3_APIS

__all__ = [
    "MALFORMED_FRAME",
    "V3_APIS",
    "AgentConfig",
    "Close",
    "ConnId",
    "FaultKind",
    "FaultRule",
    "Faults",
    "HttpReply",
    "Output",
    "Record",
    "Send",
    "SequentialSource",
    "ServerConfig",
    "ServerCore",
    "SneakPeek",
    "Store",
    "StoreFile",
    "Upload",
    "WebResult",
]
