"""Random bytes from the operating system, fetched a block at a time for ids and request ids.

Each fetch is a system call, and on a virtual machine's busy cores a system call costs more than the
few bytes an id needs: every screening took three (its UUIDv7 twice, its request id once). The bytes are
the same `os.urandom` bytes `secrets` uses; a forked child drops the block it inherited, so no two
processes hand out the same bytes.
"""

from __future__ import annotations

import os
import threading

BLOCK_BYTES = 4096  # about 300 screenings' worth


class EntropyPool:
    """Hands out fresh random bytes from a block fetched with `os.urandom` (thread-safe)."""

    def __init__(self, block: int = BLOCK_BYTES) -> None:
        self._block = block
        self._lock = threading.Lock()
        self._bytes = b""
        self._used = 0

    def take(self, count: int) -> bytes:
        """`count` random bytes never handed out before (by this process)."""
        with self._lock:
            if self._used + count > len(self._bytes):
                self._bytes, self._used = os.urandom(max(self._block, count)), 0
            start = self._used
            self._used += count
            return self._bytes[start:self._used]

    def forget(self) -> None:
        """Drop the block (in a forked child, which must not reuse its parent's bytes)."""
        self._bytes, self._used = b"", 0


POOL = EntropyPool()
os.register_at_fork(after_in_child=POOL.forget)


def random_bits(bits: int) -> int:
    """A random integer of `bits` bits, as `secrets.randbits`."""
    size = (bits + 7) // 8
    return int.from_bytes(POOL.take(size), "big") >> (size * 8 - bits)


def token_hex(size: int) -> str:
    """`size` random bytes as hex, as `secrets.token_hex`."""
    return POOL.take(size).hex()
