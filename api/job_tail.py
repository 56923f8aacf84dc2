"""One reader of render.jobs per API process, handing each job's records to its progress streams.

A Kafka consumer per stream (its connections, fetches and buffers) let about fifteen streams
stall the API; here one consumer follows the topic from the end it had at start-up and puts
each record into the bounded queue of every stream of its job. The tail never waits for a
stream: one whose queue is full is dropped with the reason `too_slow` (it tells its client
to reconnect and resume), so a slow client never holds the others back.

A stream starts from the offset its read-model snapshot covers, which may lie behind the
tail. That gap is closed without missing a record: the tail remembers the latest records of
each partition (a few MB), and a subscriber whose start is among them gets its job's records
from there, in the same step that puts it on the fan-out list (no await between), so nothing
falls between the two. Only when the gap starts before what the tail remembers (the
projector lags far behind, or the API has just started), the stream reads the gap itself
with a short-lived reader of its one partition, up to the tail's position when it
subscribed, while the tail already queues what comes after. Rewinding the shared tail
instead would hand every other stream old records again and make all of them wait while one
catches up; a short reader costs one consumer for a moment, and only in the rare case.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator

import structlog
from aiokafka.structs import TopicPartition

from api.metrics import API_SSE_KAFKA_CONSUMERS
from events.topic_reader import WATCH_WAIT_MS, Record, follow, partition_for_key

log = structlog.get_logger(__name__)

# What one stream may have queued before it counts as too slow (a render's own events are
# far fewer: start, progress reports, an end).
QUEUE_RECORDS = 1024
# The latest records the tail remembers per partition, for streams whose snapshot is behind.
REMEMBERED_BYTES = 4 * 1024 * 1024
_READY_TIMEOUT_S = 30.0
_RESTART_DELAY_S = 1.0


def _size(record: Record) -> int:
    return len(record.value or b"") + len(record.key or b"") + 100


class Subscription:
    """One stream's records of one job, from `start` on: a gap to read first, then the queue."""

    def __init__(self, job_id: str, tp: TopicPartition, start: int, gap_end: int) -> None:
        self.key = job_id.encode()
        self.tp = tp
        self.start = start
        # Records in [start, gap_end) are read from the log by the stream itself.
        self.gap_end = gap_end
        self.ended: str | None = None
        self._queue: deque[Record] = deque()
        self._ready = asyncio.Event()

    def push(self, record: Record) -> None:
        """Queue a record (the tail calls this); a full queue drops the subscription."""
        if self.ended is not None:
            return
        if len(self._queue) >= QUEUE_RECORDS:
            self.drop("too_slow")
            return
        self._queue.append(record)
        self._ready.set()

    def drop(self, reason: str) -> None:
        """End the subscription: its stream tells the client why and to reconnect."""
        self.ended = self.ended or reason
        self._ready.set()

    async def take(self, timeout_s: float) -> list[Record] | None:
        """The queued records, waiting up to timeout_s for one; None once dropped and empty."""
        if not self._queue and self.ended is None:
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), max(timeout_s, 0.0))
        if not self._queue:
            return None if self.ended is not None else []
        taken = list(self._queue)
        self._queue.clear()
        return taken


class JobTail:
    """The process's one consumer of render.jobs and the streams it feeds."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._partitions = partitions
        self._subs: dict[bytes, set[Subscription]] = defaultdict(set)
        self._remembered: dict[int, deque[Record]] = defaultdict(deque)
        self._remembered_bytes: dict[int, int] = defaultdict(int)
        # Per partition: the first offset remembered from, and the next offset to hand out.
        self._first: dict[int, int] = {}
        self._next: dict[int, int] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin following the topic from its end (in the background)."""
        self._task = asyncio.create_task(self._run(), name="job-tail")

    async def stop(self) -> None:
        """Stop following; open subscriptions end as if the tail restarted."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._drop_all("api_stopping")

    def partition_of(self, job_id: str) -> TopicPartition:
        """The partition that holds a job's records (its key decides, as for producers)."""
        return TopicPartition(self._topic, partition_for_key(job_id.encode(), self._partitions))

    @property
    def streams(self) -> int:
        """Subscriptions open now."""
        return sum(len(subs) for subs in self._subs.values())

    async def subscribe(self, job_id: str, start: int) -> Subscription:
        """Records of the job from offset `start` on; remembered ones are queued at once."""
        await asyncio.wait_for(self._ready.wait(), _READY_TIMEOUT_S)
        tp = self.partition_of(job_id)
        p = tp.partition
        # From here to the return nothing awaits: the tail cannot hand out a record between
        # the remembered ones queued here and the fan-out list the subscription joins.
        covered = start >= self._first[p]
        sub = Subscription(job_id, tp, start, start if covered else self._next[p])
        self._subs[sub.key].add(sub)
        if covered:
            for record in self._remembered[p]:
                if record.offset >= start and record.key == sub.key:
                    sub.push(record)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """The stream ended."""
        subs = self._subs.get(sub.key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.key]

    async def records(self, sub: Subscription, deadline: float) -> AsyncIterator[Record]:
        """The subscription's records in offset order, each once, until it ends or `deadline`
        (the event loop's clock) passes."""
        last = sub.start - 1
        if sub.gap_end > sub.start:
            async for record in self._gap(sub):
                last = record.offset
                yield record
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            taken = await sub.take(deadline - loop.time())
            if taken is None:
                return
            for record in taken:
                if record.offset > last:
                    last = record.offset
                    yield record

    async def _gap(self, sub: Subscription) -> AsyncIterator[Record]:
        API_SSE_KAFKA_CONSUMERS.inc()
        try:
            async with follow(self._bootstrap, [sub.tp], start={sub.tp: sub.start}) as reader:
                async for record in reader.records():
                    if record.offset >= sub.gap_end:
                        return
                    if record.key == sub.key:
                        yield record
                    if record.offset + 1 >= sub.gap_end:
                        return
        finally:
            API_SSE_KAFKA_CONSUMERS.dec()

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broker outage: streams resume after reconnecting
                log.warning("api.job_tail_restarting", error=repr(exc))
            self._drop_all("tail_restarted")
            await asyncio.sleep(_RESTART_DELAY_S)

    async def _follow(self) -> None:
        self._ready.clear()
        wait = WATCH_WAIT_MS
        reading = follow(self._bootstrap, [self._topic], start="end", fetch_max_wait_ms=wait)
        async with reading as reader:
            API_SSE_KAFKA_CONSUMERS.inc()
            try:
                for tp in reader.partitions:
                    position = await reader.position(tp)
                    self._first[tp.partition] = self._next[tp.partition] = position
                    self._remembered[tp.partition].clear()
                    self._remembered_bytes[tp.partition] = 0
                self._ready.set()
                log.info("api.job_tail_started", topic=self._topic, positions=self._next)
                async for batch in reader.batches():
                    for records in batch.values():
                        for record in records:
                            self._hand_out(record)
            finally:
                self._ready.clear()
                API_SSE_KAFKA_CONSUMERS.dec()

    def _hand_out(self, record: Record) -> None:
        p = record.partition
        self._remember(record)
        self._next[p] = record.offset + 1
        for sub in list(self._subs.get(record.key or b"", ())):
            sub.push(record)
            if sub.ended is not None:
                self.unsubscribe(sub)

    def _remember(self, record: Record) -> None:
        p = record.partition
        kept = self._remembered[p]
        kept.append(record)
        self._remembered_bytes[p] += _size(record)
        while self._remembered_bytes[p] > REMEMBERED_BYTES and len(kept) > 1:
            gone = kept.popleft()
            self._remembered_bytes[p] -= _size(gone)
            self._first[p] = gone.offset + 1

    def _drop_all(self, reason: str) -> None:
        for subs in list(self._subs.values()):
            for sub in subs:
                sub.drop(reason)
        self._subs.clear()
