"""A render request and a beat analysis request name every file by its object in the store;
a path travels too only when the store is a folder every worker shares, so a worker on
another machine never sees a path it cannot open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.models import AudioTrack, MediaAssetRow
from api.stored_files import media_file, music_file, object_ref
from domain.render_request import audio_source, render_requested
from engine.render_settings import RenderSettings
from engine.timeline import build_edl
from events.payloads.common import ObjectRef
from storage.filesystem import FilesystemStore
from storage.object_store import ObjectMissing, StoredObject
from tests.support.sample_requests import assets, steady_grid

SHA = "cd" * 32


class FarStore:
    """A store on another machine (as S3 is): no local paths; stat answers from a dict."""

    url = "s3://far"

    def __init__(self, objects: dict[str, StoredObject] | None = None) -> None:
        self.objects = objects or {}

    def stat(self, key: str) -> StoredObject | None:
        return self.objects.get(key)

    def local_path(self, key: str) -> Path | None:
        return None

    def list(self, prefix: str) -> Iterator[StoredObject]:
        return iter(())


def media_row(key: str | None, checksum: str = SHA) -> MediaAssetRow:
    return MediaAssetRow(
        id="vid-0",
        project_id="p",
        path="/media/projects/p/media/vid-0.mp4",
        checksum=checksum,
        size_bytes=4096,
        storage_key=key,
    )


def track(key: str | None) -> AudioTrack:
    return AudioTrack(
        id="song",
        project_id="p",
        path="/media/projects/p/audio/song.wav",
        checksum=SHA,
        size_bytes=100,
        duration_ms=8000,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        storage_key=key,
    )


def test_with_an_s3_store_a_clip_is_named_by_its_object_and_no_path() -> None:
    file = media_file(FarStore(), media_row("projects/p/media/vid-0.mp4"))
    assert file.local_path is None
    assert file.stored == ObjectRef(key="projects/p/media/vid-0.mp4", sha256=SHA, size=4096)


def test_with_the_folder_store_the_path_travels_beside_the_object(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    file = music_file(store, track("projects/p/audio/song.wav"))
    assert file.local_path == str(tmp_path.resolve() / "projects/p/audio/song.wav")
    assert file.stored is not None and file.stored.key == "projects/p/audio/song.wav"


def test_an_upload_from_before_the_store_is_read_at_its_path() -> None:
    file = music_file(FarStore(), track(None))
    assert (file.stored, file.local_path) == (None, "/media/projects/p/audio/song.wav")


def test_a_checksum_that_is_no_sha256_is_taken_from_the_store() -> None:
    stored = StoredObject(key="k/a.mp4", size=7, sha256=SHA)
    assert object_ref(FarStore({"k/a.mp4": stored}), "k/a.mp4", "md5-ish", 4096) == (
        ObjectRef(key="k/a.mp4", sha256=SHA, size=7)
    )
    with pytest.raises(ObjectMissing):
        object_ref(FarStore(), "k/b.mp4", "md5-ish", 1)


def test_the_render_request_carries_the_objects_and_only_the_paths_given() -> None:
    media = assets()
    edl = build_edl(RenderSettings(), media, steady_grid())
    store = FarStore()
    files = {a.id: media_file(store, media_row(f"projects/p/media/{a.id}.mp4")) for a in media}
    request = render_requested(
        render_job_id="job",
        workspace_id="ws",
        project_id="p",
        requested_by="u",
        kind="final",
        edl=edl,
        assets=media,
        files=files,
        audio=audio_source("song", SHA, 8000, music_file(store, track("projects/p/audio/s.wav"))),
    )
    assert request.media and all(m.local_path is None for m in request.media)
    assert [m.stored.key for m in request.media if m.stored] == [
        f"projects/p/media/{m.asset_id}.mp4" for m in request.media
    ]
    assert request.audio.path is None and request.audio.stored is not None
    assert request.audio.stored.key == "projects/p/audio/s.wav"
