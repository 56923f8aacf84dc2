"""A Faust app whose consumer commits what is acked before a rebalance takes partitions away.

faust-streaming drops the acked-but-uncommitted offsets of revoked partitions (its consumer
forgets them before the app hears of the revoke) and commits only every few seconds, so
every rebalance handed the next owner a few seconds of finished clip tasks to run again:
wasted work and a second outcome in the log for each. Committing first, while the
partitions are still ours, is the standard place (Kafka calls the revoke listener before
the group rejoins); what is in flight at that moment is still redelivered, and
agents/recent_ids.py skips it when the partition comes back to the same worker.
"""

from __future__ import annotations

from typing import Any

import faust
import structlog
from faust.transport.drivers.aiokafka import Consumer

log = structlog.get_logger("render_worker")


class CommitOnRevokeConsumer(Consumer):
    """The aiokafka consumer, committing acked offsets before partitions are revoked."""

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        """Commit the finished prefix of every partition, then let Faust forget them."""
        try:
            await self.commit()
        except Exception as exc:  # the group may already be gone; the next owner redoes
            log.warning("render_worker.commit_on_revoke_failed", trace_id=None, error=str(exc))
        await super().on_partitions_revoked(revoked)


class WorkerApp(faust.App):
    """faust.App with the committing consumer."""

    def _new_consumer(self) -> Any:
        return CommitOnRevokeConsumer(
            self.transport,
            callback=self.topics.on_message,
            on_partitions_revoked=self._on_partitions_revoked,
            on_partitions_assigned=self._on_partitions_assigned,
            beacon=self.beacon,
            loop=self.loop,
        )
