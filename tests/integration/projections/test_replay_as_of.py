"""`beatstitch replay --until/--until-offsets`: the read models as they stood at a moment."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from events.kafka_io import EventProducer
from projections.db import make_engine
from projections.digest import database_digest
from tests.support.cli import cli_env, run_cli
from tests.support.clip_events import render_payloads, stamp
from tests.support.projecting import rows

FIRST_AT = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
SECOND_AT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


async def test_replay_until_a_time_between_two_renders_has_the_first_complete_and_not_the_second(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    first = stamp(render_payloads("job-first", tasks=4), start=FIRST_AT)
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(first)
        await producer.send_many(stamp(render_payloads("job-second", tasks=4), start=SECOND_AT))
    env = cli_env(kafka_bootstrap, topic_prefix, f"sqlite:///{tmp_path / 'live.db'}")

    as_of = f"sqlite:///{tmp_path / 'noon.db'}"
    done = run_cli("replay", "--into", as_of, "--until", "2026-11-30T12:00:00Z", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"replay of {len(first)} events up to 2026-11-30T12:00:00Z" in done.stdout
    assert "the live read models are newer, so they are not compared" in done.stdout
    jobs = rows(as_of, "SELECT id, status FROM render_jobs")
    assert jobs == [{"id": "job-first", "status": "complete"}]
    tasks = rows(as_of, "SELECT DISTINCT render_job_id FROM clip_tasks")
    assert tasks == [{"render_job_id": "job-first"}]

    stopped = re.search(r"stopped at: (\S+)", done.stdout)
    assert stopped, done.stdout
    offsets = dict(part.split("=") for part in stopped.group(1).split(","))
    # Every partition is named; the first render was produced first, so the offsets count it.
    assert len(offsets) == 3 + 6 + 3 + 1 + 2 + 3
    assert sum(int(o) for o in offsets.values()) == len(first)

    again = f"sqlite:///{tmp_path / 'by-offsets.db'}"
    by_offsets = run_cli("replay", "--into", again, "--until-offsets", stopped.group(1), env=env)
    assert by_offsets.returncode == 0, by_offsets.stdout + by_offsets.stderr
    assert f"stopped at: {stopped.group(1)}" in by_offsets.stdout
    assert database_digest(make_engine(again)) == database_digest(make_engine(as_of))

    everything = f"sqlite:///{tmp_path / 'all.db'}"
    later = run_cli("replay", "--into", everything, "--until", "2026-12-01T00:00:00Z", env=env)
    assert later.returncode == 0, later.stderr
    assert rows(everything, "SELECT id, status FROM render_jobs ORDER BY id") == [
        {"id": "job-first", "status": "complete"},
        {"id": "job-second", "status": "complete"},
    ]


def test_replay_says_what_is_wrong_with_a_cutoff(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    env = cli_env(kafka_bootstrap, topic_prefix, f"sqlite:///{tmp_path / 'live.db'}")
    into = f"sqlite:///{tmp_path / 'r.db'}"
    cases = [
        (("--until", "2026-11-30 12:00"), "has no time zone; add Z for UTC"),
        (("--until-offsets", "render.jobs=3"), "is not TOPIC:PARTITION=OFFSET"),
        (
            ("--until", "2026-11-30T12:00:00Z", "--until-offsets", "render.jobs:0=1"),
            "give --until or --until-offsets, not both",
        ),
    ]
    for args, says in cases:
        done = run_cli("replay", "--into", into, *args, env=env)
        assert done.returncode == 1, args
        assert says in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
