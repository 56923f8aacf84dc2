"""Filling the gaps through HTTP with a real worker: a project with three media over eight
cuts, with fill_gaps on, renders a video whose later cuts show generated beat-pulse clips
instead of the same three files again."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from engine.edl import EDL, frame_at, render_window_ms
from engine.generation.filler import filler_clip, filler_spec
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up
from tests.support.media_gen import decode_frames


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


async def test_a_project_with_few_media_renders_generated_fillers_in_its_gaps(
    stack_worker: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack_worker, f"fill-{uuid.uuid4().hex[:8]}@example.com")
    ws = account.workspace_id
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        patched = await client.patch(
            f"/api/v1/projects/{pid}", json={"settings": {"fill_gaps": True}}
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["settings"]["fill_gaps"] is True

        timeline = (await client.post(f"/api/v1/projects/{pid}/timeline")).json()
        edl = EDL.model_validate(timeline["edl"])
        media = len(edl.media)
        fillers = [s for s in edl.segments if s.effects.generated is not None]
        # Each file shows once; every later cut is a filler.
        assert media == 3 and [s.index for s in fillers] == list(range(media, len(edl.segments)))

        accepted = await client.post(f"/api/v1/video/workspaces/{ws}/render/{pid}")
        assert accepted.status_code == 202, accepted.text
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete", events
        job = (await client.get(accepted.json()["status_url"])).json()
        # The fillers were rendered, not replaced by placeholders.
        assert job["clip_stats"]["placeholder_tasks"] == 0, job
        video = await client.get(job["video_urls"][0])
        out = tmp_path / "filled.mp4"
        out.write_bytes(video.content)

    fps = edl.output.fps
    frames = decode_frames(out)

    def middle(index: int) -> np.ndarray:
        seg = edl.segments[index]
        return frames[frame_at((seg.timeline_in_ms + seg.timeline_out_ms) // 2, fps)]

    files = [middle(k) for k in range(media)]
    for seg in fillers:
        # What the user sees mid-cut is the generated pulse drawn for that cut...
        drawn = decode_frames(
            filler_clip(filler_spec(seg, edl.output.width, edl.output.height, fps), tmp_path)
        )
        start, _ = render_window_ms(seg)
        mid = (seg.timeline_in_ms + seg.timeline_out_ms) // 2
        expected = drawn[frame_at(mid, fps) - frame_at(start, fps)]
        shown = middle(seg.index)
        assert _gap(shown, expected) < 8, seg.index
        # ...and none of the project's three files.
        assert min(_gap(shown, f) for f in files) > 3 * _gap(shown, expected) + 10, seg.index
