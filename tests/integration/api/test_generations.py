"""Generated clips through HTTP with a real worker and projector: ask (202), follow (SSE),
read the record, use the clip in a render, delete it; and what a user sees when a request is
refused."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from engine.probe import probe
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up

CARD = {
    "prompt": "Summer at the lake",
    "width": 320,
    "height": 180,
    "fps": 12,
    "duration_s": 2.0,
    "seed": 5,
}


async def generate(client: httpx.AsyncClient, pid: str, **body: Any) -> dict[str, Any]:
    """Ask for a generation, follow its events to the end, return (record, events)."""
    accepted = await client.post(f"/api/v1/projects/{pid}/generations", json={**CARD, **body})
    assert accepted.status_code == 202, accepted.text
    first = await client.get(accepted.json()["status_url"])
    # Read your writes: the record exists the moment the 202 arrives.
    assert first.status_code == 200 and first.json()["status"] in ("pending", "processing")
    events = await progress_stream(client, accepted.json()["events_url"])
    record = (await client.get(accepted.json()["status_url"])).json()
    return {"record": record, "events": events}


async def test_a_generated_clip_joins_the_media_and_a_render(
    stack_worker: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack_worker, f"gen-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        done = await generate(client, pid)
        g, events = done["record"], done["events"]
        assert events[-1]["status"] == "completed" and events[-1]["progress"] == 1.0
        assert [e["progress"] for e in events] == sorted(e["progress"] for e in events)
        assert set(events[0]) == {"status", "progress", "message", "timestamp"}

        assert g["status"] == "completed" and g["error_msg"] is None
        assert (g["provider"], g["kind"], g["prompt"], g["seed"]) == (
            "local",
            "title_card",
            "Summer at the lake",
            5,
        )
        assert (g["resolution"], g["aspect_ratio"], g["fps"], g["duration"]) == (
            "320x180",
            "16:9",
            12,
            2.0,
        )
        assert abs(g["duration_ms"] - 2000) <= 100 and g["task_id"].startswith("local-")
        assert g["asset_id"] == g["id"] and g["created_at"] <= g["completed_at"]
        clip = await client.get(g["video_url"])
        assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
        saved = tmp_path / "generated.mp4"
        saved.write_bytes(clip.content)
        info = probe(saved)
        assert (info.kind, info.width, info.height, info.fps) == ("video", 320, 180, 12)
        assert (await client.get(g["first_frame_url"])).status_code == 200

        media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
        generated = [m for m in media if m["origin"] == "generated"]
        assert [m["id"] for m in generated] == [g["id"]] and len(media) == 4
        assert generated[0]["generation_id"] == g["id"] and generated[0]["kind"] == "video"

        # The same request again (same seed): the very same bytes, as another clip.
        twin = (await generate(client, pid))["record"]
        assert twin["id"] != g["id"]
        assert (await client.get(twin["video_url"])).content == clip.content

        # A beat pulse for a segment: its beats come from the song under that segment.
        timeline = (await client.post(f"/api/v1/projects/{pid}/timeline")).json()
        uses = [s["asset_id"] for s in timeline["edl"]["segments"]]
        assert g["id"] in uses, "the regenerated timeline lays the generated clip too"
        pulse = await generate(client, pid, kind="beat_pulse", segment_index=2, style="neon")
        assert pulse["record"]["status"] == "completed" and pulse["record"]["segment_index"] == 2

        ws = account.workspace_id
        accepted = await client.post(f"/api/v1/video/workspaces/{ws}/render/{pid}", json={})
        assert accepted.status_code == 202, accepted.text
        render = await progress_stream(client, accepted.json()["events_url"])
        assert render[-1]["status"] == "complete", render
        job = (await client.get(accepted.json()["status_url"])).json()
        assert job["placeholders"] == [] and job["clip_stats"]["total_clips"] == len(uses)

        listed = (await client.get(f"/api/v1/projects/{pid}/generations")).json()
        assert {x["id"] for x in listed} == {g["id"], twin["id"], pulse["record"]["id"]}
        gone = await client.delete(f"/api/v1/projects/{pid}/generations/{twin['id']}")
        assert gone.status_code == 204
        assert (
            await client.get(f"/api/v1/projects/{pid}/generations/{twin['id']}")
        ).status_code == 404
        media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
        assert twin["id"] not in {m["id"] for m in media}
        listed = (await client.get(f"/api/v1/projects/{pid}/generations")).json()
        assert twin["id"] not in {x["id"] for x in listed}

    stranger = await sign_up(stack_worker, f"other-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(stranger.token) as client:
        peek = await client.get(f"/api/v1/projects/{pid}/generations/{g['id']}")
        assert peek.status_code == 404


async def test_a_refused_request_says_why(stack: Stack) -> None:
    account = await sign_up(stack, f"gen422-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        pid = (await client.post("/api/v1/projects", json={"name": "g"})).json()["id"]
        url = f"/api/v1/projects/{pid}/generations"

        async def refused(body: dict[str, Any]) -> tuple[list[str], str]:
            answer = await client.post(url, json={**CARD, **body})
            assert answer.status_code == 422, answer.text
            (problem,) = answer.json()["detail"]
            return problem["loc"], problem["msg"]

        loc, msg = await refused({"provider": "nobody"})
        assert loc == ["body", "provider"] and "unknown provider 'nobody'" in msg and "local" in msg
        loc, _ = await refused({"duration_s": 30})
        assert loc == ["body", "duration_s"]
        loc, msg = await refused({"kind": "image_move"})
        assert loc == ["body", "image_asset_id"] and "needs a photo of the project" in msg
        loc, _ = await refused({"prompt": ""})
        assert loc == ["body", "prompt"]
        # Valid requests the service cannot do as things stand: 409 or 404, with a sentence.
        unset = await client.post(url, json={**CARD, "provider": "runway"})
        assert unset.status_code == 409
        assert "The runway provider is not set up on this service" in unset.json()["detail"]
        stranger = await client.post(url, json={**CARD, "image_asset_id": "asset-nobody"})
        assert stranger.status_code == 404
        assert stranger.json()["detail"] == f"photo asset-nobody of project {pid} not found"
        none = await client.post(url, json={**CARD, "segment_index": 0})
        assert none.status_code == 409 and "has no timeline yet" in none.json()["detail"]
        assert (await client.get(url)).json() == []
