"""A render request whose media and song are objects in a store (as the API makes them when
BEATSTITCH_STORAGE_URL is set), and the backends the storage tests run on."""

from __future__ import annotations

from pathlib import Path

from events.payloads import RenderRequested
from events.payloads.common import ObjectRef
from storage.filesystem import FilesystemStore
from storage.keys import upload_key
from storage.object_store import ObjectStore
from tests.support.s3proxy import RunningS3Proxy


def stored(store: ObjectStore, key: str, path: Path) -> ObjectRef:
    """Put a file into the store as an upload would; the reference an event carries."""
    return ObjectRef.model_validate(store.put_file(key, path).model_dump())


def by_objects(request: RenderRequested, store: ObjectStore) -> RenderRequested:
    """The request with every medium and the song in the store and no path left."""
    media = [
        m.model_copy(
            update={
                "stored": stored(store, upload_key("p1", m.asset_id, ".bin"), Path(m.local_path)),
                "local_path": None,
            }
        )
        for m in request.media
        if m.local_path
    ]
    audio = request.audio.model_copy(
        update={
            "stored": stored(store, upload_key("p1", "song", ".wav"), Path(request.audio.path)),
            "path": None,
        }
    )
    return request.model_copy(update={"media": media, "audio": audio})


def s3_backend(s3proxy: RunningS3Proxy) -> tuple[ObjectStore, dict[str, str]]:
    """A fresh bucket of the session's S3Proxy, and the settings that name it."""
    bucket = s3proxy.new_bucket("nothing-shared")
    return s3proxy.store(bucket), {
        "BEATSTITCH_STORAGE_URL": f"s3://{bucket}",
        "BEATSTITCH_S3_ENDPOINT_URL": s3proxy.endpoint_url,
        "BEATSTITCH_S3_REGION": s3proxy.region,
        "BEATSTITCH_S3_ACCESS_KEY_ID": s3proxy.access_key,
        "BEATSTITCH_S3_SECRET_ACCESS_KEY": s3proxy.secret_key,
    }


def folder_backend(root: Path) -> tuple[ObjectStore, dict[str, str]]:
    """A folder store at root (made here), and the setting that names it."""
    root.mkdir()
    return FilesystemStore(root), {"BEATSTITCH_STORAGE_URL": root.as_uri()}


def files_left(home: Path) -> list[str]:
    """A worker's files under `home` besides its cache (`home/cache`) and its own
    placeholder clip."""
    cache = home / "cache"
    return sorted(
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and cache not in p.parents and p.name != "clip_placeholder.mp4"
    )
