"""The studio's render in a real browser against the real stack: a preview rendered from the
page with its live progress to 100 %, each clip's state, the video played in the page, its
download, its clip statistics and charts, the project's render history; a render cancelled
from the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from engine.sample_media import write_clip, write_song, write_still
from tests.e2e.conftest import run_async
from tests.e2e.studio_pages import (
    create_project,
    horizontal_overflow,
    js_round,
    new_email,
    sign_up_in_browser,
    unnamed_controls,
)
from tests.support.api_stack import Stack

# A render's progress, from the first event to the end, on a shared 2-core machine.
RENDER_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A song of four bars, two clips and two photos."""
    folder = tmp_path_factory.mktemp("render-media")
    return [
        write_song(folder, bars=4),
        write_clip(folder / "clip_1.mp4", 320, 180, 24, 1.0, 0),
        write_clip(folder / "clip_2.mp4", 320, 180, 24, 1.0, 1),
        write_still(folder / "photo_1.jpg", 400, 300, 2),
        write_still(folder / "photo_2.jpg", 400, 300, 3),
    ]


def ready_project(page: Page, name: str, media: list[Path]) -> str:
    """Sign up, create a project, upload the song and media, wait for the beats: its id."""
    sign_up_in_browser(page, new_email())
    create_project(page, name)
    page.locator("#file-input").set_input_files(media)
    expect(page.get_by_test_id("tempo")).to_contain_text("BPM", timeout=60_000)
    expect(page.get_by_test_id("media-tile")).to_have_count(len(media) - 1)
    return page.url.rsplit("/", 1)[-1]


def test_a_preview_renders_with_live_progress_and_plays_in_the_page(
    page: Page, stack_worker: Stack, media: list[Path], tmp_path: Path
) -> None:
    project_id = ready_project(page, "Preview night", media)
    # The timeline first: one block per segment of the API's EDL, no render state yet.
    page.get_by_role("button", name="Generate timeline").click()
    expect(page.get_by_test_id("segment-count")).to_contain_text("segments", timeout=30_000)
    token = page.evaluate("sessionStorage.getItem('beatstitch.token')")
    segments = run_async(_timeline(stack_worker, project_id, token))["segment_count"]
    blocks = page.get_by_test_id("timeline-block")
    expect(blocks).to_have_count(segments)
    expect(page.locator("[data-testid=timeline-block][data-state=idle]")).to_have_count(segments)
    # Progress as the page shows it, every change, until the render ends.
    page.evaluate(
        """() => {
            window.seen = [];
            new MutationObserver(() => {
                const bar = document.querySelector('[data-testid=render-progress] progress');
                if (bar && window.seen[window.seen.length - 1] !== bar.value)
                    window.seen.push(bar.value);
            }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }"""
    )
    page.get_by_role("button", name="Render preview").click()
    progress = page.get_by_test_id("render-progress")
    expect(progress).to_be_visible()
    page.screenshot(path=tmp_path / "render-started.png", full_page=True)
    expect(progress).to_have_attribute("data-status", "complete", timeout=RENDER_TIMEOUT_MS)
    expect(progress).to_contain_text("complete · 100 %")
    seen: list[float] = page.evaluate("window.seen")
    assert seen[-1] == 100 and seen == sorted(seen), seen
    assert len(seen) >= 2, f"the bar moved once only: {seen}"

    job, clips = run_async(_newest_render(stack_worker, project_id, token))
    assert (job["kind"], job["status"]) == ("preview", "complete")
    stats = job["clip_stats"]
    # Every clip of the render, done, as the API has them.
    expect(page.get_by_test_id("clip-summary")).to_have_text(f"Clips: {len(clips)} done")
    assert stats["total_tasks"] == len(clips) > 1
    # Each clip's state is drawn on its timeline block: every block done.
    assert len(clips) == segments
    expect(page.locator("[data-testid=timeline-block][data-state=done]")).to_have_count(segments)
    table = page.get_by_test_id("clip-stats")
    for key in ("total_tasks", "success_tasks", "failed_tasks", "peak_parallelism"):
        expect(table.locator(f"[data-stat={key}] td")).to_have_text(str(stats[key]))
    expect(table.locator("[data-stat=avg_task_duration_ms] td")).to_have_text(
        f"{js_round(stats['avg_task_duration_ms'])} ms"
    )
    # The two charts are drawn (uPlot's canvas), one point per task for the durations.
    for chart in ("chart-durations", "chart-parallelism"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("chart-durations").get_by_role("img")).to_have_attribute(
        "aria-label", f"Task duration by segment: {len(clips)} points"
    )

    # The video plays in the page: its length is the job's and its clock moves.
    video = page.get_by_test_id("result-video")
    expect(video).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=result-video]').readyState >= 1"
    )
    duration = video.evaluate("v => v.duration")
    assert abs(duration - job["duration_ms"] / 1000) < 0.1, (duration, job["duration_ms"])
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=result-video]').currentTime > 0.5"
    )
    # The download is the API's MP4, byte for byte.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download MP4").click()
    saved = tmp_path / "download.mp4"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{job['job_id']}.mp4"
    assert saved.read_bytes() == run_async(_video(stack_worker, job, token))

    history = page.get_by_test_id("render-history")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history.locator(f"tr[data-job='{job['job_id']}']")).to_contain_text("complete")
    # The project's badge follows its newest render.
    expect(page.get_by_role("heading", name="Preview night")).to_contain_text("complete")
    page.screenshot(path=tmp_path / "rendered.png", full_page=True)
    assert unnamed_controls(page) == []
    # On a phone the result, its table and its charts fit without a horizontal scroll.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert horizontal_overflow(page) == 0
    page.screenshot(path=tmp_path / "rendered-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    # A reload finds the same render, its result and its history.
    page.reload()
    expect(page.get_by_test_id("render-progress")).to_contain_text("complete · 100 %")
    expect(page.get_by_test_id("result-video")).to_be_visible()


def test_a_render_cancelled_from_the_page_ends_cancelled(
    page: Page, stack_worker: Stack, media: list[Path], tmp_path: Path
) -> None:
    ready_project(page, "Changed my mind", media)
    page.get_by_role("button", name="Render final").click()
    cancel = page.get_by_role("button", name="Cancel render")
    cancel.click()
    progress = page.get_by_test_id("render-progress")
    expect(progress).to_have_attribute("data-status", "cancelled", timeout=RENDER_TIMEOUT_MS)
    expect(cancel).to_have_count(0)
    expect(page.get_by_test_id("render-message")).to_contain_text(re.compile("cancel", re.I))
    # No player for a render that ended without a video; the buttons are back.
    expect(page.get_by_test_id("result-video")).to_have_count(0)
    expect(page.get_by_role("button", name="Render final")).to_be_enabled()
    expect(page.get_by_test_id("render-history").locator("tbody tr")).to_have_count(1)
    page.screenshot(path=tmp_path / "cancelled.png", full_page=True)


async def _newest_render(
    stack: Stack, project_id: str, token: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The project's newest render and its clip tasks, as the page's own token reads them."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30, headers=headers) as client:
        project = (await client.get(f"/api/v1/projects/{project_id}")).json()
        base = f"/api/v1/video/workspaces/{project['workspace_id']}/render/jobs"
        jobs = (await client.get(base, params={"project_id": project_id})).json()
        clips = (await client.get(f"{base}/{jobs[0]['job_id']}/clips")).json()
        return jobs[0], clips


async def _timeline(stack: Stack, project_id: str, token: str) -> dict[str, Any]:
    """The project's timeline as the API has it."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30, headers=headers) as client:
        answer = await client.get(f"/api/v1/projects/{project_id}/timeline")
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body


async def _video(stack: Stack, job: dict[str, Any], token: str) -> bytes:
    """The render's MP4 as the API serves it."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30, headers=headers) as client:
        answer = await client.get(
            f"/api/v1/video/workspaces/{job['workspace_id']}/render/jobs/{job['job_id']}/download"
        )
        answer.raise_for_status()
        return answer.content
