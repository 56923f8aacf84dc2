"""A full artifacts disk mid-render: the render fails with reason disk_full and a sentence saying
what to do, each clip task has one outcome, and no placeholder stands in for a clip.

The artifacts folder is a small tmpfs (`mount -t tmpfs -o size=…`, so root is needed), almost
filled beforehand so that the first clips fit and the later ones meet ENOSPC. The test skips
with the reason when the machine refuses the mount. A real worker and a real broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.base import make_event
from events.kafka_io import EventProducer
from events.topics import Topic
from tests.support.ledger import fold_and_check
from tests.support.pipeline import clip_events_of, read_until, small_render, worker_env
from tests.support.worker import running_worker

TMPFS_BYTES = 1024 * 1024
# Left free after the filler: a few clips at 320x180@12 fit, the render's others do not.
HEADROOM_BYTES = 40 * 1024


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Path]:
    """A tmpfs of TMPFS_BYTES mounted at `where`, nearly full; unmounted on the way out."""
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small disk for the artifacts folder")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"this machine refuses a tmpfs mount (root needed): {done.stderr.strip()}")
    try:
        free = shutil.disk_usage(where).free
        (where / "filler").write_bytes(b"\0" * (free - HEADROOM_BYTES))
        yield where
    finally:
        # Lazy: a pool process that has not exited yet must not keep the mount alive.
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


async def test_a_full_disk_ends_the_render_with_disk_full_not_placeholders(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    # Made (beat analysis included) while the worker starts and warms its pool.
    preparing = asyncio.create_task(
        asyncio.to_thread(
            small_render, tmp_path, "job-full", bars=4, beats_per_cut=2, videos=2, stills=1
        )
    )
    with small_disk(tmp_path / "artifacts") as artifacts:
        env = worker_env(kafka_bootstrap, topic_prefix, artifacts)
        async with running_worker(env, cwd=tmp_path) as worker:
            await worker.wait_for(
                lambda ln: (
                    ln["event"] == "render_worker.partitions_assigned" and ln["partitions"] > 0
                ),
                timeout_s=120,
            )
            prepared = await preparing
            tasks = len(prepared.edl.segments)
            async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
                await producer.send(make_event(prepared.request, trace_id="trace-full"))
            lifecycle = await read_until(
                kafka_bootstrap,
                topic_prefix,
                Topic.RENDER_JOBS,
                lambda seen: any(e.type in ("RenderCompleted", "RenderFailed") for e in seen),
            )
            clips = await clip_events_of(kafka_bootstrap, topic_prefix, "job-full", tasks)
        left = os.listdir(artifacts)
    ended = [e.payload for e in lifecycle if e.type in ("RenderCompleted", "RenderFailed")]
    assert len(ended) == 1, worker.output()
    failed = ended[0]
    # What the user reads on the job: the reason and what to do about it.
    assert failed.error_code == "disk_full", failed
    assert failed.error.startswith("the artifacts disk is full ("), failed.error
    assert "free space" in failed.error and "render again" in failed.error
    # Every clip task has exactly one outcome.
    terminal = ("ClipTaskSucceeded", "ClipTaskFailed")
    outcomes = Counter(e.payload.task_id for e in clips if e.type in terminal)
    assert len(outcomes) == tasks and set(outcomes.values()) == {1}, outcomes
    # The disk filled mid-render: some clips were written, the rest met the full disk...
    reasons = Counter(e.payload.reason.value for e in clips if e.type == "ClipTaskFailed")
    succeeded = sum(e.type == "ClipTaskSucceeded" for e in clips)
    assert reasons["disk_full"] >= 1 and succeeded >= 1, (reasons, succeeded)
    # ...and none fell back to another source or the placeholder: zero placeholders.
    assert not [e for e in clips if e.type == "ClipTaskFellBack"]
    assert not [
        e for e in clips if e.type == "ClipTaskStarted" and e.payload.source_type == "placeholder"
    ]
    # No output was written, half or whole.
    assert "renders" not in left or not os.listdir(artifacts / "renders")
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    statuses = await fold_and_check(kafka_bootstrap, topic_prefix, url, {"job-full"})
    assert statuses == {"job-full": "failed"}
