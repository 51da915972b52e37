"""Frames between the pool and a worker process: length-prefixed msgpack on dedicated pipes.

The pipes are file descriptors passed to the worker with ``pass_fds``, never stdout or stderr, so
Blender's own C-level prints cannot corrupt a frame. numpy arrays travel as raw bytes plus dtype and shape.
This module is imported on both sides, so it needs only the standard library, msgpack and numpy.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

import msgpack
import numpy as np

_HEADER = struct.Struct("<Q")
_NDARRAY = "__ndarray__"
MAX_FRAME = 1 << 31  # a frame bigger than this is a broken peer, not a render


class ChannelClosed(EOFError):
    """The other end of a pipe closed (the worker died or the pool went away)."""


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        return {_NDARRAY: True, "dtype": arr.dtype.str, "shape": list(arr.shape), "data": arr.tobytes()}
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"cannot send {type(obj).__name__} in a frame")


def _hook(obj: dict) -> Any:
    if obj.get(_NDARRAY) is True:
        return np.frombuffer(obj["data"], dtype=np.dtype(obj["dtype"])).reshape(obj["shape"]).copy()
    return obj


def pack(message: dict) -> bytes:
    body = msgpack.packb(message, default=_default, use_bin_type=True)
    return _HEADER.pack(len(body)) + body


def unpack(body: bytes) -> dict:
    return msgpack.unpackb(body, object_hook=_hook, raw=False, strict_map_key=False)


def write_frame(fd: int, message: dict) -> None:
    """Write one whole frame to a blocking fd."""
    write_packed(fd, pack(message))


def write_packed(fd: int, frame: bytes) -> None:
    """Write a frame made by `pack`."""
    view = memoryview(frame)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameTimeout(TimeoutError):
    """No whole frame arrived before the deadline."""


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise FrameTimeout("deadline passed")
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise ChannelClosed("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None) -> dict:
    """Read one whole frame; raises ChannelClosed at end of file, FrameTimeout past `deadline` (monotonic)."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > MAX_FRAME:
        raise ChannelClosed(f"frame of {size} bytes is too large")
    return unpack(_read_exact(fd, size, deadline))
