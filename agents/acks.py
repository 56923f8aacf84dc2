"""Acknowledging events in offset order, whatever order their work finishes in.

faust-streaming can commit past an unacked message when acks arrive out of order (issue
606), which would lose a clip task on a crash. Acking only the finished prefix of each
partition keeps the committed offset below every task still in flight."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol


class Ackable(Protocol):
    """What the acker needs of an event: its partition, its offset, and ack()."""

    def ack(self) -> bool: ...


class InOrderAcker:
    """Acks each partition's events strictly in the order they were added."""

    def __init__(self) -> None:
        self._queues: dict[Any, deque[list[Any]]] = {}
        self.acked = 0

    def add(self, tp: Any, event: Ackable) -> None:
        """Track an event of partition `tp`, not yet done."""
        self._queues.setdefault(tp, deque()).append([event, False])

    def done(self, tp: Any, event: Ackable) -> None:
        """Mark an event done and ack the finished prefix of its partition."""
        queue = self._queues.get(tp)
        if queue is None:
            return  # the partition was revoked; its new owner handles the event
        for entry in queue:
            if entry[0] is event:
                entry[1] = True
                break
        while queue and queue[0][1]:
            queue.popleft()[0].ack()
            self.acked += 1

    def forget(self, tps: set[Any]) -> None:
        """Drop revoked partitions: their unacked events will be delivered again elsewhere."""
        for tp in tps:
            self._queues.pop(tp, None)

    def pending(self, tp: Any) -> int:
        """Events of a partition not yet acked."""
        return len(self._queues.get(tp, ()))
