"""The generator agent in a real worker on the real broker: a local generation ends with a
playable clip of the asked size, rate and length, the same bytes for the same request, and
every failure ends as a Failed event with a sentence, never a stuck generation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from engine.generation.spec import ClipSpec, LocalKind
from engine.probe import probe
from events.base import make_event
from events.dead_letter import DeadLetter
from events.kafka_io import EventProducer
from events.payloads import VideoGenerationRequested
from events.topic_reader import follow
from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.pipeline import read_until, worker_env
from tests.support.worker import running_worker

SPEC = {"prompt": "Summer at the lake", "width": 320, "height": 180, "fps": 12, "duration_s": 2.0}


def request(generation_id: str, provider: str = "local", **spec: Any) -> Any:
    """A VideoGenerationRequested envelope for a small title card (or what `spec` says)."""
    payload = VideoGenerationRequested(
        generation_id=generation_id,
        project_id="proj-1",
        requested_by="user-1",
        provider=provider,
        spec=ClipSpec.model_validate({"kind": LocalKind.TITLE_CARD, **SPEC, **spec}),
    )
    return make_event(payload, trace_id=f"trace-{generation_id}")


async def first_letter(bootstrap: str, prefix: str) -> DeadLetter:
    """The generator's first dead letter, as an operator reads it."""
    async with follow(bootstrap, [physical_name(prefix, Topic.DEAD_LETTER)]) as reader:
        async for record in reader.records():
            letter = DeadLetter.model_validate_json(record.value)
            if letter.consumer == "generator":
                return letter
    raise AssertionError("the dead-letter topic ended")


def outcomes(events: list[Any]) -> dict[str, list[Any]]:
    """Completed and Failed events by generation id, in log order."""
    found: dict[str, list[Any]] = {}
    for e in events:
        if e.type in ("VideoGenerationCompleted", "VideoGenerationFailed"):
            found.setdefault(e.payload.generation_id, []).append(e)
    return found


@needs_kcat
async def test_local_generations_end_with_a_clip_or_a_sentence(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    media = tmp_path / "media"
    env = worker_env(
        kafka_bootstrap,
        topic_prefix,
        artifacts,
        BEATSTITCH_MEDIA_DIR=str(media),
        BEATSTITCH_PROCESS_POOL_SIZE="1",
    )
    sent = [
        request("gen-a", seed=3),
        request("gen-b", seed=3),  # the same request under another id: the same bytes
        request("gen-runway", provider="runway"),  # no key on this worker
        request("gen-nobody", provider="nobody"),
        request("gen-outside", kind=LocalKind.IMAGE_MOVE, image="/etc/passwd"),
    ]
    # A producer that is not ours asks for an 11-hour clip: refused at decoding, dead-lettered.
    foreign = foreign_event(
        "VideoGenerationRequested",
        1,
        "gen-huge",
        {
            "generation_id": "gen-huge",
            "project_id": "proj-1",
            "requested_by": "mallory",
            "provider": "local",
            "spec": {"prompt": "forever", "duration_s": 40_000},
        },
        event_id="ev-huge",
        trace_id="trace-huge",
    )
    topic = physical_name(topic_prefix, Topic.VIDEO_GENERATIONS)
    async with (
        running_worker(env, cwd=tmp_path),
        EventProducer(kafka_bootstrap, topic_prefix) as producer,
    ):
        await producer.send_many(sent)
        events = await read_until(
            kafka_bootstrap,
            topic_prefix,
            Topic.VIDEO_GENERATIONS,
            lambda seen: len(outcomes(seen)) == len(sent),
        )
        produced = kcat_produce(kafka_bootstrap, topic, "gen-huge", json.dumps(foreign))
        assert produced.returncode == 0, produced.stderr
        letter = await asyncio.wait_for(first_letter(kafka_bootstrap, topic_prefix), 60)
    ended = outcomes(events)
    assert all(len(v) == 1 for v in ended.values()), "every generation has one outcome"
    assert letter.original_key == "gen-huge" and "duration_s" in letter.reason

    done = ended["gen-a"][0].payload
    assert done.provider == "local"
    clip = Path(done.path)
    assert clip.is_relative_to(media.resolve() / "generated" / "proj-1")
    info = probe(clip)
    assert (info.kind, info.width, info.height) == ("video", 320, 180)
    assert abs(info.duration_ms - 2000) <= 100 and info.fps == 12
    assert (done.width, done.height, done.codec) == (320, 180, "h264")
    assert Path(done.thumbnail_path).is_file() and done.size_bytes == clip.stat().st_size
    assert done.task_id.startswith("local-") and done.model == "local-title_card"
    twin = ended["gen-b"][0].payload
    assert Path(twin.path).read_bytes() == clip.read_bytes() and twin.checksum == done.checksum

    progress = [
        e.payload.progress
        for e in events
        if e.type == "VideoGenerationProgress" and e.payload.generation_id == "gen-a"
    ]
    assert progress and progress == sorted(progress)
    started = [e for e in events if e.type == "VideoGenerationStarted"]
    assert {e.payload.generation_id for e in started} == {e.payload.generation_id for e in sent}

    runway = ended["gen-runway"][0].payload
    assert runway.error_code == "not_configured"
    assert runway.error == "the runway provider is not set up on this service (no API key or URL)."
    nobody = ended["gen-nobody"][0].payload
    assert nobody.error == "this service has no video provider called 'nobody'."
    outside = ended["gen-outside"][0].payload
    assert outside.error_code == "invalid_input" and "outside" in outside.error
    assert "passwd" not in outside.error or "/etc" not in outside.error
    first = ended["gen-a"][0]
    assert (first.trace_id, first.causation_id) == ("trace-gen-a", sent[0].event_id)
