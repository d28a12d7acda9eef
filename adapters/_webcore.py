"""The client core with its requests carried by the Web API: how the Web API client speaks v3.

LiveChat v3 serves almost every customer action over HTTP too (``v3.md`` section 1), so the
Web API client does not rebuild the v3 methods: it runs the core's own (payload builders,
result parsers, the seed's compositions such as ``send_rating`` or ``get_chats_summary``)
on a :class:`WebCore` whose requests are HTTP exchanges made on the spot instead of frames
queued for a WebSocket. Pushes never come, so the push-resolved calls resolve from their
response, as the core does when a push is late. :func:`run_call` issues one declared call and
returns its result (or raises its error); uploads stream over the same Web API.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from customer_protocol import (
    CallFailed,
    CallSucceeded,
    ClientProtocol,
    LocalProtocolError,
    UploadFile,
)
from customer_protocol.dispatch import RESPONSE
from customer_protocol.requests import PendingRequest

from ._common import to_sdk_error
from ._surface import Call, Upload

__all__ = ["WebCore", "run_call"]

T = TypeVar("T")
Post = Callable[[str, Mapping[str, Any]], dict[str, Any]]
"""POST one action with its payload; the response payload (raises the SDK error it means)."""
Uploader = Callable[[UploadFile, Upload], dict[str, Any]]
"""Carry one :class:`UploadFile` (with the call's progress callback); the response payload."""


class WebCore(ClientProtocol):
    """A :class:`ClientProtocol` whose every request is one Web API exchange, made at once."""

    def __init__(self, post: Post, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._post = post

    def submit(self, request: PendingRequest) -> None:
        """POST ``request`` now and end it with its response (no outbox, no pushes)."""
        payload = request.payload or {}
        try:
            answer = self._post(request.action, payload)
            value, _events = self.dialect.resolve(
                request.action, RESPONSE, answer, payload, self.tracker
            )
        except Exception as exc:  # every request ends: a network error is CONNECTION_LOST
            request.on_err(to_sdk_error(exc))
        else:
            request.on_ok(value)


def run_call(core: WebCore, call: Call[T], upload: Uploader) -> T:
    """Issue ``call`` on ``core`` and return its result (or raise its error).

    Uploads the core asks for (``send_file``, ``upload_file``) are carried by ``upload``.
    """
    if isinstance(call, Upload):
        call.read()
    call_id = call.issue(core, time.monotonic())
    outputs = deque(core.outputs())
    while outputs:
        output = outputs.popleft()
        if isinstance(output, UploadFile):
            try:
                assert isinstance(call, Upload)  # only an Upload's call uploads
                answer = upload(output, call)
            except Exception as exc:
                core.upload_failed(output.call, to_sdk_error(exc), time.monotonic())
            else:
                core.upload_finished(output.call, answer, time.monotonic())
            outputs.extend(core.outputs())
        elif isinstance(output, CallSucceeded) and output.call == call_id:
            return output.value  # type: ignore[no-any-return]
        elif isinstance(output, CallFailed) and output.call == call_id:
            raise output.error
    raise LocalProtocolError(f"{call.name} did not end")  # pragma: no cover - a core bug
