"""Random identifiers (UUID4 hex) drawn from a pooled read of the OS's random source.

``uuid.uuid4()`` reads 16 bytes with ``os.urandom``, and CPython releases the GIL around that
``getrandom`` call. Under load the event loop then waits to take the GIL back from whichever
thread grabbed it meanwhile (the decision-log writer, a threadpool lookup), up to the 5 ms
switch interval, twice per score (request id and decision id). The same OS randomness read
4 KiB at a time is taken back only once per 256 ids; the ids are exactly ``uuid4().hex``'s
(same source, version and variant bits).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Final

_ID_BYTES: Final = 16
_POOL_BYTES: Final = 4096


class _Pool:
    __slots__ = ("buffer", "lock", "offset")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buffer = b""
        self.offset = 0

    def reset(self) -> None:
        # A forked child must never hand out the bytes its parent will hand out too.
        self.lock = threading.Lock()
        self.buffer = b""
        self.offset = 0

    def take(self) -> bytes:
        with self.lock:
            end = self.offset + _ID_BYTES
            if end > len(self.buffer):
                self.buffer = os.urandom(_POOL_BYTES)
                self.offset, end = 0, _ID_BYTES
            chunk = self.buffer[self.offset : end]
            self.offset = end
            return chunk


_pool: Final = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.reset)


def random_hex_id() -> str:
    """Return a new random id, formatted as ``uuid.uuid4().hex``.

    Returns
    -------
    str
        32 lowercase hex characters of a version-4 UUID.
    """
    raw = bytearray(_pool.take())
    # What uuid.UUID(bytes=..., version=4) does, without its pure-Python constructor (~15 us
    # under load, twice per score): the version nibble and the RFC 4122 variant bits.
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


def could_be_issued(value: str) -> bool:
    """Say whether a string has the form of an id :func:`random_hex_id` returns.

    Also the form of ``uuid.uuid4().hex``, which made the ids before it: 32 lowercase hex
    characters.

    Parameters
    ----------
    value : str

    Returns
    -------
    bool
    """
    return _ISSUED.fullmatch(value) is not None


_ISSUED: Final = re.compile(r"[0-9a-f]{32}")

__all__ = ["could_be_issued", "random_hex_id"]
