"""A render that had to show the black placeholder says so: the job lists each such segment
(its index, time range, file name and reason) and the CLI ends with one sentence per segment.
A clip cut short is no reason for one: it is accepted with the part that decodes."""

from __future__ import annotations

import uuid
from pathlib import Path

from cli.api_render import RenderOutcome, console, print_outcome
from storage.filesystem import SIDECAR_SUFFIX
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up
from tests.support.media_gen import write_video


async def test_a_file_damaged_after_upload_is_named_in_the_job_and_by_the_cli(
    stack_worker: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack_worker, f"ph-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
        video = next(m for m in media if m["kind"] == "video")
        # The stored copy goes bad after the upload (a disk error, a half-restored backup).
        stored = next(
            p
            for p in (stack_worker.root / "media" / "projects" / pid).rglob(f"{video['id']}.*")
            if not p.name.endswith(SIDECAR_SUFFIX)  # the folder store's checksum record
        )
        stored.write_bytes(b"\x00" * stored.stat().st_size)
        timeline = (await client.post(f"/api/v1/projects/{pid}/timeline")).json()
        shown = [s for s in timeline["edl"]["segments"] if s["asset_id"] == video["id"]]
        assert shown, timeline
        accepted = await client.post(
            f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}", json={"kind": "final"}
        )
        assert accepted.status_code == 202, accepted.text
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete", events
        job = (await client.get(accepted.json()["status_url"])).json()

    assert job["clip_stats"]["placeholder_tasks"] == len(shown)
    assert [p["segment_index"] for p in job["placeholders"]] == [s["index"] for s in shown]
    for placeholder, segment in zip(job["placeholders"], shown, strict=True):
        assert placeholder["start_ms"] == segment["timeline_in_ms"]
        assert placeholder["end_ms"] == segment["timeline_out_ms"]
        assert placeholder["media_id"] == video["id"]
        assert placeholder["file_name"] == video["filename"]
        assert placeholder["reason"] == "decode_error"
        assert placeholder["message"].startswith(f"segment {segment['index']} (0:0"), placeholder[
            "message"
        ]
        assert (
            f"black placeholder: {video['filename']} could not be decoded"
            in (placeholder["message"])
        )

    # What the user reads at the end of `beatstitch render`, under the "wrote …" line.
    outcome = RenderOutcome(
        job["job_id"],
        tmp_path / "out.mp4",
        job["duration_ms"],
        job["clip_stats"],
        1.0,
        job["placeholders"],
    )
    with console.capture() as captured:
        print_outcome(outcome)
    text = captured.get()
    count = len(shown)
    noun = "1 segment shows" if count == 1 else f"{count} segments show"
    assert f"warning: {noun} a black placeholder instead of its file:" in text
    for placeholder in job["placeholders"]:
        assert f"  {placeholder['message']}\n" in text


async def test_a_clip_cut_short_is_accepted_with_its_readable_part_and_renders_whole(
    stack_worker: Stack, tmp_path: Path
) -> None:
    whole = write_video(
        tmp_path / "whole.mp4", width=320, height=180, fps=24, frames=240, gop=24, faststart=True
    )
    data = whole.read_bytes()
    account = await sign_up(stack_worker, f"cut-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        uploaded = await client.post(
            f"/api/v1/projects/{pid}/media",
            files={"file": ("holiday.mp4", data[: len(data) * 6 // 10])},
        )
        # What the user sees: the clip is accepted with the seconds that can be shown.
        assert uploaded.status_code == 201, uploaded.text
        clip = uploaded.json()
        assert 4000 < clip["duration_ms"] < 7000, clip
        timeline = (await client.post(f"/api/v1/projects/{pid}/timeline")).json()
        used = [s for s in timeline["edl"]["segments"] if s["asset_id"] == clip["id"]]
        assert used and all(s["source_out_ms"] <= clip["duration_ms"] for s in used), used
        accepted = await client.post(
            f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}", json={"kind": "final"}
        )
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete", events
        job = (await client.get(accepted.json()["status_url"])).json()
    # The readable part renders: no segment of the render shows the placeholder.
    assert job["placeholders"] == [] and job["clip_stats"]["placeholder_tasks"] == 0, job
