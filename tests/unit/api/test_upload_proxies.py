"""After an upload the API asks a worker for its proxy: a photo or clip at the project's
output size, the song as AAC; the path travels only for a folder every worker shares, and
the setting turns it off (then renders read the originals, as before). A render request
names the proxies made so far."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from api.models import MediaAssetRow, Project
from api.read_models import MediaProxy
from api.settings import ApiSettings
from api.stored_files import media_file
from api.upload_proxies import (
    made_music,
    made_proxies,
    proxies_out,
    proxy_request,
    request_proxy,
)
from domain.render_request import SourceFile, audio_source, render_requested
from engine.render_settings import RenderSettings
from engine.timeline import build_edl
from events.payloads.common import ObjectRef
from tests.support.sample_requests import assets, steady_grid
from tests.unit.api.test_stored_sources import FarStore, media_row

SHA = "cd" * 32
SONG = SourceFile(
    stored=ObjectRef(key="projects/p/audio/a.flac", sha256=SHA, size=9), local_path=None
)


def project(output: dict[str, int] | None = None) -> Project:
    return Project(id="p", settings={} if output is None else {"output": output})


def test_a_clip_proxy_is_asked_for_the_projects_output_size() -> None:
    row: MediaAssetRow = media_row("projects/p/media/vid-0.mp4")
    far = media_file(FarStore(), row)  # type: ignore[arg-type]
    asked = proxy_request(
        project({"width": 640, "height": 360, "fps": 25}), row.id, "video", row.checksum, far
    )
    assert (asked.width, asked.height, asked.fps) == (640, 360, 25)
    assert asked.stored is not None and asked.stored.key == "projects/p/media/vid-0.mp4"
    assert asked.path is None  # a worker on another machine never sees the API's path


def test_a_photo_on_the_shared_folder_travels_with_its_path_and_the_default_size() -> None:
    shared = SourceFile(stored=SONG.stored, local_path="/media/projects/p/media/img.jpg")
    asked = proxy_request(project(), "img", "image", SHA, shared)
    assert (asked.width, asked.height, asked.fps) == (1280, 720, 30)
    assert asked.path == "/media/projects/p/media/img.jpg"


def test_the_song_proxy_has_no_size() -> None:
    asked = proxy_request(
        project({"width": 640, "height": 360, "fps": 25}), "a", "music", SHA, SONG
    )
    assert (asked.kind, asked.width, asked.stored) == ("music", None, SONG.stored)


class Producer:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, envelope: Any) -> Any:
        self.sent.append(envelope)
        return SimpleNamespace(topic="analysis", partition=0, offset=len(self.sent))


def test_the_setting_turns_the_requests_off(tmp_path: Path) -> None:
    asked = proxy_request(project(), "a", "music", SHA, SONG)
    for on, expected in ((True, 1), (False, 0)):
        producer = Producer()
        services: Any = SimpleNamespace(
            settings=ApiSettings(upload_proxies=on, media_dir=str(tmp_path)), producer=producer
        )
        asyncio.run(request_proxy(services, asked, trace_id="t"))
        assert len(producer.sent) == expected
        assert all(e.type == "MediaProxyRequested" for e in producer.sent)


def proxy_row(asset: str, variant: str, status: str = "completed", recipe: int = 1) -> MediaProxy:
    sized = variant != "music"
    return MediaProxy(
        asset_id=asset,
        variant=variant,
        kind="video" if sized else "music",
        status=status,
        key=None if status != "completed" else f"proxies/{asset}/{variant}",
        sha256=None if status != "completed" else SHA,
        size=None if status != "completed" else 10,
        width=320 if sized else None,
        height=180 if sized else None,
        recipe=recipe if sized else None,
    )


def test_a_render_request_names_the_proxies_made_so_far_and_no_others() -> None:
    media = assets()
    edl = build_edl(RenderSettings(), media, steady_grid())
    made, pending = media[0].id, media[1].id
    rows = {
        made: [proxy_row(made, "320x180"), proxy_row(made, "640x360", "failed")],
        pending: [proxy_row(pending, "320x180", "pending")],
        "song": [proxy_row("song", "music")],
    }
    request = render_requested(
        render_job_id="job",
        workspace_id="ws",
        project_id="p",
        requested_by="u",
        kind="final",
        edl=edl,
        assets=media,
        proxies={a.id: made_proxies(rows.get(a.id, [])) for a in media},
        audio=audio_source("song", SHA, 8000, SONG, made_music(rows["song"])),
    )
    by_id = {m.asset_id: m for m in request.media}
    assert [(p.key, p.width, p.height, p.recipe) for p in by_id[made].proxies] == [
        (f"proxies/{made}/320x180", 320, 180, 1)
    ]
    # Not made yet: the render reads the original, it does not wait.
    assert by_id[pending].proxies == []
    assert request.audio.proxy == ObjectRef(key="proxies/song/music", sha256=SHA, size=10)
    assert made_music(rows[pending]) is None


def test_the_api_shows_each_proxy_by_variant() -> None:
    rows = [proxy_row("a", "640x360", "failed"), proxy_row("a", "320x180", "pending")]
    assert [(p.variant, p.status) for p in proxies_out(rows)] == [
        ("320x180", "pending"),
        ("640x360", "failed"),
    ]
