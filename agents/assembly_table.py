"""Deleting an entry of the assembler's Faust table from outside its agent's stream."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any


def table_discard(table: MutableMapping[str, Any]) -> Callable[[str, int | None], None]:
    """A function that deletes a render's entry given its partition.

    Faust's `del table[key]` takes the changelog partition from the event being processed and
    fails outside an agent's stream; the assembler's upkeep runs in a timer. The entry's own
    partition (that of the events that wrote it) is where its tombstone belongs.
    """

    def discard(key: str, partition: int | None) -> None:
        if key not in table:
            return
        send_changelog = getattr(table, "send_changelog", None)
        if partition is None or send_changelog is None:
            del table[key]  # a plain mapping, or an entry from before partitions were kept
            return
        send_changelog(partition, key, None, value_serializer="raw")
        table.data.pop(key, None)  # type: ignore[attr-defined]  # the Faust table's store

    return discard
