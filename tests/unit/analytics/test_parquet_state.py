"""The export's bookkeeping: file names, the state file, leftovers of an interrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.structs import TopicPartition

from analytics.parquet_export import (
    STATE_FILE,
    ExportError,
    file_span,
    load_state,
    prepare_out,
    remove_unrecorded,
    save_state,
)

TP = TopicPartition("my-team.clip.events", 1)


def test_file_names_give_their_partition_and_offsets_even_with_dashes_in_the_topic() -> None:
    assert file_span(Path("my-team.clip.events-1-40-99.parquet")) == (TP, 40, 99)
    assert file_span(Path("notes.txt")) is None
    assert file_span(Path("something-else.parquet")) is None


def test_the_state_round_trips_and_a_damaged_one_is_refused_with_a_sentence(
    tmp_path: Path,
) -> None:
    assert load_state(tmp_path) == {}
    save_state(tmp_path, {TP: 100, TopicPartition("my-team.render.jobs", 0): 7})
    assert load_state(tmp_path) == {TP: 100, TopicPartition("my-team.render.jobs", 0): 7}
    (tmp_path / STATE_FILE).write_text('{"offsets": {"t": {"0": "lots"}}}')
    with pytest.raises(ExportError, match="is damaged .*; move it away to export everything"):
        load_state(tmp_path)
    (tmp_path / STATE_FILE).write_text('{"offsets": {"t": {"0": -3}}}')
    with pytest.raises(ExportError, match="a negative offset"):
        load_state(tmp_path)


def test_an_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "export.parquet"
    target.write_text("x")
    with pytest.raises(ExportError, match="is a file; --out takes a folder"):
        prepare_out(target)
    prepare_out(tmp_path / "new" / "dir")
    assert (tmp_path / "new" / "dir").is_dir()


def test_files_past_the_stored_offsets_and_half_written_ones_are_removed(tmp_path: Path) -> None:
    day = tmp_path / "ClipTaskSucceeded" / "date=2026-11-30"
    day.mkdir(parents=True)
    kept = day / "my-team.clip.events-1-0-49.parquet"
    unrecorded = day / "my-team.clip.events-1-50-80.parquet"
    other_partition = day / "my-team.clip.events-2-0-10.parquet"
    half = day / ".my-team.clip.events-1-81-90.parquet.tmp"
    for path in (kept, unrecorded, other_partition, half):
        path.write_bytes(b"x")
    assert remove_unrecorded(tmp_path, {TP: 50}) == 3
    assert sorted(p.name for p in day.iterdir()) == [kept.name]
