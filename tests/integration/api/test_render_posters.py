"""A project's newest render on its card: its status, and once complete a poster (a JPEG of
the video) made on the first request and kept beside the video; the render's clip tasks as
timeline blocks."""

from __future__ import annotations

import uuid
from pathlib import Path

from engine.probe import probe
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up


async def test_a_complete_render_shows_on_its_project_with_a_poster(
    stack_worker: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack_worker, f"poster-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        before = (await client.get(f"/api/v1/projects/{pid}")).json()
        assert before["latest_render"] is None
        assert (await client.post(f"/api/v1/projects/{pid}/timeline")).status_code in (200, 201)
        ws = account.workspace_id
        accepted = await client.post(f"/api/v1/video/workspaces/{ws}/render/{pid}", json={})
        assert accepted.status_code == 202, accepted.text
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete", events

        card = next(p for p in (await client.get("/api/v1/projects")).json() if p["id"] == pid)
        newest = card["latest_render"]
        assert (newest["job_id"], newest["status"], newest["progress"]) == (
            accepted.json()["job_id"],
            "complete",
            100.0,
        )
        assert newest["status_url"] == accepted.json()["status_url"]
        assert newest["poster_url"] == f"{newest['status_url']}/poster"

        first = await client.get(newest["poster_url"])
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "image/jpeg"
        saved = tmp_path / "poster.jpg"
        saved.write_bytes(first.content)
        picture = probe(saved)
        assert (picture.kind, picture.width, picture.height) == ("image", 320, 180)
        # Made once: the second answer is the kept file, byte for byte.
        assert (await client.get(newest["poster_url"])).content == first.content

        # The timeline's blocks: one per segment, in order, each done by a worker.
        clips = (await client.get(f"{newest['status_url']}/clips")).json()
        job = (await client.get(newest["status_url"])).json()
        assert [c["segment_index"] for c in clips] == list(range(job["clip_stats"]["total_tasks"]))
        assert {c["state"] for c in clips} == {"done"}
        assert all(c["worker_id"] and c["attempts"] == 1 for c in clips)
        assert all(c["queued_at"] <= c["started_at"] <= c["finished_at"] for c in clips)
        assert clips[0]["timeline_in_ms"] == 0
        assert all(a["timeline_out_ms"] > a["timeline_in_ms"] for a in clips)

    stranger = await sign_up(stack_worker, f"other-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(stranger.token) as other:
        peek = await other.get(newest["poster_url"].replace(ws, stranger.workspace_id))
        assert peek.status_code == 404
        clips_peek = await other.get(
            f"{newest['status_url']}/clips".replace(ws, stranger.workspace_id)
        )
        assert clips_peek.status_code == 404
