"""A render through HTTP, from uploads to a downloadable MP4, with a real worker and projector:
beat analysis, timeline generation and edit validation, 202 + read-your-writes, SSE progress
in order, clip_stats, Range download, cancellation."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

from engine.probe import probe
from events.topics import Topic
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up
from tests.support.pipeline import read_until


async def test_upload_analyse_edit_render_follow_and_download(
    stack_worker: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack_worker, f"render-{uuid.uuid4().hex[:8]}@example.com")
    ws = account.workspace_id
    async with stack_worker.client(account.token) as client:
        pid, audio = await ready_project(client, tmp_path)
        assert abs(audio["bpm"] - 120.0) < 1.0 and audio["beat_count"] == 16
        grid = (await client.get(f"/api/v1/projects/{pid}/audio/beats")).json()
        assert len(grid["beats"]) == 16 and any(b["is_downbeat"] for b in grid["beats"])
        assert (await client.get(f"/api/v1/projects/{pid}")).json()["status"] == "ready"

        timeline = (await client.post(f"/api/v1/projects/{pid}/timeline")).json()
        edl = timeline["edl"]
        segments = timeline["segment_count"]
        assert segments == 8 and timeline["origin"] == "generated"

        # Edits that break the rules get 422 naming the segment and the field.
        overlapping = copy.deepcopy(edl)
        overlapping["segments"][3]["timeline_in_ms"] -= 300
        bad = await client.put(f"/api/v1/projects/{pid}/timeline", json=overlapping)
        assert bad.status_code == 422
        assert any(p["segment_index"] == 3 for p in bad.json()["detail"]), bad.text
        unknown = copy.deepcopy(edl)
        unknown["segments"][5]["asset_id"] = "asset-nobody"
        bad = await client.put(f"/api/v1/projects/{pid}/timeline", json=unknown)
        assert bad.status_code == 422
        problem = next(p for p in bad.json()["detail"] if p["segment_index"] == 5)
        assert problem["field"] == "asset_id" and "asset-nobody" in problem["message"]
        unordered = copy.deepcopy(edl)
        unordered["segments"][1], unordered["segments"][2] = (
            unordered["segments"][2],
            unordered["segments"][1],
        )
        assert (
            await client.put(f"/api/v1/projects/{pid}/timeline", json=unordered)
        ).status_code == 422
        kept = await client.put(f"/api/v1/projects/{pid}/timeline", json=edl)
        assert kept.status_code == 200 and kept.json()["origin"] == "edited"

        accepted = await client.post(
            f"/api/v1/video/workspaces/{ws}/render/{pid}", json={"kind": "final"}
        )
        assert accepted.status_code == 202, accepted.text
        body = accepted.json()
        job_id = body["job_id"]
        assert body["status"] == "queued" and body["task_id"]
        # Read your writes: the job exists the moment the 202 arrives.
        first = await client.get(body["status_url"])
        assert first.status_code == 200 and first.json()["status"] in ("queued", "running")

        events = await progress_stream(client, body["events_url"])
        assert events[-1]["status"] == "complete" and events[-1]["progress"] == 100.0
        progress = [e["progress"] for e in events]
        assert progress == sorted(progress), events
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps), events
        assert set(events[0]) == {"status", "progress", "message", "timestamp"}
        assert any(e["status"] in ("running", "assembling") for e in events), events

        job = (await client.get(body["status_url"])).json()
        assert job["status"] == "complete" and job["error_message"] is None
        # The request's trace id travels with the render's events into the read model.
        assert job["trace_id"] == accepted.headers["x-trace-id"]
        stats = job["clip_stats"]
        assert stats["total_clips"] == segments == stats["total_tasks"]
        assert stats["success_tasks"] + stats["failed_tasks"] == stats["total_tasks"]
        [url] = job["video_urls"]
        # The job says what made it: the one worker rendered every clip and joined them,
        # with the engine versions it runs; its settings snapshot; its download URL.
        made = job["provenance"]
        assert made["assembling_worker"] and made["clip_workers"] == [made["assembling_worker"]]
        assert set(made["engine_version"]) == {"beatstitch", "pyav", "ffmpeg", "libavcodec"}
        assert made["render_settings"]["kind"] == "final" and made["render_settings"]["fps"]
        assert made["output_urls"] == [url]

        video = await client.get(url)
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        out = tmp_path / "out.mp4"
        out.write_bytes(video.content)
        assert abs((probe(out).duration_ms or 0) - audio["duration_ms"]) <= 1000 / 12
        part = await client.get(url, headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and len(part.content) == 100
        assert part.headers["content-range"] == f"bytes 0-99/{len(video.content)}"
        assert part.content == video.content[:100]

        again = await client.post(f"{body['status_url']}/cancel")
        assert again.status_code == 409 and "already complete" in again.json()["detail"]
        listed = (
            await client.get(
                f"/api/v1/video/workspaces/{ws}/render/jobs", params={"project_id": pid}
            )
        ).json()
        assert [j["job_id"] for j in listed] == [job_id]
        assert (await client.get(f"/api/v1/projects/{pid}")).json()["status"] == "complete"

    other = await sign_up(stack_worker, f"other-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(other.token) as client:
        # Another user's workspace and job: 404, even with the right ids.
        assert (await client.get(body["status_url"])).status_code == 404
        theirs = f"/api/v1/video/workspaces/{other.workspace_id}/render/jobs/{job_id}"
        assert (await client.get(theirs)).status_code == 404


async def test_a_cancelled_render_ends_cancelled(stack_worker: Stack, tmp_path: Path) -> None:
    account = await sign_up(stack_worker, f"cancel-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path, bars=16)
        accepted = (
            await client.post(f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}")
        ).json()
        cancelled = await client.post(f"{accepted['status_url']}/cancel")
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        events = await progress_stream(client, accepted["events_url"])
        assert events[-1]["status"] == "cancelled"
        job = (await client.get(accepted["status_url"])).json()
        assert job["status"] == "cancelled" and job["video_urls"] == []
        download = await client.get(f"{accepted['status_url']}/download")
        assert download.status_code == 409 and "cancelled" in download.json()["detail"]
    # The cancellation names the request it cancels as its cause, as every job event does.
    lifecycle = await read_until(
        stack_worker.env["BEATSTITCH_KAFKA_BOOTSTRAP"],
        stack_worker.env["BEATSTITCH_TOPIC_PREFIX"],
        Topic.RENDER_JOBS,
        lambda seen: any(
            e.type == "RenderCancelled" and e.correlation_id == job["job_id"] for e in seen
        ),
    )
    mine = {e.type: e for e in lifecycle if e.correlation_id == job["job_id"]}
    assert mine["RenderCancelled"].causation_id == mine["RenderRequested"].event_id
