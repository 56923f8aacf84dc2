"""Exactly-once under SIGKILL, and replay digests equal to the live read models."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from events.kafka_io import EventProducer
from projections.db import make_engine
from projections.digest import database_digest
from projections.replay import replay
from tests.support.cli import cli_env, run_cli, start_cli
from tests.support.clip_events import render_payloads, stamp
from tests.support.projecting import clip_stats_of, project, rows

JOBS, TASKS = 60, 30


async def _produce_many_renders(bootstrap: str, prefix: str) -> int:
    events = [e for j in range(JOBS) for e in stamp(render_payloads(f"job-{j}", tasks=TASKS))]
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send_many(events)
    return len(events)


async def _stored_offsets(url: str) -> int:
    try:
        found = rows(url, "SELECT SUM(next_offset) AS n FROM projector_offsets")
    except Exception:  # the schema may not exist yet
        return 0
    return int(found[0]["n"] or 0)


async def test_projector_killed_mid_run_resumes_without_loss_or_double_counting(
    kafka_bootstrap: str, topic_prefix: str, database_url: str, tmp_path: Path
) -> None:
    total = await _produce_many_renders(kafka_bootstrap, topic_prefix)
    env = cli_env(
        kafka_bootstrap, topic_prefix, database_url, BEATSTITCH_PROJECTOR_BATCH_SIZE="150"
    )
    proc = start_cli("projector", env=env)
    # Small batches keep the projector inside a transaction most of the time, so the kill
    # almost always lands mid-batch; the assertions hold wherever it lands.
    while (done := await _stored_offsets(database_url)) < total // 4:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        await asyncio.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 0 < done < total, "the kill must come before the projector caught up"

    resumed = run_cli("projector", "--until-end", env=env)
    assert resumed.returncode == 0, resumed.stderr

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    await project(kafka_bootstrap, topic_prefix, clean_url)
    assert database_digest(make_engine(database_url)) == database_digest(make_engine(clean_url))
    for j in (0, JOBS // 2, JOBS - 1):
        stats = clip_stats_of(database_url, f"job-{j}")
        assert stats["total_tasks"] == TASKS and stats["placeholder_tasks"] == 1


async def test_replay_rebuilds_identical_read_models(
    kafka_bootstrap: str, topic_prefix: str, database_url: str, tmp_path: Path
) -> None:
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        for j in range(5):
            await producer.send_many(stamp(render_payloads(f"job-{j}", tasks=7)))
    await project(kafka_bootstrap, topic_prefix, database_url, batch_size=13)

    # Replaying into SQLite gives the same digests whether the live side is SQLite or Postgres.
    report = await replay(
        bootstrap=kafka_bootstrap,
        prefix=topic_prefix,
        into=make_engine(f"sqlite:///{tmp_path / 'replayed.db'}"),
        live=make_engine(database_url),
    )
    assert report.live_caught_up and report.equal
    assert {d.table: d.rows for d in report.replayed}["clip_tasks"] == 35


async def test_replay_and_audit_commands(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-x", tasks=3), trace_id="trace-x"))
    env = cli_env(kafka_bootstrap, topic_prefix, live_url)
    assert run_cli("projector", "--until-end", env=env).returncode == 0

    replayed = run_cli("replay", "--into", f"sqlite:///{tmp_path / 'r.db'}", env=env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "replayed read models are identical to the live ones" in replayed.stdout

    again = run_cli("replay", "--into", f"sqlite:///{tmp_path / 'r.db'}", env=env)
    # What a person sees when pointing replay at a database that already has rows:
    assert again.returncode == 1
    assert "the target database is not empty" in again.stderr

    audited = run_cli("audit", "job-x", "--json", env=env)
    assert audited.returncode == 0, audited.stderr
    import json

    lines = json.loads(audited.stdout)["events"]
    assert lines[0]["type"] == "RenderRequested" and lines[-1]["type"] == "RenderCompleted"
    assert {ln["trace_id"] for ln in lines} == {"trace-x"}
    assert [ln["occurred_at"] for ln in lines] == sorted(ln["occurred_at"] for ln in lines)
    assert sum(ln["type"] == "ClipTaskSucceeded" for ln in lines) == 3

    missing = run_cli("audit", "no-such-job", env=env)
    assert missing.returncode == 1
    assert "no events of render job 'no-such-job' in the log" in missing.stderr
