"""Blocking-socket helpers shared by the sync client and the Web API client."""

from __future__ import annotations

import socket
import ssl
from typing import Any, cast

from customer_protocol import Token
from transports.http import ResponseReceived

from ._common import BaseURL, call_provider, normalize_token
from ._http import READ_SIZE, Steps, exchange_steps
from .tokens import TokenFlow

__all__ = ["exchange", "open_socket", "token_from"]


def open_socket(base: BaseURL, ssl_context: ssl.SSLContext | None, timeout: float) -> socket.socket:
    """Connect to ``base`` (with TLS, verified, for ``wss``/``https``)."""
    sock = socket.create_connection((base.host, base.port), timeout)
    if base.tls:
        context = ssl_context or ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=base.host)
    return sock


def exchange(
    base: BaseURL, steps: Steps, *, ssl_context: ssl.SSLContext | None, timeout: float
) -> ResponseReceived:
    """Run one HTTP exchange (:func:`adapters._http.exchange_steps`) on a new connection."""
    with open_socket(base, ssl_context, timeout) as sock:
        step = next(steps)
        try:
            while True:
                if step is None:
                    step = steps.send(sock.recv(READ_SIZE))
                else:
                    sock.sendall(step)
                    step = next(steps)
        except StopIteration as stop:
            return cast(ResponseReceived, stop.value)


def token_from(
    source: Any,
    fresh: bool,
    *,
    web: BaseURL,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
) -> Token:
    """Obtain a token from a token source (string, Token, callable or TokenFlow)."""
    if isinstance(source, TokenFlow):
        steps, base = source.steps(), source.base or web
        try:
            request = next(steps)
            while True:
                http = exchange_steps(request)
                context = source.ssl_context or ssl_context
                request = steps.send(exchange(base, http, ssl_context=context, timeout=timeout))
        except StopIteration as stop:
            return cast(Token, stop.value)
    if callable(source):
        return normalize_token(call_provider(source, fresh))
    return normalize_token(source)
