"""The whole service on the three-node cluster under faults: a projector and two workers as
real processes, renders produced as the API produces them. Each test ends with the ledger
check (tests/support/ledger.py): every accepted render ended, every clip task has one
outcome, clip_stats equal a recount of the raw events, no event_id twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from events.topics import Topic, physical_name
from local_stack.kafka.cluster import LocalKafkaCluster
from tests.support.cluster_state import describe_partitions, wait_in_sync
from tests.support.fault_stack import FaultStack, fault_stack
from tests.support.ledger import assert_ledger, read_ledger, wait_folded
from tests.support.pipeline import small_render
from tests.support.worker import WorkerProcess, running_worker

# A clip task's end that a stopping worker could cause: a clip that finished as the stop
# came is its own, a failure or a placeholder after it would be the stop's.
STOP_CAUSED = {"render_worker.placeholder_inserted", "render_worker.clip_task_failed"}


async def _check(stack: FaultStack, jobs: set[str], *, one_outcome: bool = True) -> dict[str, str]:
    await stack.until_ended(jobs)
    try:
        await wait_folded(stack.bootstrap, stack.prefix, stack.db_url)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nprojector:\n{stack.projector_log()}") from None
    ledger = await read_ledger(stack.bootstrap, stack.prefix)
    return assert_ledger(ledger, stack.db_url, jobs, one_outcome_in_log=one_outcome)


def _stats(stack: FaultStack, job: str) -> dict[str, int]:
    from tests.support.projecting import clip_stats_of

    return clip_stats_of(stack.db_url, job)


def _failures_after_stop(worker: WorkerProcess) -> list[str]:
    """Failed or placeholder outcomes a worker logged after it was asked to stop."""
    stop_at = next(
        (i for i, ln in enumerate(worker.lines) if ln["event"] == "render_worker.stop_requested"),
        len(worker.lines),
    )
    return [ln["event"] for ln in worker.lines[stop_at:] if ln["event"] in STOP_CAUSED]


# About 60 s: a fencing, a node's restart and catch-up, two workers' start.
@pytest.mark.slow
async def test_a_broker_killed_mid_render_costs_nothing(
    kafka_cluster: LocalKafkaCluster,
    cluster_env: dict[str, str],
    cluster_topic_prefix: str,
    tmp_path: Path,
) -> None:
    """SIGKILL the leader of the job's partition mid-render: the render completes with no
    placeholder, and once the node is back it catches up; nothing is lost or doubled."""
    prepared = small_render(tmp_path, "job-broker", bars=12, beats_per_cut=2)
    async with fault_stack(cluster_env, cluster_topic_prefix, tmp_path) as stack:
        await stack.send(prepared.request, "trace-broker")
        await stack.until_clips_done(3)
        jobs = physical_name(cluster_topic_prefix, Topic.RENDER_JOBS)
        parts = await describe_partitions(stack.bootstrap, [jobs])
        victim = parts[TopicPartition(jobs, 0)].leader
        kafka_cluster.kill(victim)
        await stack.until_ended({"job-broker"})
        await asyncio.to_thread(kafka_cluster.start_node, victim)
        await wait_in_sync(stack.bootstrap, [jobs])
        statuses = await _check(stack, {"job-broker"})
    assert statuses == {"job-broker": "complete"}
    assert _stats(stack, "job-broker")["placeholder_tasks"] == 0


# About 150 s quiet (two renders, three worker starts, two graceful stops); more when busy.
@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_a_rolling_restart_mid_render_loses_nothing_and_inserts_no_placeholder(
    cluster_env: dict[str, str], cluster_topic_prefix: str, tmp_path: Path
) -> None:
    """w1 stops with SIGTERM mid-render while w2 runs; w3 takes its place; then w2 stops with
    SIGINT (Ctrl-C) while w3 runs. Both renders complete with zero placeholders and no
    stopping worker reports a failed task after it was asked to stop."""
    first = small_render(tmp_path / "a", "job-roll-a", bars=12, beats_per_cut=2)
    second = small_render(tmp_path / "b", "job-roll-b", bars=12, beats_per_cut=2)
    async with fault_stack(cluster_env, cluster_topic_prefix, tmp_path) as stack:
        w1, w2 = stack.workers["w1"], stack.workers["w2"]
        await stack.send(first.request, "trace-roll-a")
        await stack.until_clips_done(2)
        w1.proc.send_signal(signal.SIGTERM)
        assert await w1.proc.wait() == 0, w1.output()
        env = {**stack.env, "BEATSTITCH_WORKER_ID": "w3"}
        async with running_worker(env, cwd=tmp_path) as w3:
            stack.workers["w3"] = w3  # its log is saved with the others
            await w3.wait_for(lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120)
            await stack.send(second.request, "trace-roll-b")
            done = stack.clips_done()
            await stack.until_clips_done(done + 2)
            w2.proc.send_signal(signal.SIGINT)
            assert await w2.proc.wait() in (0, 130), w2.output()
            # A task running when its partition moved to another worker runs there again
            # (at-least-once); the ledger still requires every fold to count it once.
            statuses = await _check(stack, {"job-roll-a", "job-roll-b"}, one_outcome=False)
    assert statuses == {"job-roll-a": "complete", "job-roll-b": "complete"}
    for job in statuses:
        assert _stats(stack, job)["placeholder_tasks"] == 0
    assert _failures_after_stop(w1) == [] and _failures_after_stop(w2) == []


# aiokafka's request_timeout_ms (40 s), past the outbox's own deadline (30 s): every send
# in flight at the kill fails before the cluster is back.
PRODUCER_TIMEOUT_S = 40


# About 150 s quiet: the outage itself is longer than the producer timeout.
@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_every_broker_down_longer_than_the_producer_timeout_mid_render(
    kafka_cluster: LocalKafkaCluster,
    cluster_env: dict[str, str],
    cluster_topic_prefix: str,
    tmp_path: Path,
) -> None:
    """All three nodes SIGKILLed mid-render and kept down past the producers' timeout: sends
    fail meanwhile, nothing is acknowledged without its outcome, and once the cluster is
    back the render ends and every task has an outcome, counted once."""
    prepared = small_render(tmp_path, "job-outage", bars=12, beats_per_cut=2)
    async with fault_stack(cluster_env, cluster_topic_prefix, tmp_path) as stack:
        await stack.send(prepared.request, "trace-outage")
        await stack.until_clips_done(3)
        for node in (1, 2, 3):
            kafka_cluster.kill(node)
        # The fault is an outage of this length: a pacing sleep, not a wait for a state.
        await asyncio.sleep(PRODUCER_TIMEOUT_S + 5)
        await asyncio.to_thread(kafka_cluster.start)
        statuses = await _check(stack, {"job-outage"}, one_outcome=False)
        for name, worker in stack.workers.items():
            assert worker.proc.returncode is None, f"{name} died in the outage:\n{worker.output()}"
    assert statuses["job-outage"] in ("complete", "failed")
    if statuses["job-outage"] == "complete":
        assert _stats(stack, "job-outage")["placeholder_tasks"] == 0
