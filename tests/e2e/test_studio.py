"""The studio in a real browser against the real stack (API, projector, worker on Kafka):
sign up, create a project, upload the song and media, see them; the song's waveform with its
beats, played and seeked; refusals next to the file; a phone screen; the keyboard; no request
to any other host."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from engine.sample_media import write_clip, write_song, write_still
from tests.e2e.conftest import DESKTOP, open_page, run_async
from tests.e2e.studio_pages import (
    PASSWORD,
    create_project,
    drop_files,
    horizontal_overflow,
    js_fixed,
    js_round,
    new_email,
    sign_up_in_browser,
    tiles,
    unnamed_controls,
)
from tests.support.api_stack import Stack, second_api, sign_up


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's kind of files, small: a song, two clips, two photos, a cut clip, text."""
    folder = tmp_path_factory.mktemp("studio-media")
    clip = write_clip(folder / "clip_1.mp4", 320, 180, 24, 1.0, 0)
    whole = clip.read_bytes()
    cut = folder / "holiday.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # the index (moov) is at the end: now missing
    text = folder / "notes.mp4"
    text.write_bytes(b"just some text\n" * 99)
    return {
        "song": write_song(folder, bars=2),
        "clip_1": clip,
        "clip_2": write_clip(folder / "clip_2.mp4", 320, 180, 24, 1.0, 1),
        "photo_1": write_still(folder / "photo_1.jpg", 400, 300, 2),
        "photo_2": write_still(folder / "photo_2.jpg", 400, 300, 3),
        "cut": cut,
        "text": text,
    }


def test_sign_up_create_a_project_upload_and_see_the_grid(
    page: Page, media: dict[str, Path], tmp_path: Path
) -> None:
    email = new_email()
    page.goto("/")
    # A wrong password shows the API's sentence in the form.
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("E-mail or password is wrong.")
    page.screenshot(path=tmp_path / "sign-in-refused.png")
    assert unnamed_controls(page) == []
    sign_up_in_browser(page, email)
    create_project(page, "Summer trip")
    assert "/projects/proj" in page.url
    files = [media[k] for k in ("song", "clip_1", "photo_1", "clip_2", "photo_2")]
    page.locator("#file-input").set_input_files(files)
    rows = page.get_by_test_id("upload-row")
    expect(rows.filter(has_text="Uploaded")).to_have_count(5, timeout=60_000)
    expect(page.get_by_test_id("song")).to_contain_text("sample_song.wav")
    assert tiles(page) == ["clip_1.mp4", "photo_1.jpg", "clip_2.mp4", "photo_2.jpg"]
    thumbs = page.get_by_test_id("media-tile").locator("img.thumb")
    expect(thumbs).to_have_count(4)
    for i in range(4):
        expect(thumbs.nth(i)).to_have_js_property("complete", True)
        assert thumbs.nth(i).evaluate("img => img.naturalWidth") > 0
    expect(page.get_by_test_id("media-tile").first).to_contain_text("0:01.0")
    expect(page.get_by_test_id("media-tile").nth(1)).to_contain_text("400×300")
    page.screenshot(path=tmp_path / "project-grid.png", full_page=True)
    assert unnamed_controls(page) == []
    # Reorder (the arrow buttons do what dragging does) and remove; a reload shows the API's.
    page.get_by_role("button", name="Move clip_1.mp4 later").click()
    expect(page.get_by_test_id("media-tile").first).to_contain_text("photo_1.jpg")
    page.get_by_role("button", name="Remove photo_2.jpg").click()
    expect(page.get_by_test_id("media-tile")).to_have_count(3)
    page.reload()
    expect(page.get_by_test_id("media-tile")).to_have_count(3)
    assert tiles(page) == ["photo_1.jpg", "clip_1.mp4", "clip_2.mp4"]
    page.get_by_test_id("media-tile").nth(2).drag_to(page.get_by_test_id("media-tile").first)
    expect(page.get_by_test_id("media-tile").first).to_contain_text("clip_2.mp4")
    page.reload()
    expect(page.get_by_test_id("media-tile").first).to_contain_text("clip_2.mp4")
    # The worker finds the beats; the page looks again until it has (draft → analyzing → ready).
    song = page.get_by_test_id("song")
    expect(song).to_contain_text(re.compile(r"· 120\.\d BPM · \d+ beats"), timeout=60_000)
    expect(page.locator("#project-title .status")).to_have_text("ready")
    page.screenshot(path=tmp_path / "project-reordered.png", full_page=True)
    page.get_by_role("link", name="BeatStitch Studio").click()
    card = page.locator(".project", has_text="Summer trip")
    expect(card).to_contain_text("3 files · song")
    expect(card.locator(".status")).to_have_text("ready")
    page.screenshot(path=tmp_path / "projects.png")
    assert unnamed_controls(page) == []


def test_the_song_s_waveform_shows_every_beat_and_plays(
    page: Page, stack_worker: Stack, media: dict[str, Path], tmp_path: Path
) -> None:
    sign_up_in_browser(page, new_email())
    create_project(page, "Waveform")
    project_id = page.url.rsplit("/", 1)[-1]
    page.locator("#file-input").set_input_files([media["song"]])
    tempo = page.get_by_test_id("tempo")
    expect(tempo).to_contain_text(re.compile(r"^120\.\d BPM · \d+% sure"), timeout=60_000)
    token = page.evaluate("sessionStorage.getItem('beatstitch.token')")
    grid, song = run_async(_beat_grid_and_song(stack_worker, project_id, token))
    assert song == media["song"].read_bytes()
    downbeats = [b for b in grid["beats"] if b["is_downbeat"]]
    assert len(grid["beats"]) >= 6 and len(downbeats) >= 1
    wave = page.get_by_test_id("waveform")
    expect(wave.locator("[data-beat]")).to_have_count(len(grid["beats"]))
    expect(wave.locator("[data-downbeat]")).to_have_count(len(downbeats))
    sure = js_round(grid["bpm_confidence"] * 100)
    expect(tempo).to_contain_text(f"{js_fixed(grid['bpm'], 1)} BPM · {sure}% sure")
    # The first downbeat's tick sits where its time falls on the waveform's width.
    box = page.get_by_test_id("wave").bounding_box()
    tick = wave.locator("[data-downbeat]").first.bounding_box()
    assert box is not None and tick is not None
    at = (tick["x"] + tick["width"] / 2 - box["x"]) / box["width"]
    assert abs(at - downbeats[0]["time_ms"] / grid["duration_ms"]) < 0.02
    playhead = page.get_by_test_id("playhead")
    expect(playhead).to_have_attribute("data-seconds", "0.000")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=playhead]').dataset.seconds) > 0.3"
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # A click on the waveform moves the playhead there: about three quarters along, halfway
    # between two beats so the arrow keys below have one answer.
    seconds = grid["duration_ms"] / 1000
    times = [b["time_ms"] / 1000 for b in grid["beats"]]
    middles = [(a + b) / 2 for a, b in zip(times, times[1:], strict=False)]
    target = min(middles, key=lambda m: abs(m / seconds - 0.75))
    page.get_by_test_id("wave").click(
        position={"x": box["width"] * target / seconds, "y": box["height"] / 2}
    )
    page.wait_for_function(
        "([lo, hi]) => { const s = Number(document.querySelector("
        "'[data-testid=playhead]').dataset.seconds); return s > lo && s < hi; }",
        arg=[target - 0.1, target + 0.1],
    )
    # By keyboard: the arrows jump from the seeked point beat to beat; Home to the start.
    before = [t for t in times if t < target]
    assert len(before) >= 2, f"fewer than two beats before {target} s"
    slider = page.get_by_role("slider", name=re.compile("Song position"))
    slider.focus()
    for key, beat in (
        ("ArrowLeft", before[-1]),
        ("ArrowLeft", before[-2]),
        ("ArrowRight", before[-1]),
    ):
        page.keyboard.press(key)
        expect(slider).to_have_attribute("aria-valuenow", f"{float(js_fixed(beat, 1)):g}")
        expect(playhead).to_contain_text(f"0:0{js_fixed(beat, 1)} / ")
    page.screenshot(path=tmp_path / "waveform.png", full_page=True)
    page.keyboard.press("Home")
    expect(slider).to_have_attribute("aria-valuenow", "0")
    assert unnamed_controls(page) == []


async def _beat_grid_and_song(
    stack: Stack, project_id: str, token: str
) -> tuple[dict[str, Any], bytes]:
    """The API's beat grid and song file, as the page's own token reads them."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        base = f"/api/v1/projects/{project_id}/audio"
        answer = await client.get(f"{base}/beats", headers=headers)
        answer.raise_for_status()
        grid: dict[str, Any] = answer.json()
        song = await client.get(f"{base}/file", headers=headers)
        song.raise_for_status()
        assert song.headers["content-type"].startswith("audio/")
        # The <audio> element asks for ranges; someone else's token sees no song at all.
        part = await client.get(f"{base}/file", headers={**headers, "Range": "bytes=0-3"})
        assert (part.status_code, part.content) == (206, b"RIFF")
        other = await sign_up(stack, new_email())
        foreign = {"Authorization": f"Bearer {other.token}"}
        assert (await client.get(f"{base}/file", headers=foreign)).status_code == 404
        return grid, song.content


def test_refused_uploads_show_the_api_sentence_next_to_the_file(
    page: Page, stack_worker: Stack, media: dict[str, Path], tmp_path: Path
) -> None:
    sign_up_in_browser(page, new_email())
    create_project(page, "Broken files")
    project_id = page.url.rsplit("/", 1)[-1]
    # Dropped on the drop zone, as from a desktop.
    drop_files(page, [media["cut"], media["text"], media["photo_1"]])
    rows = page.get_by_test_id("upload-row")
    expect(rows.filter(has_text="Uploaded")).to_have_count(1, timeout=60_000)
    expect(rows.locator(".error")).to_have_count(2)
    cut = rows.filter(has_text="holiday.mp4").locator(".error")
    text = rows.filter(has_text="notes.mp4").locator(".error")
    # The very sentences the API gives for the same bytes.
    said = run_async(_api_sentences(stack_worker, project_id, media))
    expect(cut).to_have_text(f"422: {said['cut']}")
    expect(text).to_have_text(f"415: {said['text']}")
    assert "not a supported photo, video or audio file" in said["text"]
    assert tiles(page) == ["photo_1.jpg"]
    page.screenshot(path=tmp_path / "refused.png", full_page=True)


def test_a_file_over_the_upload_limit_shows_413_next_to_it(
    browser: Browser, stack_worker: Stack, media: dict[str, Path], tmp_path: Path
) -> None:
    big = write_still(tmp_path / "big.jpg", 1600, 1200, 5)
    assert big.stat().st_size > 60_000
    limit = {"BEATSTITCH_UPLOAD_MAX_BYTES": "40960"}
    with (
        second_api(stack_worker, tmp_path / "logs", **limit) as small,
        open_page(browser, small.url, viewport=DESKTOP) as page,
    ):
        sign_up_in_browser(page, new_email())
        create_project(page, "Too big")
        page.locator("#file-input").set_input_files([big, media["photo_2"]])
        rows = page.get_by_test_id("upload-row")
        expect(rows.filter(has_text="Uploaded")).to_have_count(1, timeout=60_000)
        refused = rows.filter(has_text="big.jpg").locator(".error")
        expect(refused).to_have_text("413: big.jpg is larger than the 40 KiB upload limit.")
        assert tiles(page) == ["photo_2.jpg"]
        page.screenshot(path=tmp_path / "too-large.png", full_page=True)


async def _api_sentences(stack: Stack, project_id: str, media: dict[str, Path]) -> dict[str, str]:
    account = await sign_up(stack, new_email())
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
        headers = {"Authorization": f"Bearer {account.token}"}
        made = await client.post("/api/v1/projects", json={"name": "probe"}, headers=headers)
        pid = made.json()["id"]
        said = {}
        for key in ("cut", "text"):
            path = media[key]
            answer = await client.post(
                f"/api/v1/projects/{pid}/media",
                files={"file": (path.name, path.read_bytes())},
                headers=headers,
            )
            said[key] = answer.json()["detail"]["message"]
    del project_id
    return said


def test_a_phone_screen_has_no_horizontal_scroll(
    phone: Page, media: dict[str, Path], tmp_path: Path
) -> None:
    sign_up_in_browser(phone, new_email())
    assert horizontal_overflow(phone) == 0
    create_project(phone, "A project with a rather long name for a phone screen")
    files = [media["song"], media["clip_1"], media["photo_1"]]
    phone.locator("#file-input").set_input_files(files)
    expect(phone.get_by_test_id("media-tile")).to_have_count(2, timeout=60_000)
    expect(phone.get_by_test_id("waveform").locator("[data-beat]").first).to_be_attached(
        timeout=60_000
    )
    assert horizontal_overflow(phone) == 0
    phone.screenshot(path=tmp_path / "phone-project.png", full_page=True)


def test_sign_in_by_keyboard_alone(page: Page, tmp_path: Path, stack_worker: Stack) -> None:
    email = new_email()
    run_async(sign_up(stack_worker, email, PASSWORD))
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    create_project(page, "Keys")
    # The drop zone's file input is in the tab order, with its label.
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "file-input":
            break
    expect(page.get_by_label("Choose files")).to_be_focused()
    page.screenshot(path=tmp_path / "keyboard.png")
    # Someone else's (or no) project: the API's 404 sentence, not a blank page.
    page.goto("/projects/proj-nobody")
    expect(page.get_by_role("alert")).to_have_text("project proj-nobody not found")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_page_may_ask_no_other_host(page: Page, stack_worker: Stack, tmp_path: Path) -> None:
    answer = page.goto("/")
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    blocked = page.evaluate(
        """async () => {
            const seen = new Promise(r => document.addEventListener(
                'securitypolicyviolation', e => r(e.blockedURI), {once: true}));
            try { await fetch('https://cdn.example.com/x.js'); } catch (e) {}
            return await seen;
        }"""
    )
    assert blocked.startswith("https://cdn.example.com")
    page.screenshot(path=tmp_path / "sign-in.png")
