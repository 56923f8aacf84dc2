"""Export every event topic to Parquet, incrementally: DIR/<EventType>/date=YYYY-MM-DD/*.parquet.

A file holds the events of one type, one day (of `occurred_at`, UTC) and one topic partition,
named `<topic>-<partition>-<first offset>-<last offset>.parquet`. The next offset of every
partition is kept in DIR/_export_state.json, replaced atomically after the files it covers are
in place. A run that stopped between its files and its state left files past the stored
offsets: the next run removes them before it reads again, so no event is exported twice.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import structlog
from aiokafka.structs import TopicPartition

from analytics.parquet_rows import Position, RowError, event_row, rows_table
from events.base import new_id
from events.codec import DecodeError, check_placement, decode
from events.topic_reader import Batch, follow
from events.topics import EVENT_TOPICS, logical_topic, physical_name

log = structlog.get_logger("parquet_export")

STATE_FILE = "_export_state.json"
STATE_MAX_BYTES = 1024 * 1024
FLUSH_ROWS = 50_000  # rows held in memory before they are written out

GroupKey = tuple[str, str, str, int]  # event type, day, physical topic, partition


class ExportError(RuntimeError):
    """The export cannot run as asked (the output is a file, the state file is damaged)."""


@dataclass
class ExportReport:
    """What one export run wrote, what it skipped and where it stopped."""

    files: list[Path] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    removed: int = 0
    offsets: dict[TopicPartition, int] = field(default_factory=dict)


def prepare_out(out: Path) -> None:
    """Make the output folder, refusing a path that is a file."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; --out takes a folder (it is made if missing)")
    out.mkdir(parents=True, exist_ok=True)


def load_state(out: Path) -> dict[TopicPartition, int]:
    """The next offset of every partition already exported, from the state file (none: {})."""
    path = out / STATE_FILE
    if not path.exists():
        return {}
    damaged = f"{path} is damaged ({{}}); move it away to export everything again"
    if path.stat().st_size > STATE_MAX_BYTES:
        raise ExportError(damaged.format(f"larger than {STATE_MAX_BYTES} bytes"))
    try:
        data = json.loads(path.read_bytes())
        offsets = {
            TopicPartition(str(topic), int(partition)): int(offset)
            for topic, parts in data["offsets"].items()
            for partition, offset in parts.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExportError(damaged.format(f"not the state this export writes: {exc}")) from None
    if any(o < 0 or tp.partition < 0 for tp, o in offsets.items()):
        raise ExportError(damaged.format("a negative offset or partition"))
    return offsets


def save_state(out: Path, offsets: dict[TopicPartition, int]) -> None:
    """Replace the state file atomically (a reader sees the old state or the new, never half)."""
    nested: dict[str, dict[str, int]] = defaultdict(dict)
    for tp, offset in sorted(offsets.items()):
        nested[tp.topic][str(tp.partition)] = offset
    _write_atomically(
        out / STATE_FILE, json.dumps({"format": 1, "offsets": nested}, indent=2).encode()
    )


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{new_id()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def file_span(path: Path) -> tuple[TopicPartition, int, int] | None:
    """The partition and first and last offsets a file's name says it holds (None: not ours)."""
    if path.suffix != ".parquet":
        return None
    # Topic names may hold dashes; the last three parts are always numbers.
    parts = path.stem.rsplit("-", 3)
    if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
        return None
    return TopicPartition(parts[0], int(parts[1])), int(parts[2]), int(parts[3])


def remove_unrecorded(out: Path, offsets: dict[TopicPartition, int]) -> int:
    """Remove files past the stored offsets and half-written ones: left by a run that stopped."""
    removed = 0
    for path in out.glob("*/date=*/*"):
        span = file_span(path)
        leftover = path.name.startswith(".") and path.name.endswith(".tmp")
        if leftover or (span is not None and span[1] >= offsets.get(span[0], 0)):
            path.unlink()
            removed += 1
    return removed


class _Buffer:
    """Rows waiting to be written, grouped by the file they go to."""

    def __init__(self) -> None:
        self.groups: dict[GroupKey, list[dict[str, Any]]] = defaultdict(list)
        self.size = 0

    def add(self, event_type: str, row: dict[str, Any]) -> None:
        day = row["occurred_at"].date().isoformat()
        self.groups[(event_type, day, row["kafka_topic"], row["kafka_partition"])].append(row)
        self.size += 1

    def write(self, out: Path, report: ExportReport) -> None:
        for (event_type, day, topic, partition), rows in sorted(self.groups.items()):
            first, last = rows[0]["kafka_offset"], rows[-1]["kafka_offset"]
            folder = out / event_type / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{topic}-{partition}-{first}-{last}.parquet"
            tmp = path.with_name(f".{path.name}.tmp")
            pq.write_table(rows_table(event_type, rows), tmp, compression="zstd")
            os.replace(tmp, path)
            report.files.append(path)
            report.rows[event_type] += len(rows)
        self.groups.clear()
        self.size = 0


def _take(prefix: str, data: Batch, buffer: _Buffer, report: ExportReport, logger: Any) -> None:
    """Decode a batch into rows; what the projector would dead-letter is counted, not written."""
    for tp, records in data.items():
        topic = logical_topic(prefix, tp.topic)
        for record in records:
            where = Position(tp.topic, tp.partition, record.offset)
            try:
                env = decode(record.value)
                check_placement(env, topic, record.key)
                buffer.add(env.type, event_row(env, where))
            except (DecodeError, RowError) as exc:
                report.skipped[tp.topic] += 1
                logger.warning(
                    "export.skipped",
                    reason=str(exc),
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=record.offset,
                )
        report.offsets[tp] = records[-1].offset + 1


async def export_parquet(
    bootstrap: str, prefix: str, out: Path, *, flush_rows: int = FLUSH_ROWS
) -> ExportReport:
    """Append the events that arrived since the last run to the Parquet tables under `out`."""
    prepare_out(out)
    stored = load_state(out)
    report = ExportReport(removed=remove_unrecorded(out, stored), offsets=dict(stored))
    logger = log.bind(trace_id=f"export-{new_id()}")
    names = [physical_name(prefix, t) for t in EVENT_TOPICS]
    buffer = _Buffer()
    async with follow(bootstrap, names, start=stored, until_end=True) as reader:
        async for data in reader.batches(max_records=5000):
            _take(prefix, data, buffer, report, logger)
            if buffer.size >= flush_rows:
                buffer.write(out, report)
                save_state(out, report.offsets)
    buffer.write(out, report)
    if report.offsets != stored or not (out / STATE_FILE).exists():
        save_state(out, report.offsets)
    logger.info(
        "export.done",
        files=len(report.files),
        rows=sum(report.rows.values()),
        removed=report.removed,
    )
    return report
