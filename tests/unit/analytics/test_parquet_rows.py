"""An event as a flat row of its type's table: every type and version, pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from analytics.parquet_rows import (
    ENVELOPE_COLUMNS,
    Position,
    event_row,
    payload_columns,
    rows_table,
    table_schema,
)
from events.base import make_event
from events.codec import decode, encode
from events.payloads import ClipTaskSucceededV1
from events.registry import LATEST_VERSION
from tests.support.samples import sample_payloads

WHERE = Position("beatstitch.clip.events", 2, 41)
AT = datetime(2026, 11, 30, 11, 59, 30, tzinfo=UTC)


def test_no_payload_field_shares_a_name_with_an_envelope_column() -> None:
    envelope = {name for name, _ in ENVELOPE_COLUMNS}
    for event_type in LATEST_VERSION:
        clash = envelope & {name for name, _, _ in payload_columns(event_type)}
        assert not clash, (event_type, clash)


def test_every_sample_of_every_version_fits_its_types_table(tmp_path: Path) -> None:
    for payload in sample_payloads():
        env = decode(encode(make_event(payload, trace_id="t-1", occurred_at=AT)))
        table = rows_table(env.type, [event_row(env, WHERE)])
        path = tmp_path / f"{env.type}-{payload.event_version}.parquet"
        pq.write_table(table, path)
        back = pq.read_table(path)
        # Every version of a type lands in one schema: the latest version's.
        assert back.schema.equals(table_schema(env.type), check_metadata=False), env.type
        row = back.to_pylist()[0]
        assert row["event_version"] == LATEST_VERSION[env.type]
        assert row["occurred_at"] == AT
        assert (row["kafka_topic"], row["kafka_partition"], row["kafka_offset"]) == (
            "beatstitch.clip.events",
            2,
            41,
        )


def test_a_v1_clip_success_becomes_a_v3_row_with_upcast_columns() -> None:
    v1 = ClipTaskSucceededV1(
        task_id="task-1",
        render_job_id="job-1",
        video_id="vid-1",
        segment_index=0,
        attempt=0,
        duration_s=1.5,
        clip_path="clips/task-1.mp4",
    )
    env = decode(encode(make_event(v1, trace_id="t-1", occurred_at=AT)))
    row = event_row(env, WHERE)
    assert (row["event_type"], row["event_version"]) == ("ClipTaskSucceeded", 3)
    assert row["duration_ms"] == 1500 and row["source_type"] == "remote"
    assert row["clip"] is None and row["clip_path"] == "clips/task-1.mp4"
    assert "duration_s" not in row


def test_scalars_keep_their_type_and_nested_values_are_json_text() -> None:
    types = {name: (kind, as_json) for name, kind, as_json in payload_columns("RenderCompleted")}
    assert types["file_size"] == (pa.int64(), False)
    assert types["output"] == (pa.string(), False)
    assert types["clip_stats"] == (pa.string(), True)
    progress = {n: k for n, k, _ in payload_columns("RenderProgress")}
    assert progress["progress"] == pa.float64() and progress["status"] == pa.string()

    completed = next(p for p in sample_payloads() if p.event_type == "RenderCompleted")
    env = decode(encode(make_event(completed, trace_id="t-1", occurred_at=AT)))
    stats = json.loads(event_row(env, WHERE)["clip_stats"])
    assert stats["total_tasks"] == completed.clip_stats.total_tasks
