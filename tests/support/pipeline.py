"""Running renders through real workers and reading back what happened, from the events."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.request_from_files import PreparedRender, prepare_render
from engine.render_settings import RenderSettings
from engine.sample_media import write_sample_media, write_song
from events.payloads import RenderRequested
from events.topic_reader import read_until as read_events_until
from events.topics import Topic, physical_name

TERMINAL = ("ClipTaskSucceeded", "ClipTaskFailed")


def from_remote(request: RenderRequested, url: str) -> RenderRequested:
    """The request with every media source fetched from `url` first (the local copy stays)."""
    media = [m.model_copy(update={"remote_url": url}) for m in request.media]
    return request.model_copy(update={"media": media})


def small_render(
    tmp: Path, job: str, *, bars: int, beats_per_cut: int = 2, videos: int = 3, stills: int = 2
) -> PreparedRender:
    """A render of generated media at 320x180@12: quick to encode, real all the same."""
    media = write_sample_media(tmp / "media", videos=videos, stills=stills, size=(320, 180))
    song = write_song(tmp / "song", bpm=120.0, bars=bars)
    settings = RenderSettings.model_validate(
        {
            "beats_per_cut": beats_per_cut,
            "transition": {"type": "crossfade", "duration_ms": 250},
            "output": {"width": 320, "height": 180, "fps": 12},
        }
    )
    return prepare_render(song, media, settings, render_job_id=job, cache_dir=tmp / "grids")


def worker_env(bootstrap: str, prefix: str, artifacts: Path, **extra: str) -> dict[str, str]:
    """Environment of a test worker; its media root is the test's folder around `artifacts`,
    where the tests write their media, unless `extra` names another."""
    return {
        "BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap,
        "BEATSTITCH_TOPIC_PREFIX": prefix,
        "BEATSTITCH_ARTIFACTS_DIR": str(artifacts),
        "BEATSTITCH_MEDIA_DIR": str(artifacts.parent),
        **extra,
    }


def allow_remote(base_url: str) -> dict[str, str]:
    """The worker setting that lets it fetch from the tests' local media server (a loopback
    address, refused otherwise)."""
    return {"BEATSTITCH_REMOTE_HOSTS_ALLOWED": base_url.split("://", 1)[1].split("/", 1)[0]}


async def read_until(bootstrap: str, prefix: str, topic: Topic, done: Any) -> list[Any]:
    """Decode a topic from the start until `done(events so far)` is true."""
    return await read_events_until(bootstrap, physical_name(prefix, topic), done)


async def lifecycle_until(bootstrap: str, prefix: str, event_type: str) -> list[Any]:
    """render.jobs from the start up to and including the first event of `event_type`."""
    return await read_until(
        bootstrap,
        prefix,
        Topic.RENDER_JOBS,
        lambda seen: bool(seen) and seen[-1].type == event_type,
    )


async def clip_events_of(bootstrap: str, prefix: str, job: str, tasks: int) -> list[Any]:
    """Every clip event of a job, read until each of its tasks has an outcome."""

    def complete(seen: list[Any]) -> bool:
        ended = {e.payload.task_id for e in seen if e.type in TERMINAL}
        return len(ended) >= tasks

    events = await read_until(bootstrap, prefix, Topic.CLIP_EVENTS, complete)
    return [e for e in events if e.correlation_id == job]


def intervals(events: list[Any]) -> dict[str, tuple[str, datetime, datetime]]:
    """Per task: its video, its first start and its first outcome, from the events' times."""
    start: dict[str, datetime] = {}
    end: dict[str, datetime] = {}
    video: dict[str, str] = {}
    for e in events:
        p = e.payload
        video[p.task_id] = p.video_id
        if e.type == "ClipTaskStarted":
            start.setdefault(p.task_id, e.occurred_at)
        elif e.type in TERMINAL:
            end.setdefault(p.task_id, e.occurred_at)
    return {t: (video[t], start[t], end[t]) for t in end if t in start}


def max_overlap(spans: list[tuple[datetime, datetime]]) -> int:
    """The most intervals open at one instant (an end before a start at the same time)."""
    points = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in points:
        running += step
        peak = max(peak, running)
    return peak


def measured_limits(events: list[Any]) -> tuple[int, int]:
    """(most tasks running at once, most tasks of one video running at once)."""
    spans = intervals(events)
    per_video: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for v, s, e in spans.values():
        per_video[v].append((s, e))
    overall = max_overlap([(s, e) for _, s, e in spans.values()])
    return overall, max(max_overlap(v) for v in per_video.values())
