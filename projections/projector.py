"""The projector: folds every event topic into the read models, exactly once.

Offsets live in the read-model database and are written in the same transaction
as the rows they produced, so a crash at any point neither loses nor repeats an
event. Partitions are assigned by hand (no consumer group): on start the
projector seeks to its stored offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from aiokafka.structs import TopicPartition
from sqlalchemy import Connection, Engine

from events.base import Envelope, new_id
from events.codec import DecodeError, check_placement, decode
from events.dead_letter import dead_letter_of
from events.kafka_io import EventProducer, ensure_topics
from events.topic_reader import WATCH_WAIT_MS, Batch, TopicReader, follow
from events.topics import EVENT_TOPICS, Topic, logical_topic, physical_name
from projections.as_of import Cutoff
from projections.batch import fold_batch, keys_of
from projections.db import upgrade
from projections.metrics import (
    PROJECTOR_BATCH_SECONDS,
    PROJECTOR_DEAD_LETTERS,
    PROJECTOR_EVENTS,
)
from projections.projector_lock import ProjectorLock
from projections.store import (
    JobCache,
    TopicPartitionKey,
    load_batch,
    load_offsets,
    save_batch,
    save_offsets,
)

log = structlog.get_logger("projector")
_LOCK_POLL_S = 1.0


@dataclass
class ProjectorStats:
    """What a projector run did."""

    events: int = 0
    dead_letters: int = 0
    batches: int = 0
    seconds: float = 0.0
    positions: dict[TopicPartitionKey, int] = field(default_factory=dict)


@dataclass
class _Decoded:
    events: list[Envelope[Any]] = field(default_factory=list)
    # The partition each event came from, in the same order.
    origins: list[TopicPartitionKey] = field(default_factory=list)
    dead: list[tuple[Any, str]] = field(default_factory=list)
    next_offsets: dict[TopicPartitionKey, int] = field(default_factory=dict)
    cut: list[TopicPartitionKey] = field(default_factory=list)


class Sink(Protocol):
    """What a projector folds into: the read models, or the analytics windows."""

    topics: tuple[Topic, ...]
    # Whether undecodable records go to the dead-letter topic (only one consumer should).
    dead_letters: bool

    def commit(
        self, conn: Connection, events: list[Envelope[Any]], origins: list[TopicPartitionKey]
    ) -> None:
        """Fold a batch and write its rows in the caller's transaction."""

    def committed(self) -> None:
        """The transaction of the last commit went through."""

    def rolled_back(self) -> None:
        """The transaction of the last commit failed; forget anything cached from it."""


class ReadModelSink:
    """The read models: jobs, clip tasks, configs, analyses, generations and proxies."""

    topics: tuple[Topic, ...] = tuple(EVENT_TOPICS)
    dead_letters = True

    def __init__(self) -> None:
        self._cache = JobCache()
        self._last: tuple[Any, set[str]] | None = None

    def commit(
        self, conn: Connection, events: list[Envelope[Any]], origins: list[TopicPartitionKey]
    ) -> None:
        """Fold the batch into the rows it touches and write them."""
        self._last = None
        if events:
            loaded = load_batch(conn, *keys_of(events), cache=self._cache)
            folded, changed = fold_batch(loaded, events)
            self._last = (folded, save_batch(conn, loaded, folded, changed))

    def committed(self) -> None:
        """Remember the committed jobs, so the next batch need not read them back."""
        if self._last is not None:
            self._cache.put_committed(*self._last)

    def rolled_back(self) -> None:
        """Forget every cached job."""
        self._cache.clear()


class Projector:
    """Consumes every event topic from stored offsets and folds batches into the database."""

    def __init__(
        self,
        *,
        bootstrap: str,
        prefix: str,
        engine: Engine,
        name: str = "projector",
        batch_size: int = 5000,
        on_batch: Callable[[ProjectorStats], None] | None = None,
        wait_for_lock: bool = True,
        cutoff: Cutoff | None = None,
        sink: Sink | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.engine = engine
        self.name = name
        self.batch_size = batch_size
        self.on_batch = on_batch
        # Another projector of this name on this database: wait for it to stop (a standby),
        # or refuse at once with ProjectorBusy.
        self.wait_for_lock = wait_for_lock
        # An as-of replay: each partition ends at the cutoff (projections/as_of.py).
        self.cutoff = cutoff
        self._cut: set[TopicPartitionKey] = set()
        self.stats = ProjectorStats()
        self._stored: dict[TopicPartitionKey, int] = {}
        self.sink: Sink = sink or ReadModelSink()
        self._log = log.bind(trace_id=f"projector-{new_id()}", projector=name)

    async def run(
        self, stop: asyncio.Event | None = None, until_end: bool = False
    ) -> ProjectorStats:
        """Fold until `stop` is set, or, with until_end, until the log's end as of now."""
        await ensure_topics(self.bootstrap, self.prefix)
        await asyncio.to_thread(upgrade, self.engine)
        lock = ProjectorLock(self.engine, self.name)
        if not await self._take(lock, stop):
            return self.stats
        try:
            return await self._run_locked(stop, until_end)
        finally:
            lock.release()

    async def _take(self, lock: ProjectorLock, stop: asyncio.Event | None) -> bool:
        """Hold the lock (True), or give up because `stop` was set while waiting (False)."""
        if not self.wait_for_lock:
            await asyncio.to_thread(lock.acquire)
            return True
        waiting_since: float | None = None
        while not await asyncio.to_thread(lock.try_acquire):
            if waiting_since is None:
                waiting_since = time.perf_counter()
                self._log.warning("projector.waiting_for_lock", database=lock.where)
            with contextlib.suppress(TimeoutError):
                # Polls the lock (nothing announces its release); a stop ends the wait.
                await asyncio.wait_for((stop or asyncio.Event()).wait(), _LOCK_POLL_S)
            if stop is not None and stop.is_set():
                return False
        if waiting_since is not None:
            waited = round(time.perf_counter() - waiting_since, 1)
            self._log.info("projector.lock_taken", waited_s=waited)
        return True

    async def _run_locked(self, stop: asyncio.Event | None, until_end: bool) -> ProjectorStats:
        # Offsets are read only once the lock is held: a previous owner may have moved them.
        self._stored = await asyncio.to_thread(self._load_offsets)
        names = [physical_name(self.prefix, t) for t in self.sink.topics]
        # A partition without a stored offset starts at its beginning.
        stored = {TopicPartition(topic, p): offset for (topic, p), offset in self._stored.items()}
        reading = follow(
            self.bootstrap,
            names,
            start=stored,
            until_end=until_end,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
            fetch_max_wait_ms=WATCH_WAIT_MS,
        )
        producer = EventProducer(self.bootstrap, self.prefix, client_id=f"{self.name}-dead-letters")
        async with reading as reader, producer:
            self._log.info(
                "projector.started", partitions=len(reader.partitions), resumed=len(self._stored)
            )
            started = time.perf_counter()
            try:
                await self._fold(reader, producer, stop)
            finally:
                self.stats.seconds = time.perf_counter() - started
        self._log.info(
            "projector.stopped", events=self.stats.events, dead_letters=self.stats.dead_letters
        )
        return self.stats

    async def _fold(
        self, reader: TopicReader, producer: EventProducer, stop: asyncio.Event | None
    ) -> None:
        pending: asyncio.Task[None] | None = None
        async for data in reader.batches(max_records=self.batch_size, stop=stop):
            if not data:
                continue
            # Decode this batch while the previous one commits in its thread; commits
            # stay strictly in order.
            batch = self._decode(data)
            for topic, partition in batch.cut:
                reader.finish(TopicPartition(topic, partition))
            if pending is not None:
                await pending
            pending = asyncio.create_task(self._store(batch, producer))
        if pending is not None:
            await pending

    def _load_offsets(self) -> dict[TopicPartitionKey, int]:
        with self.engine.connect() as conn:
            return load_offsets(conn, self.name)

    def _decode(self, data: Batch) -> _Decoded:
        out = _Decoded()
        for tp, records in data.items():
            where = (tp.topic, tp.partition)
            if where in self._cut:
                continue  # fetched before the partition was cut
            topic = logical_topic(self.prefix, tp.topic)
            next_offset = records[-1].offset + 1
            for record in records:
                if self.cutoff is not None and self.cutoff.offset_reached(where, record.offset):
                    next_offset = record.offset
                    break
                try:
                    env = decode(record.value)
                    check_placement(env, topic, record.key)
                except DecodeError as exc:
                    out.dead.append((record, exc.reason))
                    continue
                if self.cutoff is not None and self.cutoff.later(env.occurred_at):
                    next_offset = record.offset
                    break
                out.events.append(env)
                out.origins.append(where)
            if next_offset <= records[-1].offset:
                self._cut.add(where)
                out.cut.append(where)
            out.next_offsets[where] = next_offset
        return out

    async def _store(self, batch: _Decoded, producer: EventProducer) -> None:
        t0 = time.perf_counter()
        if batch.dead and self.sink.dead_letters:
            # Dead letters are written before the offsets move past them (at least once).
            await self._dead_letter(batch.dead, producer)
        for record, reason in batch.dead if not self.sink.dead_letters else ():
            # The projector dead-letters the same record; this consumer only says so.
            self._log.warning(
                "projector.undecodable_skipped",
                reason=reason,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        await asyncio.to_thread(self._commit, batch)
        self._stored.update(batch.next_offsets)
        self.stats.events += len(batch.events)
        self.stats.dead_letters += len(batch.dead)
        self.stats.batches += 1
        self.stats.positions = dict(self._stored)
        PROJECTOR_EVENTS.inc(len(batch.events))
        PROJECTOR_BATCH_SECONDS.observe(time.perf_counter() - t0)
        if self.on_batch is not None:
            self.on_batch(self.stats)

    def _commit(self, batch: _Decoded) -> None:
        try:
            with self.engine.begin() as conn:
                self.sink.commit(conn, batch.events, batch.origins)
                save_offsets(conn, self.name, batch.next_offsets, self._stored)
        except BaseException:
            self.sink.rolled_back()
            raise
        self.sink.committed()

    async def _dead_letter(self, dead: list[tuple[Any, str]], producer: EventProducer) -> None:
        now = datetime.now(UTC)
        for record, reason in dead:
            self._log.warning(
                "projector.dead_letter",
                reason=reason,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            await producer.send_dead_letter(dead_letter_of(record, reason, self.name, now))
            PROJECTOR_DEAD_LETTERS.inc()
