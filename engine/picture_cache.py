"""Decoded still pictures kept per process, so a photo is decoded once, not once per use.

A still is shown by its clip and by the transition pieces on both sides of it, which
often run in the same pool process. Decoding a 2560x1708 JPEG proxy takes about 22 ms
(a large original several times that), and the bench case did it about 90 times.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_inherited: list[object] = []

# A few dozen large stills; a pool process keeps at most this much.
BUDGET_BYTES = 256 << 20


def file_identity(path: str) -> tuple[str, int, int, int] | None:
    """A local file's content, as far as stat tells: path, inode, size, mtime (None: not a file)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None  # a URL, or gone: never cached
    return os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns


class PictureCache(Generic[V]):
    """A least-recently-used map bounded by the bytes its values hold."""

    def __init__(self, size_of: Callable[[V], int], budget_bytes: int = BUDGET_BYTES) -> None:
        self.size_of = size_of
        self.budget = budget_bytes
        self.used = 0
        self.hits = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        # A forked child must not touch the parent's values: a decoded frame keeps the
        # swscale context (and its threads) of its last reformat, and those threads do not
        # exist in the child, whose next reformat, or freeing the frame, waits for them
        # forever. So the child starts empty and never frees what it inherited (pages it
        # shares with the parent until either writes them).
        os.register_at_fork(after_in_child=self._forget_inherited)

    def _forget_inherited(self) -> None:
        _inherited.append(self._entries)
        self._entries = OrderedDict()
        self.used = 0

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for key, made (and kept, if it fits the budget) on a miss."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]
        value = make()
        size = self.size_of(value)
        if size <= self.budget:
            while self.used + size > self.budget:
                _, (_, freed) = self._entries.popitem(last=False)
                self.used -= freed
            self._entries[key] = (value, size)
            self.used += size
        return value

    def __len__(self) -> int:
        return len(self._entries)
