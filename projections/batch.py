"""Folding a decoded batch of events into the rows it touches (pure)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from domain.clip_stats import JobClipState, fold_clip_events
from domain.render_job import fold_job
from events.base import Envelope
from events.payloads import MediaProxyCompleted, MediaProxyRequested
from events.topics import Topic
from projections.folds import fold_analysis, fold_config, fold_generation, fold_proxies
from projections.store import BatchState

Keys = tuple[set[str], set[int], set[str], set[str], set[str]]
PROXY_EVENTS = (MediaProxyRequested, MediaProxyCompleted)


def keys_of(events: Sequence[Envelope[Any]]) -> Keys:
    """Return the job ids, config versions, audio tracks, generations and assets (their
    proxies) a batch touches."""
    jobs: set[str] = set()
    versions: set[int] = set()
    tracks: set[str] = set()
    generations: set[str] = set()
    assets: set[str] = set()
    for env in events:
        topic = env.payload.topic
        if topic in (Topic.RENDER_JOBS, Topic.CLIP_TASKS, Topic.CLIP_EVENTS):
            jobs.add(env.payload.render_job_id)
        elif topic == Topic.RENDER_CONFIG:
            versions.add(env.payload.version)
        elif isinstance(env.payload, PROXY_EVENTS):
            assets.add(env.payload.asset_id)
        elif topic == Topic.ANALYSIS:
            tracks.add(env.payload.audio_track_id)
        elif topic == Topic.VIDEO_GENERATIONS:
            generations.add(env.payload.generation_id)
    return jobs, versions, tracks, generations, assets


def fold_batch(loaded: BatchState, events: Sequence[Envelope[Any]]) -> tuple[BatchState, set[str]]:
    """Fold events (log order per partition) into loaded rows; return them and changed tasks."""
    jobs = dict(loaded.jobs)
    configs = dict(loaded.configs)
    analyses = dict(loaded.analyses)
    generations = dict(loaded.generations)
    proxies = dict(loaded.proxies)
    clip_events: dict[str, list[Envelope[Any]]] = defaultdict(list)
    for env in events:
        topic = env.payload.topic
        if topic == Topic.RENDER_JOBS:
            job_id = env.payload.render_job_id
            jobs[job_id] = fold_job(jobs.get(job_id), env)
        elif topic in (Topic.CLIP_TASKS, Topic.CLIP_EVENTS):
            clip_events[env.payload.render_job_id].append(env)
        elif topic == Topic.RENDER_CONFIG:
            configs[env.payload.version] = fold_config(configs.get(env.payload.version), env)
        elif isinstance(env.payload, PROXY_EVENTS):
            asset = env.payload.asset_id
            proxies[asset] = fold_proxies(proxies.get(asset, {}), env)
        elif topic == Topic.ANALYSIS:
            track = env.payload.audio_track_id
            analyses[track] = fold_analysis(analyses.get(track), env)
        elif topic == Topic.VIDEO_GENERATIONS:
            gen = env.payload.generation_id
            generations[gen] = fold_generation(generations.get(gen), env)
    clips = dict(loaded.clips)
    changed: set[str] = set()
    for job_id, job_events in clip_events.items():
        before = clips.get(job_id) or JobClipState(render_job_id=job_id)
        after = fold_clip_events(before, job_events)
        job_changed = {t for t, s in after.tasks.items() if before.tasks.get(t) is not s}
        if job_changed or after.peak_parallelism != before.peak_parallelism:
            clips[job_id] = after
            changed |= job_changed
    folded = dataclasses.replace(
        loaded,
        jobs=jobs,
        clips=clips,
        configs=configs,
        analyses=analyses,
        generations=generations,
        proxies=proxies,
    )
    return folded, changed
