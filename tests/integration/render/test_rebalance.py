"""A second worker joins while the first is inside a long clip: the rebalance completes in
seconds and the busy worker keeps its membership (its CPU work runs off the event loop)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.media_server import media_server
from tests.support.pipeline import allow_remote, from_remote, small_render, worker_env
from tests.support.worker import running_worker

REBALANCE_TIMEOUT_S = 10  # the workers' broker_rebalance_timeout


def at(line: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(line["timestamp"]))


async def test_a_rebalance_during_a_long_clip_finishes_within_seconds(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-long", bars=2, beats_per_cut=4, videos=1, stills=0)
    with media_server(tmp_path) as (base, hits):
        # Every clip reads from a server that never answers: long work, all of it in the pool.
        request = from_remote(prepared.request, f"{base}/stall/x.mp4")
        env = worker_env(
            kafka_bootstrap,
            topic_prefix,
            tmp_path / "artifacts",
            **allow_remote(base),
            BEATSTITCH_CLIP_READ_TIMEOUT_S="25",
            BEATSTITCH_CLIP_CONNECT_TIMEOUT_S="25",
        )
        async with running_worker(env, cwd=tmp_path) as first:
            await first.wait_for(
                lambda ln: (
                    ln["event"] == "render_worker.partitions_assigned" and ln["partitions"] > 0
                )
            )
            async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
                await producer.send(make_event(request, trace_id="trace-long"))
            await first.wait_for(lambda ln: ln["event"] == "render_worker.render_planned")
            # Once the server has the request, the clip is inside its long read.
            assert await asyncio.to_thread(hits.wait, "stall", 60)
            async with running_worker(env, cwd=tmp_path) as second:
                started = await second.wait_for(lambda ln: ln["event"] == "render_worker.starting")
                joined = await second.wait_for(
                    lambda ln: (
                        ln["event"] == "render_worker.partitions_assigned" and ln["partitions"] > 0
                    ),
                    timeout_s=60,
                )
                again = await first.wait_for(
                    lambda ln: (
                        ln["event"] == "render_worker.partitions_assigned" and at(ln) > at(started)
                    ),
                    timeout_s=60,
                )
    seconds = (at(joined) - at(started)).total_seconds()
    print(
        f"second worker assigned {seconds:.1f} s after it started; "
        f"first still had {again['inflight']} clip(s) in flight"
    )
    assert again["inflight"] >= 1  # the busy worker stayed in the group, mid-clip
    assert again["partitions"] > 0
    assert seconds < REBALANCE_TIMEOUT_S
