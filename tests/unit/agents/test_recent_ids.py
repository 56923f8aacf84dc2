"""The bounded memory of handled ids a worker skips redeliveries with."""

from __future__ import annotations

from agents.recent_ids import RecentIds


def test_remembers_the_newest_ids_up_to_its_size() -> None:
    ids = RecentIds(size=3)
    for key in ("a", "b", "c", "a", "d"):
        ids.remember(key)
    assert len(ids) == 3
    assert "a" in ids and "c" in ids and "d" in ids  # "a" was refreshed, "b" was oldest
    assert "b" not in ids
