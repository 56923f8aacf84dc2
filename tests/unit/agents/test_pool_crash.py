"""The process pool survives a dead child and refuses work, without crashing, once closed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from agents.pool import Pool, PoolChildDied, PoolClosed


def die() -> int:
    """What an OOM kill or a segfault in a decoder does to a pool process."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def die_once(marker: str) -> str:
    """Die the first time (leaving a marker), succeed the next."""
    if not os.path.exists(marker):
        Path(marker).touch()
        die()
    return "done"


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


async def test_work_without_its_own_retry_survives_a_killed_pool_process(tmp_path: Path) -> None:
    pool = Pool(1)
    try:
        marker = str(tmp_path / "died-once")
        assert await pool.run_surviving_crashes(die_once, marker) == "done"
        assert pool.rebuilds == 1
    finally:
        pool.close()
