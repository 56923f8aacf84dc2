"""After an upload the API asks a worker for its proxy: a photo or clip at the project's
output size, the song as AAC; the path travels only for a folder every worker shares, and
the setting turns it off (then renders read the originals, as before)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from api.models import MediaAssetRow, Project
from api.settings import ApiSettings
from api.stored_files import media_file
from api.upload_proxies import proxy_request, request_proxy
from domain.render_request import SourceFile
from events.payloads.common import ObjectRef
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
