"""Replay: rebuild every read model from offset 0 into a fresh database and compare digests,
or, as of a moment or offsets, rebuild the read models as they stood then."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from events.kafka_io import partitions_of
from events.topics import EVENT_TOPICS, physical_name
from projections.as_of import Cutoff
from projections.db import upgrade
from projections.digest import TableDigest, database_digest
from projections.models import Base
from projections.projector import Projector, ProjectorStats
from projections.store import TopicPartitionKey, load_offsets


class ReplayError(RuntimeError):
    """Replay cannot run as asked (for example, the target database is not empty)."""


@dataclass(frozen=True)
class ReplayReport:
    """What replay rebuilt and how it compares with the live read models."""

    stats: ProjectorStats
    replayed: list[TableDigest]
    live: list[TableDigest] | None
    live_caught_up: bool
    # The next offset of every partition: where the replay stopped.
    stopped_at: dict[TopicPartitionKey, int] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        """True when every replayed table's digest equals the live one."""
        return self.live is not None and self.live_caught_up and self.replayed == self.live


def ensure_empty(engine: Engine) -> None:
    """Refuse to replay into a database that already holds rows."""
    upgrade(engine)
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if count:
                raise ReplayError(
                    f"the target database is not empty ({table.name} has {count} rows); "
                    "replay into a fresh database"
                )


def _behind(live: dict[TopicPartitionKey, int], target: dict[TopicPartitionKey, int]) -> bool:
    return any(live.get(tp, 0) < off for tp, off in target.items() if off > 0)


async def _wait_for_live(
    live: Engine, name: str, target: dict[TopicPartitionKey, int], timeout_s: float
) -> dict[TopicPartitionKey, int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with live.connect() as conn:
            offsets = load_offsets(conn, name)
        if not _behind(offsets, target) or loop.time() > deadline:
            return offsets
        await asyncio.sleep(0.1)


async def _stopped_at(
    bootstrap: str, prefix: str, positions: dict[TopicPartitionKey, int]
) -> dict[TopicPartitionKey, int]:
    """Every event partition's next offset after the replay (0 where it folded nothing)."""
    names = [physical_name(prefix, t) for t in EVENT_TOPICS]
    every = await partitions_of(bootstrap, names)
    return {(tp.topic, tp.partition): positions.get((tp.topic, tp.partition), 0) for tp in every}


async def replay(
    *,
    bootstrap: str,
    prefix: str,
    into: Engine,
    live: Engine | None,
    projector_name: str = "projector",
    live_timeout_s: float = 30.0,
    cutoff: Cutoff | None = None,
) -> ReplayReport:
    """Fold the whole log into `into`, wait for the live projector to reach the same point,
    then digest both. With a cutoff, fold the log only up to it and compare with nothing: the
    live read models are newer."""
    await asyncio.to_thread(ensure_empty, into)
    projector = Projector(
        bootstrap=bootstrap, prefix=prefix, engine=into, name=projector_name, cutoff=cutoff
    )
    stats = await projector.run(until_end=True)
    if live is None or cutoff is not None:
        stopped = await _stopped_at(bootstrap, prefix, stats.positions)
        return ReplayReport(stats, database_digest(into), None, False, stopped)
    caught_up = False
    for _ in range(3):
        live_offsets = await _wait_for_live(live, projector_name, stats.positions, live_timeout_s)
        if _behind(live_offsets, stats.positions):
            break
        if _behind(stats.positions, live_offsets):
            # The live projector saw newer events; fold those too, then compare again.
            stats = await projector.run(until_end=True)
            continue
        caught_up = True
        break
    return ReplayReport(
        stats,
        database_digest(into),
        database_digest(live),
        live_caught_up=caught_up,
        stopped_at=await _stopped_at(bootstrap, prefix, stats.positions),
    )
