"""The client's common frames without wsproto's machinery: whole text frames in and out.

A request round trip is one text frame out and two in. Through wsproto each costs a chain of
generators, buffer copies and an incremental UTF-8 decoder per message: about 40 us of a
round trip's CPU on the plain install. :class:`~transports.websocket.WebSocketClient` uses
these functions for the frames that have one meaning, and leaves every other frame to
wsproto (so wsproto still decides every error):

* in: a complete, unmasked text frame with FIN set and no RSV bits, 1 byte to 64 KiB long
  (the length in its minimal encoding), within the message size limit, valid UTF-8, read
  when wsproto holds nothing (no partial frame, no fragmented message);
* out: a text message as one masked frame, as wsproto writes it (a fresh random mask each).

Anything else stops the fast path at that frame; the rest of the bytes go to wsproto. A read
that ends inside a frame that is (so far) one of ours is not a reason to stop:
:func:`text_frame_size` tells such a tail from a frame that is not ours, and the endpoint keeps
the tail until the frame is whole (so wsproto stays idle and the fast path stays on).
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["MaskSource", "client_text_frame", "take_text_frames", "text_frame_size"]

_TEXT_FIN = 0x81  # FIN, no RSV bits, opcode 1 (text)


def take_text_frames(data: bytes, limit: int, emit: Callable[[bytes], object]) -> int:
    """Emit the payload of each leading fast-path text frame of ``data``; returns bytes used.

    Stops at the first frame that is not one (see the module docstring) or is incomplete.
    """
    size = len(data)
    pos = 0
    while size - pos >= 2:
        if data[pos] != _TEXT_FIN:
            break
        length = data[pos + 1]  # a set MASK bit makes it >= 128: not ours
        if length < 126:
            start = pos + 2
        elif length == 126 and size - pos >= 4:
            length = (data[pos + 2] << 8) | data[pos + 3]
            if length < 126:  # not the minimal encoding: wsproto reports the violation
                break
            start = pos + 4
        else:
            break
        if not length or length > limit:
            break
        end = start + length
        if end > size:
            break
        payload = data[start:end]
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            break
        emit(payload)
        pos = end
    return pos


def text_frame_size(data: bytes, pos: int, limit: int) -> int:
    """The whole size (header and payload) of the frame starting at ``data[pos]``, if it is one
    :func:`take_text_frames` would take once complete; ``0`` if too few of its header bytes are
    there to tell; ``-1`` if it is not one. ``pos`` must be below ``len(data)``.

    The payload is not looked at: its UTF-8 is checked once the frame is complete.
    """
    if data[pos] != _TEXT_FIN:
        return -1
    have = len(data) - pos
    if have < 2:
        return 0
    length = data[pos + 1]
    if length < 126:
        head = 2
    elif length == 126:
        if have < 4:
            return 0
        length = (data[pos + 2] << 8) | data[pos + 3]
        if length < 126:
            return -1
        head = 4
    else:
        return -1
    if not length or length > limit:
        return -1
    return head + length


class MaskSource:
    """Masking keys from the OS's strong random source, fetched 4 KiB at a time."""

    __slots__ = ("_keys", "_next")

    def __init__(self) -> None:
        self._keys = b""
        self._next = 0

    def take(self) -> bytes:
        """A fresh 4-byte masking key."""
        start = self._next
        if start >= len(self._keys):
            self._keys, start = os.urandom(4096), 0
        self._next = start + 4
        return self._keys[start : start + 4]


def client_text_frame(data: bytes, mask: bytes) -> bytes:
    """``data`` (UTF-8) as one masked text frame with FIN set, masked with ``mask``."""
    n = len(data)
    if n < 126:
        header = bytes((_TEXT_FIN, 0x80 | n))
    elif n < 65536:
        header = bytes((_TEXT_FIN, 0xFE)) + n.to_bytes(2, "big")
    else:
        header = bytes((_TEXT_FIN, 0xFF)) + n.to_bytes(8, "big")
    if not n:
        return header + mask
    keys = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(data, "big") ^ int.from_bytes(keys, "big")).to_bytes(n, "big")
    return header + mask + masked
