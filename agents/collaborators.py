"""What a worker's agents work with, wired to each other in one place.

`build_collaborators` makes the outbox, the config and cancellation watchers, the process
pool, the clip runner and its scheduler, the in-order acker, the assembler, the analyzer
and the generator (with the video providers the settings set up); the Faust app
(agents/worker.py) hands each agent the ones it needs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.acks import InOrderAcker
from agents.analyzer import Analyzer
from agents.assembler import Assembler, Emit
from agents.assembly_reread import clip_events_of
from agents.assembly_state import Deadline, JobAssembly
from agents.assembly_table import table_discard
from agents.assembly_upkeep import Upkeep
from agents.cancellations import CancellationWatcher
from agents.clip_runner import ClipRunner
from agents.config_watcher import ConfigWatcher
from agents.disk_gc import DiskCollector
from agents.generator import Generator, Providers
from agents.outbox import Outbox
from agents.pool import Pool
from agents.proxier import Proxier
from agents.recent_ids import RecentIds
from agents.scheduler import ClipScheduler
from agents.settings import RetentionSettings, WorkerSettings
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia
from domain.generation_settings import GenerationSettings
from engine.generation.provider import ProviderError, VideoProvider
from engine.generation.registry import PROVIDERS, make_provider
from engine.placeholder import placeholder_path
from events.base import Envelope, Payload, make_event
from storage.cache import ObjectCache
from storage.open_store import open_store
from storage.settings import StorageSettings


@dataclass(frozen=True)
class Collaborators:
    """A worker's collaborators; every limit they hold comes from the live config."""

    outbox: Outbox
    config_watcher: ConfigWatcher
    cancellations: CancellationWatcher
    pool: Pool
    runner: ClipRunner
    scheduler: ClipScheduler
    acker: InOrderAcker
    assembler: Assembler
    analyzer: Analyzer
    generator: Generator
    proxier: Proxier
    upkeep: Upkeep
    disk: DiskCollector
    planned: RecentIds = field(default_factory=RecentIds)  # requests this worker planned
    max_segments: int = 1000  # the planner's cap (BEATSTITCH_MAX_SEGMENTS)


def provider_factory(
    settings: GenerationSettings, hosts_allowed: frozenset[str] = frozenset()
) -> Providers:
    """Providers by name, made once each; a remote one without its key or URL refuses.

    `hosts_allowed`: private hosts a provider's client may reach (the remote-source list)."""
    made: dict[str, VideoProvider] = {}

    def provider(name: str) -> VideoProvider | None:
        if name not in PROVIDERS:
            return None
        if not settings.configured(name):
            raise ProviderError(
                "not_configured",
                f"the {name} provider is not set up on this service (no API key or URL)",
            )
        if name not in made:
            made[name] = make_provider(
                name,
                settings.for_provider(name).model_copy(update={"hosts_allowed": hosts_allowed}),
            )
        return made[name]

    return provider


EmitFor = Callable[[Envelope[Any], list[Payload]], Awaitable[list[Envelope[Any]]]]


def _emitters(outbox: Outbox) -> tuple[EmitFor, Emit]:
    """Send events caused by an event, and events of a render (its trace, its request)."""

    async def emit_for(cause: Envelope[Any], payloads: list[Payload]) -> list[Envelope[Any]]:
        sent = [
            make_event(p, trace_id=cause.trace_id, causation_id=cause.event_id) for p in payloads
        ]
        await outbox.send(sent)
        return sent

    async def emit_for_job(
        state: JobAssembly, payloads: list[Payload], event_id: str | None = None
    ) -> None:
        trace = state.trace_id or state.render_job_id
        cause = state.request_event_id
        await outbox.send(
            [make_event(p, trace_id=trace, causation_id=cause, event_id=event_id) for p in payloads]
        )

    return emit_for, emit_for_job


def _assembler(
    worker: WorkerSettings,
    table: MutableMapping[str, Any],
    emit: Emit,
    pool: Pool,
    guard: SourceGuard,
    media: StoredMedia,
) -> Assembler:
    artifacts = Path(worker.artifacts_dir)
    return Assembler(
        table=table,
        emit=emit,
        # Its pieces, music and mux have no retry of their own; a dead pool process is not
        # the render's fault.
        execute=pool.run_surviving_crashes,
        artifacts=artifacts,
        guard=guard,
        placeholder=lambda: str(placeholder_path(artifacts)),
        timeouts_s=(worker.clip_connect_timeout_s, worker.clip_read_timeout_s),
        deadline=Deadline(
            worker.render_deadline_s,
            worker.render_deadline_base_s,
            worker.render_deadline_per_timeline_s,
        ),
        discard=table_discard(table),
        worker_id=worker.worker_id,
        media=media,
    )


def stored_media(worker: WorkerSettings) -> StoredMedia:
    """The service's store (BEATSTITCH_STORAGE_URL; the media folder when unset) and this
    worker's cache of it."""
    settings = StorageSettings()
    store = open_store(settings, Path(worker.media_dir))
    cache = ObjectCache(settings.storage_cache_dir, settings.storage_cache_max_bytes)
    return StoredMedia(store, cache, shared_disk=settings.location() is None)


def _upload_agents(
    worker: WorkerSettings,
    outbox: Outbox,
    pool: Pool,
    guard: SourceGuard,
    media: StoredMedia,
    generation: GenerationSettings,
) -> tuple[Analyzer, Generator, Proxier]:
    """The agents of what users upload or ask for besides renders: beat analyses, generated
    clips and upload-time proxies."""
    artifacts = Path(worker.artifacts_dir)
    analyzer = Analyzer(
        worker_id=worker.worker_id,
        outbox=outbox,
        execute=pool.run,
        guard=guard,
        # Absolute: the path travels in events to processes with other working directories.
        grids_dir=artifacts.resolve() / "beat-grids",
        media=media,
    )
    generator = Generator(
        worker_id=worker.worker_id,
        outbox=outbox,
        execute=pool.run_surviving_crashes,
        providers=provider_factory(generation, guard.allowed_hosts),
        generated_dir=Path(worker.media_dir).resolve() / "generated",
        guard=guard,
        media=media,
    )
    proxier = Proxier(
        worker_id=worker.worker_id,
        outbox=outbox,
        execute=pool.run_surviving_crashes,
        guard=guard,
        media=media,
        work_dir=artifacts.resolve() / "proxies_tmp",
    )
    return analyzer, generator, proxier


def build_collaborators(
    bootstrap: str,
    prefix: str,
    worker: WorkerSettings,
    assembly_table: MutableMapping[str, Any],
    pool_initializer: Callable[[], None] | None = None,
    retention: RetentionSettings | None = None,
    generation: GenerationSettings | None = None,
) -> Collaborators:
    """Wire a worker's collaborators; `assembly_table` keeps the assembler's state per render."""
    outbox = Outbox(bootstrap, prefix, worker.worker_id, worker.send_deadline_s)
    watcher = ConfigWatcher(bootstrap, prefix, worker.worker_id)
    cancellations = CancellationWatcher(bootstrap, prefix, worker.worker_id)
    pool = Pool(
        worker.process_pool_size,
        pool_initializer,
        parallelism=lambda: watcher.live.config.max_parallelism,
    )
    artifacts = Path(worker.artifacts_dir)
    placeholder = placeholder_path(artifacts)
    timeouts_s = (worker.clip_connect_timeout_s, worker.clip_read_timeout_s)
    media = stored_media(worker)
    guard = SourceGuard.of(worker, also=media.roots)

    emit_for, emit_for_job = _emitters(outbox)
    runner = ClipRunner(
        worker_id=worker.worker_id,
        emit=emit_for,
        execute=pool.run,
        config=lambda: watcher.live,
        tmp_root=artifacts / "render_tmp",
        guard=guard,
        placeholder=str(placeholder),
        timeouts_s=timeouts_s,
        is_cancelled=cancellations.is_cancelled,
        media=media,
    )
    scheduler = ClipScheduler(
        limits=lambda: watcher.live.config, run=runner.run, queue_limit=worker.clip_queue_limit
    )
    watcher.on_change = lambda _live: scheduler.pump()
    assembler = _assembler(worker, assembly_table, emit_for_job, pool, guard, media)
    analyzer, generator, proxier = _upload_agents(
        worker, outbox, pool, guard, media, generation or GenerationSettings()
    )
    disk = DiskCollector(
        worker_id=worker.worker_id,
        artifacts=artifacts,
        retention=(retention or RetentionSettings()).retention(),
        ended=lambda: cancellations.ended,
        live=lambda: [*assembly_table.keys(), *assembler.busy],
    )
    return Collaborators(
        outbox,
        watcher,
        cancellations,
        pool,
        runner,
        scheduler,
        InOrderAcker(),
        assembler,
        analyzer,
        generator,
        proxier,
        Upkeep(assembler, reread=functools.partial(clip_events_of, bootstrap, prefix)),
        disk,
        max_segments=worker.max_segments,
    )
