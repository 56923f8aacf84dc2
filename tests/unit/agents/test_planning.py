"""Planning: a valid request becomes one task per segment; a bad one fails with a reason."""

from __future__ import annotations

from typing import Any

from agents.planning import plan_render, task_id
from events.base import make_event
from tests.support.sample_requests import render_request


def test_one_task_per_segment_keyed_by_its_source_video() -> None:
    req = render_request("job-1", beats_per_cut=2)  # 16 beats → 8 segments
    plan = plan_render(make_event(req, trace_id="t"))
    assert plan.failed is None and plan.started is not None
    segments = req.edl.segments
    assert plan.started.total_tasks == len(segments) == len(plan.tasks) == 8
    for seg, task in zip(segments, plan.tasks, strict=True):
        assert task.task_id == task_id("job-1", seg.index)
        assert task.key() == task.video_id == seg.asset_id
        assert task.source.asset_id == seg.asset_id
        assert task.segment == seg
    assert plan.started.task_ids == [t.task_id for t in plan.tasks]


def test_planning_twice_gives_the_same_tasks() -> None:
    env = make_event(render_request("job-2"), trace_id="t")
    assert plan_render(env).tasks == plan_render(env).tasks


def _with_edl(req: Any, **changes: Any) -> Any:
    # model_copy does not validate: the EDL breaks a rule only the planner checks.
    return req.model_copy(update={"edl": req.edl.model_copy(update=changes)})


def test_an_invalid_edl_fails_the_render_naming_segment_and_field() -> None:
    req = render_request("job-3")
    segments = [
        s.model_copy(update={"asset_id": "nobody-uploaded-this"}) if s.index == 1 else s
        for s in req.edl.segments
    ]
    plan = plan_render(make_event(_with_edl(req, segments=segments), trace_id="t"))
    assert plan.started is None and plan.tasks == []
    assert plan.failed is not None and plan.failed.error_code == "invalid_edl"
    # What the user reads on the failed job:
    assert plan.failed.error.startswith("the render's EDL is invalid:")
    assert "segment 1" in plan.failed.error and "nobody-uploaded-this" in plan.failed.error


def test_an_edl_changed_after_hashing_fails_the_render() -> None:
    req = render_request("job-4")
    plan = plan_render(make_event(req.model_copy(update={"edl_hash": "0" * 64}), trace_id="t"))
    assert plan.failed is not None and plan.failed.error_code == "edl_hash_mismatch"


def test_more_segments_than_the_cap_fail_the_render_with_a_sentence() -> None:
    plan = plan_render(make_event(render_request("job-cap", beats_per_cut=2), trace_id="t"), 7)
    assert plan.started is None and plan.tasks == [] and plan.failed is not None
    assert plan.failed.error_code == "too_many_segments"
    assert "8 segments, more than the 7" in plan.failed.error


def test_a_render_id_too_long_to_name_its_tasks_fails_the_render_with_a_sentence() -> None:
    # Valid on the wire (ids may have 128 characters), but a task id adds "-seg0000": this
    # request once made the planner raise, so its render waited for its deadline.
    long_id = "j" * 121
    plan = plan_render(make_event(render_request(long_id), trace_id="t"))
    assert plan.started is None and plan.tasks == [] and plan.failed is not None
    assert plan.failed.render_job_id == long_id
    assert plan.failed.error_code == "render_job_id_too_long"
    # What the user reads on the failed job:
    assert plan.failed.error == (
        "the render's id is 121 characters long; its clip tasks are named after it, "
        "so it may have at most 120"
    )
    assert plan_render(make_event(render_request("j" * 120), trace_id="t")).failed is None
