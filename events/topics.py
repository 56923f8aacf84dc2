"""The topic table: every topic's name, partition count, key and clean-up policy."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Topic(StrEnum):
    """Logical topic names; the physical name adds the deployment's prefix."""

    RENDER_JOBS = "render.jobs"
    CLIP_TASKS = "clip.tasks"
    CLIP_EVENTS = "clip.events"
    RENDER_CONFIG = "render.config"
    ANALYSIS = "analysis"
    VIDEO_GENERATIONS = "video.generations"
    DEAD_LETTER = "deadletter"


class TopicSpec(BaseModel):
    """How one topic is laid out on the cluster."""

    model_config = ConfigDict(frozen=True)

    topic: Topic
    partitions: int
    key: str
    compacted: bool
    description: str


TOPIC_TABLE: tuple[TopicSpec, ...] = (
    TopicSpec(
        topic=Topic.RENDER_JOBS,
        partitions=3,
        key="render_job_id",
        compacted=False,
        description="Render lifecycle: requested, started, progress, completed, failed, cancelled.",
    ),
    TopicSpec(
        topic=Topic.CLIP_TASKS,
        partitions=6,
        key="video_id",
        compacted=False,
        # Keyed by source media so one partition owns a video and can hold its limit.
        description="Clip tasks queued by the planner for the clippers.",
    ),
    TopicSpec(
        topic=Topic.CLIP_EVENTS,
        partitions=3,
        key="render_job_id",
        compacted=False,
        # Keyed by job so every outcome of one render is totally ordered.
        description="Clip task outcomes: started, retrying, fell back, succeeded, failed.",
    ),
    TopicSpec(
        topic=Topic.RENDER_CONFIG,
        partitions=1,
        key="config_name",
        compacted=True,
        description="Render clip configuration; every worker reads it from the start.",
    ),
    TopicSpec(
        topic=Topic.ANALYSIS,
        partitions=2,
        key="audio_track_id",
        compacted=False,
        description=(
            "Upload-time work: beat analysis (keyed by audio track) and proxies (by asset), "
            "requests and results."
        ),
    ),
    TopicSpec(
        topic=Topic.VIDEO_GENERATIONS,
        partitions=3,
        key="generation_id",
        compacted=False,
        description="Generated clips: requested, started, progress, completed, failed, deleted.",
    ),
    TopicSpec(
        topic=Topic.DEAD_LETTER,
        partitions=1,
        key="original_topic",
        compacted=False,
        description="Messages that could not be decoded, with the reason and origin.",
    ),
)

# Topics the projector folds; the dead-letter topic is for people, not for folds.
EVENT_TOPICS: tuple[Topic, ...] = tuple(
    s.topic for s in TOPIC_TABLE if s.topic != Topic.DEAD_LETTER
)


def spec_for(topic: Topic) -> TopicSpec:
    """Return the table row of one topic."""
    for spec in TOPIC_TABLE:
        if spec.topic == topic:
            return spec
    raise KeyError(topic)


def physical_name(prefix: str, topic: Topic) -> str:
    """Return the topic's name on the cluster for a deployment prefix."""
    return f"{prefix}.{topic.value}"


def logical_topic(prefix: str, name: str) -> Topic | None:
    """Map a physical topic name back to its logical topic, or None if it is not ours."""
    head = prefix + "."
    if not name.startswith(head):
        return None
    try:
        return Topic(name[len(head) :])
    except ValueError:
        return None
