"""Non-I/O pieces of ``send_file`` and of history iteration that both drivers share."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from customer_protocol import Event, HistoryBatch, Token, UploadFile
from customer_protocol.errors import InvalidArgumentsError
from transports.http import HTTPRequest, ResponseReceived
from transports.multipart import (
    FilePart,
    MultipartBody,
    build_send_file_body,
    build_upload_file_body,
    make_boundary,
)
from transports.webapi import (
    build_send_file_request,
    build_upload_file_request,
    decode_web_api_response,
)

from ._common import BaseURL

__all__ = ["FileLike", "UploadPlan", "history_item", "read_file", "upload_plan"]

FileLike = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]
"""What ``send_file`` accepts: the bytes, a path, or a binary file object."""

_LIMIT_PROBE = 10 * 1024 * 1024 + 1


def read_file(
    file: FileLike, filename: str | None = None, content_type: str | None = None
) -> tuple[bytes, str, str]:
    """Read ``file`` (at most one byte past the 10 MiB limit) and name it."""
    name = filename
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    elif isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        with open(path, "rb") as handle:
            data = handle.read(_LIMIT_PROBE)
        name = name or os.path.basename(path)
    elif hasattr(file, "read"):
        data = file.read(_LIMIT_PROBE)
        if not isinstance(data, bytes):
            raise InvalidArgumentsError("'file' must be opened in binary mode.")
        name = name or os.path.basename(str(getattr(file, "name", "") or "")) or None
    else:
        raise InvalidArgumentsError("'file' must be bytes, a path or a binary file object.")
    name = name or "file"
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return data, name, kind


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """The request head and the streamed body of one upload."""

    request: HTTPRequest
    body: MultipartBody

    @staticmethod
    def decode(response: ResponseReceived) -> dict[str, Any]:
        """The upload's result payload (raises the SDK error the response means)."""
        return decode_web_api_response(response)


def upload_plan(
    output: UploadFile, token: Token, base: BaseURL, target: Any, rng: Callable[[], float]
) -> UploadPlan:
    """Build the multipart upload for the core's :class:`UploadFile` output, for ``target``
    (an ``ApiTarget``: v0.3 ``send_file``, v3 ``upload_file``)."""
    file = FilePart(filename=output.filename, content_type=output.content_type, data=output.data)
    boundary = make_boundary(rng)
    if output.action == "upload_file":
        upload = build_upload_file_body(file=file, boundary=boundary)
        head = build_upload_file_request(
            host=base.host_header,
            access_token=token.access_token,
            organization_id=target.organization_id,
            body=upload,
            api=target.api,
            prefix=base.prefix,
        )
        return UploadPlan(head, upload)
    body = build_send_file_body(
        chat_id=output.chat_id, file=file, boundary=boundary, custom_id=output.custom_id
    )
    request = build_send_file_request(
        host=base.host_header,
        access_token=token.access_token,
        license_id=target.license_id,
        body=body,
        prefix=base.prefix,
    )
    return UploadPlan(request, body)


def history_item(batch: HistoryBatch) -> tuple[tuple[Event, ...] | None, bool]:
    """What iterating a history cursor yields for ``batch``: (events or None to stop, finished).

    The last batch is yielded when it carries events; an empty last batch ends the iteration.
    """
    if batch.value is None or (batch.done and not batch.value):
        return None, True
    return batch.value, batch.done
