"""The audit's pure parts: the causal tree, task views, the history's sha256, clip_stats
recomputed and compared, and the config's history with its diffs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from events.base import Envelope
from events.codec import encode
from events.payloads import ClipTaskQueued, ClipTaskStarted, RenderRequested
from events.topics import Topic
from projections.audit import AuditLine, audit_line
from projections.audit_tree import causal_tree, task_views, uncaused
from projections.audit_verify import COMPLETED, READ_MODEL, history_sha256, verify
from projections.config_history import ConfigVersion, config_diff, config_history
from tests.support.clip_events import render_payloads, stamp

JOB = "job-a"


def caused(envs: list[Envelope[Any]]) -> list[Envelope[Any]]:
    """Causes as the services set them: the request causes the plan and the outcome, each
    ClipTaskQueued its task's attempts, each attempt what follows it."""
    request = next(e for e in envs if isinstance(e.payload, RenderRequested))
    queued: dict[str, str] = {}
    latest: dict[str, str] = {}  # task → its queued event, then its latest attempt
    out = []
    for e in envs:
        task = getattr(e.payload, "task_id", None)
        if e is request:
            cause = None
        elif isinstance(e.payload, ClipTaskQueued):
            cause = request.event_id
            queued[task] = latest[task] = e.event_id
        elif isinstance(e.payload, ClipTaskStarted):
            cause = queued[task]
            latest[task] = e.event_id
        elif task is not None:
            cause = latest[task]
        else:
            cause = request.event_id
        out.append(e.model_copy(update={"causation_id": cause}))
    return out


def lines_of(envs: list[Envelope[Any]]) -> list[AuditLine]:
    found = []
    for offset, env in enumerate(envs):
        topic = f"bs.{env.payload.topic.value}"
        found.append(audit_line(topic, 0, offset, env, encode(env)))
    return found


def job_lines(tasks: int = 4) -> list[AuditLine]:
    return lines_of(caused(stamp(render_payloads(JOB, tasks=tasks))))


def test_the_tree_hangs_tasks_and_their_attempts_under_the_request() -> None:
    tree = causal_tree(job_lines(4))
    assert [n.line.type for n in tree.roots] == ["RenderRequested"]
    under_request = [c.line.type for c in tree.roots[0].children]
    assert under_request.count("ClipTaskQueued") == 4
    assert under_request[0] == "RenderStarted" and under_request[-1] == "RenderCompleted"
    placeholder_task = next(
        c for c in tree.roots[0].children if c.line.fields.get("segment_index") == 2
    )
    attempts = placeholder_task.children
    assert [c.line.type for c in attempts] == ["ClipTaskStarted", "ClipTaskStarted"]
    assert [[c.line.type for c in a.children] for a in attempts] == [
        ["ClipTaskRetrying"],
        ["ClipTaskFellBack", "ClipTaskFellBack", "ClipTaskSucceeded"],
    ]
    assert tree.orphans == [] and tree.copies == 0


def test_an_event_without_a_known_cause_is_named() -> None:
    lines = job_lines(2)
    broken = [ln if ln.type != "RenderStarted" else _recaused(ln, None) for ln in lines]
    assert [ln.type for ln in uncaused(broken)] == ["RenderStarted"]
    elsewhere = [ln if ln.type != "RenderCompleted" else _recaused(ln, "e" * 36) for ln in lines]
    tree = causal_tree(elsewhere)
    assert [n.line.type for n in tree.orphans] == ["RenderCompleted"]
    assert uncaused(lines) == []


def _recaused(line: AuditLine, cause: str | None) -> AuditLine:
    assert line.envelope is not None
    return lines_of([line.envelope.model_copy(update={"causation_id": cause})])[0]


def test_task_views_carry_config_worker_slot_and_timings() -> None:
    views = task_views(job_lines(4))
    assert [v.segment_index for v in views] == [0, 1, 2, 3]
    third = views[2]
    assert third.outcome == "succeeded" and third.source_type == "placeholder"
    assert [(a.attempt, a.worker_id, a.slot, a.config_version) for a in third.attempts] == [
        (0, "w", 0, 0),
        (1, "w", 0, 0),
    ]
    assert third.config_versions == [0]
    assert third.fallbacks == ["remote → local: timeout", "local → placeholder: not_found"]
    assert third.retries == ["attempt 0 remote: timeout"]
    assert third.duration_ms == 300 and third.wait_ms is not None and third.wait_ms > 0


def test_the_history_sha256_is_the_same_in_any_read_order_and_changes_with_any_event() -> None:
    lines = job_lines(4)
    digest = history_sha256(lines)
    assert history_sha256(list(reversed(lines))) == digest
    assert len(digest) == 64
    # A producer's key order is not part of the history; a value is.
    reordered = json.dumps(dict(reversed(json.loads(lines[0].canonical).items()))).encode()
    same = [audit_line("t", 0, 0, lines[0].envelope, reordered), *lines[1:]]  # type: ignore[arg-type]
    assert history_sha256(same) == digest
    assert history_sha256(lines[1:]) != digest


def test_verify_passes_when_the_read_model_agrees_and_names_each_difference() -> None:
    lines = job_lines(4)
    good = verify(JOB, lines, read_model=None)
    stats = good.recomputed
    assert stats["total_tasks"] == 4 and stats["placeholder_tasks"] == 1
    assert stats["peak_parallelism"] == 2 and stats["fallback_reason_counts"] == {
        "cdn_error": 1,
        "not_found": 1,
        "timeout": 1,
    }
    agreed = verify(JOB, lines, read_model=dict(stats))
    assert not [d for d in agreed.differences if d.record == READ_MODEL]

    altered = verify(JOB, lines, read_model={**stats, "success_tasks": 99})
    mine = [str(d) for d in altered.differences if d.record == READ_MODEL]
    assert mine == ["read model clip_stats.success_tasks is 99; the events give 3"]
    assert not altered.passed


def test_verify_compares_render_completed_and_notes_a_missing_read_model_row() -> None:
    # The test RenderCompleted says avg 0 ms and no fallbacks: both are named.
    found = verify(JOB, job_lines(4), read_model=None)
    fields = {d.field for d in found.differences if d.record == COMPLETED}
    assert {"avg_task_duration_ms", "fallback_reason_counts"} <= fields
    assert str(found.differences[0]) == (
        "the read model holds no clip_stats of this job; the events give 4 finished clip tasks"
    )


def _version(n: int, by: str, **config: int) -> ConfigVersion:
    values = {"max_parallelism": 4, "per_video_limit": 2, "max_retry": 2} | config
    return ConfigVersion(n, values, by, datetime(2026, 1, 1, n, tzinfo=UTC))


def test_config_history_diffs_each_version_and_lists_its_renders() -> None:
    history = config_history(
        [_version(2, "bob", max_parallelism=1, max_retry=5), _version(1, "ann")],
        {0: ["job-0"], 2: ["job-b", "job-a", "job-b"]},
    )
    assert [e.version.version for e in history] == [0, 1, 2]
    assert history[0].version.updated_by == "embedded defaults" and history[0].renders == ["job-0"]
    assert [str(c) for c in history[2].changes] == ["max_parallelism: 4 → 1", "max_retry: 2 → 5"]
    assert history[2].renders == ["job-a", "job-b"]
    # Version 1 drops the fields version 0 had beyond these three: each shows as unset.
    assert "retry_backoff_base_ms: 500 → (unset)" in [str(c) for c in history[1].changes]


def test_config_diff_of_equal_configs_is_empty() -> None:
    assert config_diff({"a": 1}, {"a": 1}) == []
    assert [str(c) for c in config_diff({}, {"a": 1})] == ["a: (unset) → 1"]


def test_audit_lines_keep_the_topic_the_event_came_from() -> None:
    line = job_lines(1)[0]
    assert line.topic == f"bs.{Topic.RENDER_JOBS.value}" and line.causation_id is None
