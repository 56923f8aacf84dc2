"""`beatstitch export parquet` on the real broker, read back with DuckDB as an analyst would."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics.parquet_export import STATE_FILE
from events.kafka_io import EventProducer
from events.topics import Topic, physical_name
from tests.support.cli import cli_env, run_cli
from tests.support.clip_events import render_payloads, stamp
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.projecting import project, rows

# job-a's events run across midnight, so its tables get two day partitions.
JOB_A_AT = datetime(2026, 11, 29, 23, 59, 59, 990_000, tzinfo=UTC)
JOB_B_AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
JOB_C_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _duck(out: Path, sql: str) -> list[tuple[object, ...]]:
    """Run SQL in which {T} stands for read_parquet of table T, as the README shows."""
    for name in (p.name for p in out.iterdir() if p.is_dir()):
        sql = sql.replace(
            "{" + name + "}", f"read_parquet('{out}/{name}/*/*.parquet', hive_partitioning=true)"
        )
    return duckdb.sql(sql).fetchall()


@needs_kcat
async def test_export_matches_the_read_models_appends_only_new_events_and_upcasts_v1(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-a", tasks=6), start=JOB_A_AT))
        await producer.send_many(stamp(render_payloads("job-b", tasks=4), start=JOB_B_AT))
    _v1_success_at(kafka_bootstrap, topic_prefix)
    url = f"sqlite:///{tmp_path / 'live.db'}"
    env = cli_env(kafka_bootstrap, topic_prefix, url)
    out = tmp_path / "export"

    first = run_cli("export", "parquet", "--out", str(out), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "files" in first.stdout and f"to {out}/" in first.stdout
    files_after_first = sorted(out.rglob("*.parquet"))
    assert {p.parent.name for p in out.glob("ClipTaskQueued/*/*.parquet")} == {
        "date=2026-11-29",
        "date=2026-11-30",
    }

    # The v1 event is in the v3 table, with the columns its upcast gave it.
    (v1,) = _duck(
        out,
        "SELECT event_version, duration_ms, source_type, clip_path, trace_id "
        "FROM {ClipTaskSucceeded} WHERE task_id = 'job-b-v1'",
    )
    assert v1 == (3, 2500, "remote", "clips/job-b-v1.mp4", "trace-v1")

    second = run_cli("export", "parquet", "--out", str(out), env=env)
    assert second.returncode == 0, second.stderr
    assert f"nothing new since the last export to {out}/" in second.stdout
    assert sorted(out.rglob("*.parquet")) == files_after_first

    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-c", tasks=3), start=JOB_C_AT))
    third = run_cli("export", "parquet", "--out", str(out), env=env)
    assert third.returncode == 0, third.stderr
    new_files = sorted(set(out.rglob("*.parquet")) - set(files_after_first))
    assert new_files and set(files_after_first) <= set(out.rglob("*.parquet"))
    assert f"wrote {len(new_files)} files" in third.stdout

    await project(kafka_bootstrap, topic_prefix, url)
    _same_counts_as_the_read_models(out, url)


def _v1_success_at(bootstrap: str, prefix: str) -> None:
    """A ClipTaskSucceeded version 1 (seconds, no source type) from a producer not ours."""
    payload = {
        "task_id": "job-b-v1",
        "render_job_id": "job-b",
        "video_id": "vid-9",
        "segment_index": 9,
        "attempt": 0,
        "duration_s": 2.5,
        "clip_path": "clips/job-b-v1.mp4",
    }
    event = foreign_event(
        "ClipTaskSucceeded",
        1,
        "job-b",
        payload,
        event_id="6f0c2a4e-0000-4000-8000-000000000001",
        trace_id="trace-v1",
        occurred_at="2026-11-30T10:30:00Z",
    )
    done = kcat_produce(
        bootstrap, physical_name(prefix, Topic.CLIP_EVENTS), "job-b", json.dumps(event)
    )
    assert done.returncode == 0, done.stderr


def _same_counts_as_the_read_models(out: Path, url: str) -> None:
    (jobs,) = rows(url, "SELECT COUNT(*) AS n FROM render_jobs")
    assert _duck(out, "SELECT COUNT(DISTINCT render_job_id) FROM {RenderRequested}") == [
        (jobs["n"],)
    ]
    (complete,) = rows(url, "SELECT COUNT(*) AS n FROM render_jobs WHERE status = 'complete'")
    assert _duck(out, "SELECT COUNT(*) FROM {RenderCompleted}") == [(complete["n"],)]
    (tasks,) = rows(url, "SELECT COUNT(*) AS n FROM clip_tasks")
    every_task = " UNION ".join(
        f"SELECT task_id FROM {{{t}}}"
        for t in ("ClipTaskQueued", "ClipTaskStarted", "ClipTaskSucceeded", "ClipTaskFailed")
        if (out / t).is_dir()  # the test's renders have no task without a clip
    )
    assert _duck(out, f"SELECT COUNT(*) FROM ({every_task})") == [(tasks["n"],)]
    (clips,) = rows(
        url, "SELECT COUNT(*) AS n FROM clip_tasks WHERE status IN ('success', 'fallback-local')"
    )
    assert _duck(
        out,
        "SELECT COUNT(DISTINCT task_id) FROM {ClipTaskSucceeded} "
        "WHERE source_type IN ('remote', 'local')",
    ) == [(clips["n"],)]
    assert tasks["n"] == 6 + 4 + 3 + 1 and jobs["n"] == 3


def test_export_refuses_an_out_that_is_a_file(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    target = tmp_path / "export.parquet"
    target.write_text("not a folder")
    env = cli_env(kafka_bootstrap, topic_prefix, f"sqlite:///{tmp_path / 'db.sqlite'}")
    done = run_cli("export", "parquet", "--out", str(target), env=env)
    assert done.returncode == 1
    assert f"error: {target} is a file; --out takes a folder" in done.stderr


@needs_kcat
async def test_an_analytics_principal_can_export(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-a", tasks=2), start=JOB_A_AT))
    env = cli_env(kafka_bootstrap, topic_prefix, "")
    name = f"clipstats{uuid.uuid4().hex[:8]}"
    added = run_cli("kafka", "users", "add", name, "--role", "analytics", env=env)
    assert added.returncode == 0, added.stderr
    password = re.search(r"BEATSTITCH_KAFKA_PASSWORD=(\S+)", added.stdout)
    assert password, added.stdout
    as_analyst = {
        **env,
        "BEATSTITCH_KAFKA_USERNAME": name,
        "BEATSTITCH_KAFKA_PASSWORD": password.group(1).strip("'"),
    }
    out = tmp_path / "export"
    done = run_cli("export", "parquet", "--out", str(out), env=as_analyst)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _duck(out, "SELECT COUNT(*) FROM {RenderRequested}") == [(1,)]


async def test_a_run_stopped_before_its_state_was_saved_is_redone_without_duplicates(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    env = cli_env(kafka_bootstrap, topic_prefix, "")
    out = tmp_path / "export"
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-a", tasks=4), start=JOB_A_AT))
    assert run_cli("export", "parquet", "--out", str(out), env=env).returncode == 0
    state_after_first = (out / STATE_FILE).read_bytes()

    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-b", tasks=4), start=JOB_B_AT))
    assert run_cli("export", "parquet", "--out", str(out), env=env).returncode == 0
    # As if the second run had stopped after its files, before its state.
    (out / STATE_FILE).write_bytes(state_after_first)

    redone = run_cli("export", "parquet", "--out", str(out), env=env)
    assert redone.returncode == 0, redone.stderr
    assert "files an interrupted export left unrecorded" in redone.stdout
    assert _duck(out, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM {ClipTaskQueued}") == [(8, 8)]
