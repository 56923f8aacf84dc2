"""The process pool survives a dead child and refuses work, without crashing, once closed."""

from __future__ import annotations

import os
import signal

import pytest

from agents.pool import Pool, PoolChildDied, PoolClosed


def die() -> int:
    """What an OOM kill or a segfault in a decoder does to a pool process."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def pid() -> int:
    return os.getpid()


async def test_a_killed_pool_process_is_reported_and_the_pool_rebuilt() -> None:
    pool = Pool(1)
    try:
        first = await pool.run(pid)
        with pytest.raises(PoolChildDied):
            await pool.run(die)
        assert pool.rebuilds == 1
        assert await pool.run(pid) != first  # a new process answers
    finally:
        pool.close()


async def test_a_closed_pool_raises_pool_closed_and_warm_up_ends_quietly() -> None:
    pool = Pool(2)
    pool.close()
    with pytest.raises(PoolClosed):
        await pool.run(pid)
    assert await pool.warm_up(2) == 0  # no "cannot schedule new futures after shutdown"
