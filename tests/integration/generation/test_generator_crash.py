"""A worker killed in the middle of a generation costs time, not the generation: the request
runs again on the next worker and the record ends completed, with one outcome in the log and
the clip as the request asked, as the projector folds it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from engine.probe import probe
from events.kafka_io import EventProducer
from events.topics import Topic
from tests.integration.generation.test_generator_agent import outcomes, request
from tests.support.api_stack import service
from tests.support.cli import cli_env
from tests.support.pipeline import read_until, worker_env
from tests.support.projecting import rows
from tests.support.worker import running_worker

# Long enough that the first worker is surely still encoding when it is killed.
LONG = {"duration_s": 12.0, "width": 960, "height": 540, "fps": 24}


def folded(url: str, generation_id: str, timeout_s: float = 120) -> dict[str, Any]:
    """The projector's row of a generation once it has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = rows(
            url, "SELECT * FROM video_generations WHERE generation_id = :g", g=generation_id
        )
        if found and found[0]["status"] in ("completed", "failed"):
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"generation {generation_id} was not folded as ended in {timeout_s} s")


async def test_a_worker_killed_mid_generation_costs_no_generation(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    env = worker_env(
        kafka_bootstrap,
        topic_prefix,
        tmp_path / "artifacts",
        BEATSTITCH_MEDIA_DIR=str(media),
        BEATSTITCH_PROCESS_POOL_SIZE="1",
    )
    url = f"sqlite:///{tmp_path / 'read.db'}"
    sent = request("gen-crash", **LONG)
    with service("projector", cli_env(kafka_bootstrap, topic_prefix, url), tmp_path / "logs"):
        async with running_worker(env, cwd=tmp_path) as first:
            async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
                await producer.send(sent)
            # Killed once it has reported progress: mid-encode, nothing acknowledged.
            await read_until(
                kafka_bootstrap,
                topic_prefix,
                Topic.VIDEO_GENERATIONS,
                lambda seen: any(e.type == "VideoGenerationProgress" for e in seen),
            )
            first.kill()
        async with running_worker(env, cwd=tmp_path):
            events = await read_until(
                kafka_bootstrap, topic_prefix, Topic.VIDEO_GENERATIONS, lambda s: bool(outcomes(s))
            )
            row = folded(url, "gen-crash")

    started = [e.payload.worker_id for e in events if e.type == "VideoGenerationStarted"]
    assert len(set(started)) == 2, "the request ran on the first worker, then on the second"
    assert [e.type for e in outcomes(events)["gen-crash"]] == ["VideoGenerationCompleted"]
    assert row["status"] == "completed" and row["progress"] == 1.0
    assert row["worker_id"] == started[-1] and row["error_msg"] is None
    info = probe(Path(row["local_path"]))
    assert (info.width, info.height) == (960, 540) and abs(info.duration_ms - 12_000) <= 100
