"""``multipart/form-data`` for the Web API ``send_file`` action, both directions, without I/O.

Client side: :func:`build_send_file_body` checks the 10 MiB file limit **before anything is
produced**, then returns a :class:`MultipartBody`, which hands the encoded body out in chunks
(64 KiB by default) with :meth:`MultipartBody.next_chunk`, so the driver can stream it and
report progress (:attr:`MultipartBody.bytes_sent` of :attr:`MultipartBody.bytes_total`; the
total, the ``Content-Length``, is known up front).

The boundary is always the caller's: transports hold no randomness. :func:`make_boundary` builds
one from an injected ``rng`` (a callable returning floats in ``[0, 1)``, e.g. ``random.random``).

Server side: :func:`parse_multipart` parses a complete body into a :class:`MultipartForm`;
malformed input raises :class:`MultipartError` (a file over the limit raises its subclass
:class:`MultipartTooLarge`). ``transports.http`` turns those into ``400`` / ``413`` responses.

This module is a leaf: it imports nothing from the rest of ``transports``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from customer_protocol.errors import InvalidArgumentsError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "FILE_TOO_BIG_MESSAGE",
    "MAX_FILE_SIZE",
    "FilePart",
    "MultipartBody",
    "MultipartError",
    "MultipartForm",
    "MultipartTooLarge",
    "build_send_file_body",
    "build_upload_file_body",
    "make_boundary",
    "parse_header_params",
    "parse_multipart",
]

MAX_FILE_SIZE: Final = 10 * 1024 * 1024
"""The largest file ``send_file`` accepts (``wire.md`` section 4)."""
DEFAULT_CHUNK_SIZE: Final = 64 * 1024
"""How many bytes :meth:`MultipartBody.next_chunk` hands out at a time by default."""
FILE_TOO_BIG_MESSAGE: Final = "The file is too big (max size is 10.00 MB)."
"""The SDK's ``INVALID_ARGS`` message for a file over 10 MiB (``sdk.md`` section 3)."""

_BOUNDARY_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
# RFC 2046 section 5.1.1 bchars, without the trailing-space allowance.
_BOUNDARY_RE: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=?]{1,70}")
_MAX_PART_HEADER_SIZE: Final = 8 * 1024


class MultipartError(ValueError):
    """A ``multipart/form-data`` body could not be parsed (answer ``400 Bad Request``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MultipartTooLarge(MultipartError):
    """A file part is over the size limit (answer ``413 Content Too Large``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePart:
    """A file to upload, or one received: its name, media type and content.

    The content is left out of the repr (only its size shows).
    """

    filename: str
    content_type: str = "application/octet-stream"
    data: bytes = field(repr=False, default=b"")

    @property
    def size(self) -> int:
        """The size of :attr:`data` in bytes."""
        return len(self.data)


@dataclass(frozen=True, slots=True, kw_only=True)
class MultipartForm:
    """A parsed ``multipart/form-data`` body: text fields and file fields, by field name."""

    fields: dict[str, str]
    files: dict[str, FilePart]


def make_boundary(rng: Callable[[], float], *, length: int = 24) -> str:
    """Build a multipart boundary from ``length`` draws of ``rng`` (floats in ``[0, 1)``).

    Pass a seeded source for reproducible bodies; the transports never draw randomness
    themselves.
    """
    if not 1 <= length <= 50:
        raise InvalidArgumentsError("boundary length must be between 1 and 50")
    chars = []
    for _ in range(length):
        draw = rng()
        if not 0.0 <= draw < 1.0:
            raise InvalidArgumentsError("rng() must return a float in [0, 1)")
        chars.append(_BOUNDARY_ALPHABET[int(draw * len(_BOUNDARY_ALPHABET))])
    return "customer-protocol-" + "".join(chars)


def _quote(value: str) -> str:
    """Escape a name or filename for a ``Content-Disposition`` header (WHATWG style).

    The parser undoes it; a literal ``%22``, ``%0D`` or ``%0A`` in a name reads back decoded.
    """
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _unquote(value: str) -> str:
    return value.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _check_header_value(what: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise InvalidArgumentsError(f"{what} must not contain CR, LF or NUL")


class MultipartBody:
    """An encoded ``multipart/form-data`` body, handed out in chunks.

    Send :attr:`content_type` and :attr:`bytes_total` (as ``Content-Length``) in the request
    head, then call :meth:`next_chunk` until it returns ``b""`` and send each chunk (for
    example with ``HTTPClientConnection.send_body``); :attr:`bytes_sent` tells how far along the
    upload is. Iterating over the object does the same. The body can be produced only once.
    """

    __slots__ = ("_boundary", "_chunk_size", "_index", "_offset", "_segments", "bytes_sent")

    def __init__(
        self,
        *,
        fields: Sequence[tuple[str, str]] = (),
        files: Sequence[tuple[str, FilePart]] = (),
        boundary: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        """Encode ``fields`` then ``files`` (in that order) between ``boundary`` delimiters.

        Raises :class:`InvalidArgumentsError` for a bad boundary, a boundary that occurs in
        the content, or names with CR/LF in them.
        """
        if not _BOUNDARY_RE.fullmatch(boundary):
            raise InvalidArgumentsError("a multipart boundary is 1-70 characters of [0-9A-Za-z]")
        if chunk_size <= 0:
            raise InvalidArgumentsError("chunk_size must be positive")
        try:
            segments = self._encode(fields, files, boundary)
        except UnicodeEncodeError:
            raise InvalidArgumentsError("names and fields must be valid Unicode text") from None
        self._segments = segments
        self._boundary = boundary
        self._chunk_size = chunk_size
        self._index = 0
        self._offset = 0
        self.bytes_sent = 0
        """How many bytes :meth:`next_chunk` has handed out so far."""

    @staticmethod
    def _encode(
        fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, FilePart]], boundary: str
    ) -> list[bytes | memoryview]:
        delimiter = b"--" + boundary.encode("ascii")
        segments: list[bytes | memoryview] = []
        for name, value in fields:
            _check_header_value("a field name", name)
            content = value.encode("utf-8")
            if delimiter in content:
                raise InvalidArgumentsError("the boundary occurs in a field; choose another one")
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            segments += [head.encode("utf-8"), content, b"\r\n"]
        for name, part in files:
            _check_header_value("a field name", name)
            _check_header_value("a content type", part.content_type)
            if delimiter in part.data:
                raise InvalidArgumentsError("the boundary occurs in the file; choose another one")
            head = (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{_quote(name)}"; filename="{_quote(part.filename)}"\r\n'
                f"Content-Type: {part.content_type}\r\n\r\n"
            )
            segments += [head.encode("utf-8"), memoryview(part.data), b"\r\n"]
        segments.append(f"--{boundary}--\r\n".encode("ascii"))
        return segments

    @property
    def boundary(self) -> str:
        """The boundary string (without the leading ``--``)."""
        return self._boundary

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value to send with this body."""
        return f"multipart/form-data; boundary={self._boundary}"

    @property
    def bytes_total(self) -> int:
        """The length of the whole body: the ``Content-Length`` to send."""
        return sum(len(segment) for segment in self._segments)

    @property
    def done(self) -> bool:
        """True once every byte has been handed out."""
        return self._index >= len(self._segments)

    def next_chunk(self) -> bytes:
        """Return the next chunk (at most ``chunk_size`` bytes); ``b""`` once the body is done.

        Send it, then call again. Every chunk but the last is exactly ``chunk_size`` long.
        """
        out = bytearray()
        while len(out) < self._chunk_size and self._index < len(self._segments):
            segment = self._segments[self._index]
            take = min(self._chunk_size - len(out), len(segment) - self._offset)
            out += segment[self._offset : self._offset + take]
            self._offset += take
            if self._offset >= len(segment):
                self._index += 1
                self._offset = 0
        self.bytes_sent += len(out)
        return bytes(out)

    def __iter__(self) -> Iterator[bytes]:
        """Yield the remaining chunks (see :meth:`next_chunk`)."""
        while chunk := self.next_chunk():
            yield chunk

    def __repr__(self) -> str:
        return (
            f"MultipartBody(boundary={self._boundary!r}, bytes_sent={self.bytes_sent}, "
            f"bytes_total={self.bytes_total})"
        )


def _check_file_size(file: FilePart, max_file_size: int) -> None:
    if file.size > max_file_size:
        raise InvalidArgumentsError(
            FILE_TOO_BIG_MESSAGE
            if max_file_size == MAX_FILE_SIZE
            else f"The file is too big (max size is {max_file_size / 1048576:.2f} MB)."
        )


def build_send_file_body(
    *,
    chat_id: str,
    file: FilePart,
    boundary: str,
    custom_id: str | None = None,
    max_file_size: int = MAX_FILE_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> MultipartBody:
    """Encode a ``send_file`` body: ``payload.chat_id``, ``payload.custom_id``, ``payload.file``.

    The file size is checked first: over ``max_file_size`` raises
    :class:`InvalidArgumentsError` with the SDK's message, and nothing is produced.
    """
    _check_file_size(file, max_file_size)
    if not isinstance(chat_id, str) or not chat_id:
        raise InvalidArgumentsError("chat_id must be a non-empty string")
    fields = [("payload.chat_id", chat_id)]
    if custom_id is not None:
        fields.append(("payload.custom_id", custom_id))
    return MultipartBody(
        fields=fields, files=[("payload.file", file)], boundary=boundary, chunk_size=chunk_size
    )


def build_upload_file_body(
    *,
    file: FilePart,
    boundary: str,
    max_file_size: int = MAX_FILE_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> MultipartBody:
    """Encode a v3 ``upload_file`` body: the one file field ``file``.

    The size check is that of :func:`build_send_file_body`.
    """
    _check_file_size(file, max_file_size)
    return MultipartBody(files=[("file", file)], boundary=boundary, chunk_size=chunk_size)


def parse_header_params(value: str, *, escapes: bool = True) -> tuple[str, dict[str, str]]:
    """Split a header value like ``form-data; name="a"; filename="b"`` into its parts.

    Returns the lower-cased main value and the parameters (lower-cased names; quoted values
    unquoted). ``escapes=False`` reads backslashes literally, as browsers write
    ``Content-Disposition`` (they percent-encode quotes instead). Raises
    :class:`MultipartError` for an unterminated quoted string.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i = 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " \t;":
            i += 1
        start = i
        while i < len(rest) and rest[i] not in "=;":
            i += 1
        name = rest[start:i].strip().lower()
        if i >= len(rest) or rest[i] == ";":
            if name:
                params[name] = ""
            continue
        i += 1  # '='
        while i < len(rest) and rest[i] in " \t":
            i += 1
        if i < len(rest) and rest[i] == '"':
            i += 1
            chars = []
            while i < len(rest) and rest[i] != '"':
                if escapes and rest[i] == "\\" and i + 1 < len(rest):
                    i += 1
                chars.append(rest[i])
                i += 1
            if i >= len(rest):
                raise MultipartError("unterminated quoted string in a header")
            i += 1
            param = "".join(chars)
        else:
            start = i
            while i < len(rest) and rest[i] != ";":
                i += 1
            param = rest[start:i].strip()
        if name:
            params[name] = param
    return main.strip().lower(), params


def _parse_part_headers(raw: bytes) -> dict[str, str]:
    if len(raw) > _MAX_PART_HEADER_SIZE:
        raise MultipartError("part headers too long")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MultipartError("part headers are not UTF-8") from None
    headers: dict[str, str] = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise MultipartError("malformed part header line")
        headers[name.lower()] = value.strip()
    return headers


def parse_multipart(
    body: bytes,
    content_type: str,
    *,
    max_file_size: int = MAX_FILE_SIZE,
    max_parts: int = 32,
) -> MultipartForm:
    """Parse a complete ``multipart/form-data`` body (``content_type`` is the header value).

    Returns the text fields (UTF-8) and the files (parts with a ``filename``). Raises
    :class:`MultipartTooLarge` for a file over ``max_file_size`` and :class:`MultipartError`
    for anything malformed: no boundary, a missing delimiter, a part without
    ``Content-Disposition: form-data; name=...``, a repeated field name, too many parts.
    """
    kind, params = parse_header_params(content_type)
    if kind != "multipart/form-data":
        raise MultipartError("Content-Type is not multipart/form-data")
    boundary = params.get("boundary", "")
    if not _BOUNDARY_RE.fullmatch(boundary):
        raise MultipartError("missing or invalid multipart boundary")
    dash = b"--" + boundary.encode("ascii")
    if body.startswith(dash):
        pos = 0
    else:
        pos = body.find(b"\r\n" + dash)
        if pos < 0:
            raise MultipartError("no multipart delimiter in the body")
        pos += 2
    fields: dict[str, str] = {}
    files: dict[str, FilePart] = {}
    while True:
        after = pos + len(dash)
        if body[after : after + 2] == b"--":
            return MultipartForm(fields=fields, files=files)
        while body[after : after + 1] in (b" ", b"\t"):
            after += 1
        if body[after : after + 2] != b"\r\n":
            raise MultipartError("malformed multipart delimiter line")
        start = after + 2
        end = body.find(b"\r\n" + dash, start)
        if end < 0:
            raise MultipartError("unterminated multipart body")
        if len(fields) + len(files) >= max_parts:
            raise MultipartError("too many multipart parts")
        head_end = body.find(b"\r\n\r\n", start, end)
        if head_end < 0:
            raise MultipartError("a multipart part has no header block")
        headers = _parse_part_headers(body[start:head_end])
        disposition, disposition_params = parse_header_params(
            headers.get("content-disposition", ""), escapes=False
        )
        name = disposition_params.get("name")
        if disposition != "form-data" or not name:
            raise MultipartError("a part needs Content-Disposition: form-data with a name")
        name = _unquote(name)
        if name in fields or name in files:
            raise MultipartError(f"repeated multipart field {name!r}")
        content = body[head_end + 4 : end]
        if "filename" in disposition_params:
            if len(content) > max_file_size:
                raise MultipartTooLarge(
                    f"file field {name!r} is over the limit of {max_file_size} bytes"
                )
            files[name] = FilePart(
                filename=_unquote(disposition_params["filename"]),
                content_type=headers.get("content-type") or "application/octet-stream",
                data=content,
            )
        else:
            try:
                fields[name] = content.decode("utf-8")
            except UnicodeDecodeError:
                raise MultipartError(f"field {name!r} is not UTF-8") from None
        pos = end + 2
