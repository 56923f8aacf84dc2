"""The project page's timeline in a real browser against the real stack: a block per segment
of the API's timeline on the waveform's time axis, the project's cutting settings saved and
the timeline cut again, a segment's own edits sent as an edited EDL, the API's 422 sentence
next to the block it names, Ken Burns arrows, the keyboard and a phone screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from engine.sample_media import write_clip, write_song, write_still
from tests.e2e.conftest import run_async
from tests.e2e.studio_pages import (
    create_project,
    horizontal_overflow,
    js_fixed,
    new_email,
    sign_up_in_browser,
    unnamed_controls,
)
from tests.support.api_stack import Stack


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 16-beat song, two photos and a clip."""
    folder = tmp_path_factory.mktemp("timeline-media")
    return {
        "song": write_song(folder, bars=4),
        "photo_1": write_still(folder / "photo_1.jpg", 400, 300, 2),
        "clip_1": write_clip(folder / "clip_1.mp4", 320, 180, 24, 1.0, 0),
        "photo_2": write_still(folder / "photo_2.jpg", 400, 300, 3),
    }


def _project_with_timeline(page: Page, files: list[Path], name: str) -> str:
    """Sign up, upload, wait for the beats and generate the timeline; the project's id."""
    sign_up_in_browser(page, new_email())
    create_project(page, name)
    project_id = page.url.rsplit("/", 1)[-1]
    page.locator("#file-input").set_input_files(files)
    expect(page.get_by_test_id("media-tile")).to_have_count(len(files) - 1, timeout=60_000)
    expect(page.get_by_test_id("tempo")).to_contain_text("BPM", timeout=60_000)
    page.get_by_role("button", name="Generate timeline").click()
    expect(page.get_by_test_id("segment-count")).to_contain_text("segments", timeout=30_000)
    return project_id


def _api_timeline(page: Page, stack: Stack, project_id: str) -> dict[str, Any]:
    """GET …/timeline with the page's own token."""
    token = page.evaluate("sessionStorage.getItem('beatstitch.token')")

    async def get() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
            answer = await client.get(
                f"/api/v1/projects/{project_id}/timeline",
                headers={"Authorization": f"Bearer {token}"},
            )
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
            return body

    return run_async(get())


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


def _assert_on_the_wave_axis(page: Page, timeline: dict[str, Any]) -> None:
    """Each block starts and ends where its segment's times fall on the waveform's width."""
    wave = _box(page.get_by_test_id("wave"))
    total = timeline["total_duration_ms"]
    for seg in timeline["edl"]["segments"]:
        block = _box(_block(page, seg["index"]))
        start = wave["x"] + wave["width"] * seg["timeline_in_ms"] / total
        end = wave["x"] + wave["width"] * seg["timeline_out_ms"] / total
        assert abs(block["x"] - start) < 3, (seg["index"], block, start)
        assert abs(block["x"] + block["width"] - end) < 3, (seg["index"], block, end)
        assert block["y"] > wave["y"] + wave["height"]


CLIP_STATES = ("queued", "running", "done", "fell back", "placeholder", "failed")


def _state_styles(block: Locator) -> list[str]:
    """The bar each render state draws along a block's foot (the class the state gives it)."""
    styles: list[str] = block.evaluate(
        """(el, states) => {
            const before = el.className;
            const seen = states.map(s => {
                el.className = 'timeline-block state-' + s.replace(' ', '-');
                const bar = getComputedStyle(el, '::after');
                return bar.backgroundColor + ' ' + bar.backgroundImage;
            });
            el.className = before;
            return seen;
        }""",
        list(CLIP_STATES),
    )
    assert all(s != "rgba(0, 0, 0, 0) none" for s in styles), styles
    return styles


def _block(page: Page, index: int) -> Locator:
    return page.locator(f"[data-testid='timeline-block'][data-segment='{index}']")


def _edit_segment(page: Page, index: int, kind: str, ms: int) -> dict[str, Any]:
    """Open segment `index`'s editor, set its outgoing transition and save; the PUT's answer."""
    _block(page, index).click()
    editor = page.get_by_test_id("segment-editor")
    editor.get_by_label(f"Transition into segment {index + 1}").select_option(label=kind)
    editor.get_by_label("Its duration (ms)").fill(str(ms))
    with page.expect_response(lambda r: r.request.method == "PUT") as answer:
        editor.get_by_role("button", name=f"Save segment {index}").click()
    return {"status": answer.value.status, "body": answer.value.json()}


def test_the_timeline_sits_on_the_wave_axis_and_its_edits_reach_the_api(
    page: Page, stack_worker: Stack, media: dict[str, Path], tmp_path: Path
) -> None:
    files = [media[k] for k in ("song", "photo_1", "clip_1", "photo_2")]
    thumbnails: list[str] = []
    page.on("request", lambda r: thumbnails.append(r.url) if "/thumbnail" in r.url else None)
    project_id = _project_with_timeline(page, files, "Timeline")
    first = _api_timeline(page, stack_worker, project_id)
    count = first["segment_count"]
    assert count == len(first["edl"]["segments"]) >= 3
    blocks = page.get_by_test_id("timeline-block")
    expect(blocks).to_have_count(count)
    expect(page.get_by_test_id("segment-count")).to_have_text(f"{count} segments")
    expect(page.get_by_test_id("timeline-duration")).to_have_text(
        f"0:0{js_fixed(first['total_duration_ms'] / 1000, 1)}"
    )
    _assert_on_the_wave_axis(page, first)
    expect(blocks.first.locator("img.thumb")).to_have_js_property("complete", True)
    assert blocks.first.locator("img.thumb").evaluate("img => img.naturalWidth") > 0
    expect(blocks.first).to_have_attribute("data-state", "idle")
    expect(blocks.first).to_have_attribute(
        "aria-label", re.compile(r"^Segment 0: photo_1\.jpg, 0:00\.0 to 0:0\d\.\d, then cut")
    )
    assert len(set(_state_styles(blocks.first))) == len(CLIP_STATES)
    moving = [s["index"] for s in first["edl"]["segments"] if s["effects"]["ken_burns"]]
    assert moving, "Ken Burns is on by default for photos"
    expect(page.get_by_test_id("ken-burns")).to_have_count(len(moving))
    expect(_block(page, moving[0]).get_by_test_id("ken-burns")).to_be_visible()
    page.screenshot(path=tmp_path / "timeline.png", full_page=True)

    # Half the beats per cut: the API cuts twice as many segments, and the page shows them all.
    settings = page.get_by_test_id("timeline-settings")
    settings.get_by_label("Beats per cut").select_option("2")
    settings.get_by_label("Ken Burns pan and zoom on photos").uncheck()
    settings.get_by_role("button", name="Save and cut again").click()
    expect(page.get_by_test_id("ken-burns")).to_have_count(0)
    second = _api_timeline(page, stack_worker, project_id)
    assert second["edl"]["beats_per_cut"] == 2 and second["segment_count"] > count
    assert all(s["effects"]["ken_burns"] is None for s in second["edl"]["segments"])
    expect(blocks).to_have_count(second["segment_count"])
    expect(page.get_by_test_id("segment-count")).to_have_text(f"{second['segment_count']} segments")
    _assert_on_the_wave_axis(page, second)
    # One fetch per picture for the timeline, however many blocks show it (and one per tile).
    assert len(thumbnails) <= 2 * (len(files) - 1), thumbnails

    # A segment's own Ken Burns move and a valid crossfade go through PUT as an edited EDL.
    photo = next(s for s in second["edl"]["segments"] if s["media_type"] == "image")
    _block(page, photo["index"]).click()
    editor = page.get_by_test_id("segment-editor")
    editor.get_by_label("Ken Burns pan and zoom on this segment").check()
    editor.get_by_role("button", name=f"Save segment {photo['index']}").click()
    expect(_block(page, photo["index"]).get_by_test_id("ken-burns")).to_be_visible()
    expect(page.get_by_test_id("ken-burns")).to_have_count(1)
    saved = _edit_segment(page, 1, "Crossfade", 200)
    assert saved["status"] == 200, saved
    expect(page.locator("[data-testid='transition'][data-boundary='1']")).to_have_attribute(
        "data-type", "crossfade"
    )
    third = _api_timeline(page, stack_worker, project_id)
    assert third["origin"] == "edited"
    assert third["edl"]["segments"][1]["transition_out"] == {
        "type": "crossfade",
        "duration_ms": 200,
    }
    assert third["edl"]["segments"][photo["index"]]["effects"]["ken_burns"] is not None

    # Longer than the segment: the API's 422 sentence appears next to that very block.
    seg0 = third["edl"]["segments"][0]
    length = seg0["timeline_out_ms"] - seg0["timeline_in_ms"]
    refused = _edit_segment(page, 0, "Fade through black", length)
    assert refused["status"] == 422
    said = [p["message"] for p in refused["body"]["detail"] if p["segment_index"] == 0]
    assert said and "longer than half the segment" in said[0]
    note = page.locator("[data-testid='segment-problem'][data-segment='0']")
    expect(note).to_have_text(" ".join(said))
    expect(_block(page, 0)).to_have_attribute("aria-invalid", "true")
    assert _box(note)["x"] - _box(_block(page, 0))["x"] < 3
    assert _box(note)["y"] >= _box(_block(page, 0))["y"] + _box(_block(page, 0))["height"]
    # The refused edit changed nothing on the server.
    assert _api_timeline(page, stack_worker, project_id)["edl_hash"] == third["edl_hash"]
    page.screenshot(path=tmp_path / "timeline-refused.png", full_page=True)
    assert unnamed_controls(page) == []


def test_the_timeline_by_keyboard_and_on_a_phone(
    phone: Page, stack_worker: Stack, media: dict[str, Path], tmp_path: Path
) -> None:
    files = [media[k] for k in ("song", "photo_1", "clip_1")]
    project_id = _project_with_timeline(phone, files, "Timeline on a phone")
    timeline = _api_timeline(phone, stack_worker, project_id)
    expect(phone.get_by_test_id("timeline-block")).to_have_count(timeline["segment_count"])
    _assert_on_the_wave_axis(phone, timeline)
    assert horizontal_overflow(phone) == 0
    # The track is one tab stop; the arrows move between blocks, Enter opens one's editor,
    # which is saved by keyboard too.
    expect(phone.locator("[data-testid='timeline-block'][tabindex='0']")).to_have_count(1)
    _block(phone, 0).focus()
    phone.keyboard.press("ArrowRight")
    expect(_block(phone, 1)).to_be_focused()
    phone.keyboard.press("End")
    expect(_block(phone, timeline["segment_count"] - 1)).to_be_focused()
    phone.keyboard.press("Home")
    expect(_block(phone, 0)).to_be_focused()
    phone.keyboard.press("Enter")
    expect(_block(phone, 0)).to_have_attribute("aria-pressed", "true")
    editor = phone.get_by_test_id("segment-editor")
    editor.get_by_label("Transition into segment 1").focus()
    editor.get_by_label("Transition into segment 1").select_option("crossfade")
    duration = editor.get_by_label("Its duration (ms)")
    duration.focus()
    duration.fill("1990")
    with phone.expect_response(lambda r: r.request.method == "PUT") as answer:
        phone.keyboard.press("Enter")
    assert answer.value.status == 422
    expect(phone.locator("[data-testid='segment-problem'][data-segment='0']")).to_contain_text(
        "longer than half the segment"
    )
    assert horizontal_overflow(phone) == 0
    phone.screenshot(path=tmp_path / "timeline-phone.png", full_page=True)
    assert unnamed_controls(phone) == []
