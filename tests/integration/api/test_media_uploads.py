"""Media uploads through HTTP: sniffed by content, probed with PyAV, thumbnailed; bad files
get a reason and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

from engine.sample_media import write_tone
from tests.support.api_stack import (
    Stack,
    new_user_project,
    second_api,
    stored_files,
)
from tests.support.media_gen import square_picture, write_still, write_video


async def test_a_rotated_video_and_a_photo_are_probed_and_thumbnailed(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "media")
    clip = write_video(
        tmp_path / "clip.mp4", width=320, height=180, fps=24, frames=24, rotation=-90
    )
    # The name says text; the content says PNG, and the content wins.
    photo = write_still(tmp_path / "photo.png", square_picture(400, 300, 100))
    disguised = photo.rename(tmp_path / "notes.txt")
    async with stack.client(token) as client:
        with clip.open("rb") as f:
            video = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        with disguised.open("rb") as f:
            still = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert video.status_code == 201, video.text
        assert still.status_code == 201, still.text
        v, s = video.json(), still.json()
        assert (v["kind"], v["width"], v["height"], v["rotation"]) == ("video", 320, 180, 90)
        assert v["duration_ms"] == 1000 and v["fps"] == 24.0 and v["codec"] == "h264"
        assert (s["kind"], s["content_type"], s["width"], s["height"]) == (
            "image",
            "image/png",
            400,
            300,
        )
        assert [m["id"] for m in (await client.get(f"/api/v1/projects/{pid}/media")).json()] == [
            v["id"],
            s["id"],
        ]
        thumb = await client.get(v["thumbnail_url"])
        assert thumb.status_code == 200
        assert thumb.headers["content-type"] == "image/jpeg"
        assert thumb.content[:3] == b"\xff\xd8\xff"


async def test_corrupt_and_unsupported_files_are_refused_and_leave_nothing_behind(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "media")
    whole = write_video(tmp_path / "whole.mp4", frames=48).read_bytes()
    truncated = whole[: len(whole) // 2]  # the index (moov) is at the end: now missing
    fake_jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64  # a JPEG signature, then noise
    async with stack.client(token) as client:
        cut = await client.post(
            f"/api/v1/projects/{pid}/media", files={"file": ("holiday.mp4", truncated)}
        )
        noise = await client.post(
            f"/api/v1/projects/{pid}/media", files={"file": ("sunset.jpg", fake_jpeg)}
        )
        text = await client.post(
            f"/api/v1/projects/{pid}/media", files={"file": ("clip.mp4", b"just some text\n" * 99)}
        )
        empty = await client.post(f"/api/v1/projects/{pid}/media", files={"file": ("e.png", b"")})
        # What the user sees: 422 with the reason and their own file name, not a temp name.
        assert cut.status_code == 422, cut.text
        assert cut.json()["detail"]["reason"] == "decode_error"
        assert "holiday.mp4" in cut.json()["detail"]["message"]
        assert noise.status_code == 422, noise.text
        assert "sunset.jpg" in noise.json()["detail"]["message"]
        assert text.status_code == 415
        assert "not a supported photo, video or audio file" in text.json()["detail"]["message"]
        assert empty.status_code == 422
        assert (await client.get(f"/api/v1/projects/{pid}/media")).json() == []
    assert stored_files(stack, pid) == []


async def test_audio_sent_as_media_is_pointed_to_the_audio_route(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "media")
    tone = write_tone(tmp_path / "tone.wav", 1.0)
    async with stack.client(token) as client:
        with tone.open("rb") as f:
            answer = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
    assert answer.status_code == 415
    assert f"POST /api/v1/projects/{pid}/audio" in answer.json()["detail"]["message"]
    assert stored_files(stack, pid) == []


async def test_an_upload_over_the_limit_is_refused_and_leaves_nothing_behind(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "media")
    big = write_video(tmp_path / "big.mp4", width=640, height=360, frames=96)
    # Over the limit, but under limit + multipart slack: refused while streaming, not by header.
    assert 30_000 < big.stat().st_size < 30_000 + 64 * 1024
    logs = tmp_path / "logs"
    with second_api(stack, logs, BEATSTITCH_UPLOAD_MAX_BYTES="30000") as small_limit:
        async with small_limit.client(token) as client:
            with big.open("rb") as f:
                answer = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
    # What the user sees: 413, their file's name and the limit.
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"] == {
        "reason": "too_large",
        "message": "big.mp4 is larger than the 29 KiB upload limit.",
    }
    assert stored_files(stack, pid) == []


async def test_media_are_reordered_only_by_a_list_of_each_asset_once(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "order")
    names = ["a.png", "b.png", "c.png"]
    async with stack.client(token) as client:
        ids = []
        for i, name in enumerate(names):
            photo = write_still(tmp_path / name, square_picture(64, 48, 10 * i))
            with photo.open("rb") as f:
                made = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        url = f"/api/v1/projects/{pid}/media/order"
        moved = await client.put(url, json={"asset_ids": [ids[2], ids[0], ids[1]]})
        assert moved.status_code == 200, moved.text
        assert [m["filename"] for m in moved.json()] == ["c.png", "a.png", "b.png"]
        assert [m["position"] for m in moved.json()] == [0, 1, 2]
        listed = (await client.get(f"/api/v1/projects/{pid}/media")).json()
        assert [m["filename"] for m in listed] == ["c.png", "a.png", "b.png"]
        for wrong in ([ids[0], ids[1]], [ids[0], ids[0], ids[1], ids[2]], [*ids, "asset_x"]):
            refused = await client.put(url, json={"asset_ids": wrong})
            assert refused.status_code == 409
            assert refused.json()["detail"].startswith(
                "The order must list each of the project's photos and clips once"
            )
        shaped = await client.put(url, json={"ids": ids})
        assert shaped.status_code == 422
    async with stack.client() as anonymous:
        assert (await anonymous.put(url, json={"asset_ids": ids})).status_code == 401
