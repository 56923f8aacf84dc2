"""`beatstitch audit` on a real render: the causal chain is whole, every task names the config
version it ran under, --verify passes and prints the same sha256 twice, a read model altered
by hand is caught field by field, and `audit config` lists the version with its render."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select, update

from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import RenderClipConfig, RenderConfigUpdated
from projections.db import make_engine
from projections.models import RenderJob
from tests.support.cli import cli_env, run_cli
from tests.support.pipeline import small_render, worker_env
from tests.support.worker import running_worker

JOB = "job-audited"


async def _render_under_config_1(bootstrap: str, prefix: str, tmp_path: Path) -> int:
    prepared = small_render(tmp_path, JOB, bars=4, beats_per_cut=2, videos=2, stills=1)
    env = worker_env(bootstrap, prefix, tmp_path / "artifacts")
    update_1 = RenderConfigUpdated(
        version=1, config=RenderClipConfig(max_parallelism=2, max_retry=1), updated_by="ops"
    )
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send(make_event(update_1, trace_id="cfg-1"))
        async with running_worker(env, cwd=tmp_path) as worker:
            await worker.wait_for(lambda ln: ln.get("config_version") == 1)
            await producer.send(make_event(prepared.request, trace_id="trace-audit"))
            await worker.wait_for(
                lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=300
            )
    return len(prepared.edl.segments)


def _sha(stdout: str) -> str:
    found = re.search(r"history sha256 ([0-9a-f]{64})", stdout)
    assert found, stdout
    return found.group(1)


async def test_audit_verifies_a_render_and_names_a_hand_altered_read_model(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    segments = await _render_under_config_1(kafka_bootstrap, topic_prefix, tmp_path)
    url = f"sqlite:///{tmp_path / 'live.db'}"
    env = cli_env(kafka_bootstrap, topic_prefix, url, COLUMNS="200")
    assert run_cli("projector", "--until-end", env=env).returncode == 0

    first = run_cli("audit", JOB, "--verify", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "verify passed: the records agree with the events" in first.stdout
    assert "read model: equal" in first.stdout and "RenderCompleted: equal" in first.stdout
    again = run_cli("audit", JOB, "--verify", env=env)
    assert _sha(again.stdout) == _sha(first.stdout)

    doc = json.loads(run_cli("audit", JOB, "--json", "--verify", env=env).stdout)
    assert doc["sha256"] == _sha(first.stdout) and doc["verify"]["passed"]
    # Every event but the request names, as its cause, another event of the job in the log.
    ids = {e["event_id"] for e in doc["events"]}
    uncaused = [
        e["type"]
        for e in doc["events"]
        if e["type"] != "RenderRequested" and e["causation_id"] not in ids
    ]
    assert uncaused == []
    assert [n["type"] for n in doc["tree"]] == ["RenderRequested"] and doc["orphans"] == []
    # request → tasks → attempts → what each attempt led to
    tasks = [n for n in doc["tree"][0]["children"] if n["type"] == "ClipTaskQueued"]
    assert len(tasks) == segments
    for task in tasks:
        assert {a["type"] for a in task["children"]} == {"ClipTaskStarted"}
        led_to = [c["type"] for a in task["children"] for c in a["children"]]
        assert led_to[-1] == "ClipTaskSucceeded", task
    # Every task ran under version 1, and the audit shows its values.
    assert len(doc["tasks"]) == segments
    assert {tuple(t["config_versions"]) for t in doc["tasks"]} == {(1,)}
    assert all(a["worker_id"] and a["slot"] in (0, 1) for t in doc["tasks"] for a in t["attempts"])
    assert doc["configs"]["1"]["config"]["max_parallelism"] == 2
    assert doc["configs"]["1"]["updated_by"] == "ops"

    engine = make_engine(url)
    with engine.begin() as conn:
        metrics = conn.execute(select(RenderJob.metrics).where(RenderJob.id == JOB)).scalar_one()
        stats = metrics["render"]["clip_stats"]
        true_success = stats["success_tasks"]
        stats["success_tasks"] = true_success + 5
        conn.execute(update(RenderJob).where(RenderJob.id == JOB).values(metrics=metrics))
    engine.dispose()

    altered = run_cli("audit", JOB, "--verify", env=env)
    assert altered.returncode == 1
    assert (
        f"read model clip_stats.success_tasks is {true_success + 5}; the events give {true_success}"
    ) in altered.stdout
    assert "RenderCompleted: equal" in altered.stdout
    assert "error: verify failed: 1 difference between the records and the events" in (
        altered.stderr
    )
    assert _sha(altered.stdout) == _sha(first.stdout)

    history = json.loads(run_cli("audit", "config", "--json", env=env).stdout)
    by_version = {v["version"]: v for v in history["versions"]}
    assert by_version[1]["renders"] == [JOB] and by_version[1]["updated_by"] == "ops"
    assert {c["field"]: (c["before"], c["after"]) for c in by_version[1]["changes"]} == {
        "max_parallelism": (4, 2),
        "max_retry": (2, 1),
    }
    shown = run_cli("audit", "config", env=env)
    assert "max_parallelism: 4 → 2; max_retry: 2 → 1" in shown.stdout, shown.stdout
