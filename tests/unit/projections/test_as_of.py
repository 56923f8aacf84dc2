"""Reading an as-of replay's cutoff and writing the offsets it stopped at. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from projections.as_of import Cutoff, CutoffError, format_offsets, parse_offsets, parse_until


def test_until_takes_an_iso_time_with_a_zone_and_gives_utc() -> None:
    assert parse_until("2026-11-30T12:00:00Z") == datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert parse_until("2026-11-30T13:30:00+01:30") == datetime(2026, 11, 30, 12, tzinfo=UTC)
    with pytest.raises(CutoffError, match="has no time zone; add Z for UTC"):
        parse_until("2026-11-30T12:00:00")
    with pytest.raises(CutoffError, match="'yesterday' is not an ISO 8601 time"):
        parse_until("yesterday")


def test_offsets_read_back_what_a_replay_prints() -> None:
    text = "render.jobs:0=12,render.jobs:2=0,clip.events:1=40"
    offsets = parse_offsets(text, "acme")
    assert offsets == {
        ("acme.render.jobs", 0): 12,
        ("acme.render.jobs", 2): 0,
        ("acme.clip.events", 1): 40,
    }
    assert format_offsets(offsets, "acme") == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("render.jobs:0", "is not TOPIC:PARTITION=OFFSET"),
        ("render.jobs:0=-1", "is not TOPIC:PARTITION=OFFSET"),
        ("deadletter:0=3", "'deadletter' is not an event topic"),
        ("render.jobs:0=1, render.jobs:0=2", "names render.jobs:0 twice"),
        ("x" * 10_001, "longer than 10000 characters"),
    ],
)
def test_bad_offsets_are_refused_with_a_sentence(text: str, says: str) -> None:
    with pytest.raises(CutoffError, match=says):
        parse_offsets(text, "acme")


def test_a_cutoff_stops_at_a_later_event_or_at_an_offset() -> None:
    noon = datetime(2026, 11, 30, 12, tzinfo=UTC)
    by_time = Cutoff(until=noon)
    assert not by_time.later(noon) and by_time.later(noon.replace(second=1))
    assert not by_time.offset_reached(("t.render.jobs", 0), 10**9)
    by_offset = Cutoff(offsets={("t.render.jobs", 0): 5})
    assert not by_offset.offset_reached(("t.render.jobs", 0), 4)
    assert by_offset.offset_reached(("t.render.jobs", 0), 5)
    # A partition the offsets do not name is not folded at all.
    assert by_offset.offset_reached(("t.render.jobs", 1), 0)
