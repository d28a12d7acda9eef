"""One HTTP exchange over the sans-IO h11 transport, as a generator both drivers run.

:func:`exchange_steps` yields the bytes to write, or ``None`` to ask for the next bytes read
(``b""`` at end of stream), and returns the response. The async and the sync driver each run it
with their own sockets in a few lines, so the HTTP logic exists once.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Generator
from typing import Final

from customer_protocol.errors import CancelledError, ConnectionLostError, InvalidArgumentsError
from transports.http import (
    ConnectionEnded,
    HTTPClientConnection,
    HTTPRequest,
    ResponseReceived,
)
from transports.multipart import MultipartBody

__all__ = ["Progress", "default_ssl_context", "exchange_steps"]

Progress = Callable[[int, int], object]
"""``on_progress(bytes_sent, bytes_total)``; returning ``False`` cancels the upload."""

READ_SIZE: Final = 65536

Steps = Generator[bytes | None, bytes, ResponseReceived]


def default_ssl_context() -> ssl.SSLContext:
    """A client TLS context with certificate and host name verification on."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


def exchange_steps(
    request: HTTPRequest,
    *,
    body: MultipartBody | None = None,
    on_progress: Progress | None = None,
    max_response_size: int = 1 << 20,
) -> Steps:
    """Send ``request`` (streaming ``body`` if given) and return the response.

    Yields ``bytes`` to write or ``None`` to be sent the next read. Raises
    :class:`ConnectionLostError` when the server ends the connection without a whole response.
    """
    connection = HTTPClientConnection(max_response_size=max_response_size)
    if body is None:
        connection.send_request(request)
        yield connection.data_to_send()
    else:
        if request.body is not None:
            raise InvalidArgumentsError("a streamed request must have body=None")
        connection.start_request(request)
        yield connection.data_to_send()
        while chunk := body.next_chunk():
            connection.send_body(chunk)
            yield connection.data_to_send()
            if on_progress is not None and on_progress(body.bytes_sent, body.bytes_total) is False:
                raise CancelledError("The upload was cancelled.")
        connection.end_request()
        if pending := connection.data_to_send():
            yield pending
    while True:
        for event in connection.events():
            if isinstance(event, ResponseReceived):
                return event
            if isinstance(event, ConnectionEnded):
                reason = event.error.message if event.error else "closed"
                raise ConnectionLostError(f"The HTTP connection ended: {reason}.")
        data = yield None
        connection.receive_data(data)
