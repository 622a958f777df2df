"""Random bytes fetched a block at a time: never handed out twice, not even by a forked child."""

from __future__ import annotations

import os

from service.entropy import POOL, EntropyPool, random_bits, token_hex


def test_bytes_are_never_handed_out_twice_across_blocks() -> None:
    pool = EntropyPool(block=64)
    taken = [pool.take(8) for _ in range(40)]  # five blocks
    assert all(len(chunk) == 8 for chunk in taken) and len(set(taken)) == len(taken)
    assert len(pool.take(100)) == 100  # more than a block


def test_a_forked_child_draws_bytes_of_its_own() -> None:
    POOL.take(8)  # the block the child inherits
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next bytes to the parent, then leave at once
        os.write(write, POOL.take(16))
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = os.read(read, 16)
    os.close(read)
    assert len(from_child) == 16 and from_child != POOL.take(16)


def test_bits_and_hex_have_the_asked_size() -> None:
    assert all(0 <= random_bits(10) < 1 << 10 for _ in range(1000))
    assert max(random_bits(62) for _ in range(100)).bit_length() > 50
    assert len(token_hex(16)) == 32 and token_hex(16) != token_hex(16)
