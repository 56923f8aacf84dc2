"""The placeholder list of a render job: folded from clip-task events alone, in words."""

from __future__ import annotations

import random

from domain.clip_stats import JobClipState, fold_clip_events
from domain.placeholders import placeholders
from events.payloads import ClipTaskFellBack
from events.payloads.common import FailureReason, SourceType
from tests.support.clip_events import stamp, task_lifecycle

JOB = "job-1"
R, L, P = SourceType.REMOTE, SourceType.LOCAL, SourceType.PLACEHOLDER


def _events() -> list[object]:
    shown = task_lifecycle(JOB, "t0", index=0, video="asset-a", file_name="beach.mp4")
    broken = task_lifecycle(
        JOB,
        "t2",
        index=2,
        video="asset-b",
        file_name="holiday.mp4",
        fallbacks=((L, P, FailureReason.DECODE_ERROR),),
        outcome=P,
    )
    # The local copy's error travels on the fallback event, naming the stored file; the
    # sentence keeps only the decoder's words.
    broken = [
        p.model_copy(
            update={
                "error": "decode_error: asset-b.mp4: not a readable picture or video "
                "(Invalid data found when processing input)"
            }
        )
        if isinstance(p, ClipTaskFellBack)
        else p
        for p in broken
    ]
    return shown + broken


def test_a_placeholder_segment_says_which_segment_which_file_and_why() -> None:
    state = fold_clip_events(JobClipState(render_job_id=JOB), stamp(_events()))
    # What the user reads on the job and under the CLI's "wrote …" line.
    assert placeholders(state) == [
        {
            "segment_index": 2,
            "start_ms": 2000,
            "end_ms": 3000,
            "media_id": "asset-b",
            "file_name": "holiday.mp4",
            "reason": "decode_error",
            "message": "segment 2 (0:02.000–0:03.000) shows a black placeholder: holiday.mp4 "
            "could not be decoded (Invalid data found when processing input)",
        }
    ]


def test_the_list_is_the_same_in_any_delivery_order_and_with_redeliveries() -> None:
    events = stamp(_events())
    expected = placeholders(fold_clip_events(JobClipState(render_job_id=JOB), events))
    for seed in range(20):
        rng = random.Random(seed)
        # ClipTaskQueued travels on its own topic: it may come after the outcome; the
        # outcome events keep their order; any event may be delivered twice.
        queued = [e for e in events if e.type == "ClipTaskQueued"]
        outcomes = [e for e in events if e.type != "ClipTaskQueued"]
        mixed = list(outcomes)
        for q in queued:
            mixed.insert(rng.randrange(len(mixed) + 1), q)
        mixed += rng.sample(events, 3)
        state = fold_clip_events(JobClipState(render_job_id=JOB), mixed)
        assert placeholders(state) == expected


def test_a_render_without_placeholders_lists_none() -> None:
    state = fold_clip_events(
        JobClipState(render_job_id=JOB), stamp(task_lifecycle(JOB, "t0", file_name="a.mp4"))
    )
    assert placeholders(state) == []
