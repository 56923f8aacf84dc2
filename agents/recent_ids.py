"""A bounded memory of ids this worker handled lately, to skip their redelivery.

A message still being handled when a rebalance revokes its partition is delivered again
from the last committed offset, although its work is done moments later. When the
partition comes back to this worker (the common case: the group's assignment changes
little), the worker finds the id here and acknowledges the message without doing the work
twice: a clip task whose outcome it produced, a render request it planned.
"""

from __future__ import annotations

from collections import OrderedDict

# Enough for every task of many renders in flight; a forgotten id only costs a rerun.
DEFAULT_SIZE = 20_000


class RecentIds:
    """A bounded, insertion-ordered set of ids."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def remember(self, key: str) -> None:
        """Note that the work behind `key` is done (its events are in the log)."""
        self._ids[key] = None
        self._ids.move_to_end(key)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)
