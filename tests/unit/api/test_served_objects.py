"""What a GET of a stored file answers: the file itself, a redirect to the store, a 404 that
says the object is gone, or a 503 that names the store that did not answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from api.served_objects import serve_object
from storage.filesystem import FilesystemStore
from storage.object_store import StorageUnavailable, StoredObject

SHA = "ef" * 32


class FarStore:
    """A store on another machine: stat from a dict, a download URL when `presigns`."""

    url = "s3://far"

    def __init__(self, objects: dict[str, bytes], *, presigns: bool = True, down: bool = False):
        self.objects, self.presigns, self.down = objects, presigns, down

    def stat(self, key: str) -> StoredObject | None:
        if self.down:
            raise StorageUnavailable("cannot reach the S3 endpoint http://s3.test for bucket 'b'")
        data = self.objects.get(key)
        return None if data is None else StoredObject(key=key, size=len(data), sha256=SHA)

    def download_url(self, key: str, filename: str, expires_s: int) -> str | None:
        return f"http://s3.test/b/{key}?expires={expires_s}" if self.presigns else None

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        yield self.objects[key][start : end + 1]

    def local_path(self, key: str) -> Path | None:
        return None


def serve(store: object, key: str | None, fallback: Path | None = None) -> object:
    return serve_object(
        store,
        key,
        fallback=fallback,
        what="The video of render j",
        media_type="video/mp4",
        filename="j.mp4",
        ttl_s=60,
    )


def test_an_object_in_s3_is_a_redirect_to_its_short_lived_url() -> None:
    answer = serve(FarStore({"renders/j.mp4": b"mp4"}), "renders/j.mp4")
    assert isinstance(answer, RedirectResponse) and answer.status_code == 307
    assert answer.headers["location"] == "http://s3.test/b/renders/j.mp4?expires=60"


def test_an_object_in_s3_asked_without_a_redirect_is_streamed() -> None:
    answer = serve_object(
        FarStore({"projects/p/audio/s.wav": b"RIFF"}),
        "projects/p/audio/s.wav",
        fallback=None,
        what="The song of p",
        media_type="audio/wav",
        ttl_s=60,
        redirect=False,
    )
    assert isinstance(answer, StreamingResponse)
    assert answer.headers["content-length"] == "4"


def test_a_store_without_download_urls_streams_the_bytes() -> None:
    answer = serve(FarStore({"renders/j.mp4": b"mp4"}, presigns=False), "renders/j.mp4")
    assert isinstance(answer, StreamingResponse)
    assert answer.headers["content-length"] == "3"


def test_the_folder_store_serves_its_own_file_with_range(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    (tmp_path / "renders").mkdir()
    (tmp_path / "renders" / "j.mp4").write_bytes(b"mp4")
    answer = serve(store, "renders/j.mp4")
    assert isinstance(answer, FileResponse) and Path(answer.path).read_bytes() == b"mp4"


def test_a_key_the_store_lacks_falls_back_to_the_events_path(tmp_path: Path) -> None:
    old = tmp_path / "old.mp4"
    old.write_bytes(b"old")
    answer = serve(FarStore({}), "renders/j.mp4", fallback=old)
    assert isinstance(answer, FileResponse) and answer.path == old


def test_a_missing_object_is_a_404_that_says_so() -> None:
    with pytest.raises(HTTPException) as gone:
        serve(FarStore({}), "renders/j.mp4")
    assert gone.value.status_code == 404
    assert gone.value.detail == "The video of render j is not in the store."


def test_a_store_that_does_not_answer_is_a_503_naming_it() -> None:
    with pytest.raises(HTTPException) as down:
        serve(FarStore({}, down=True), "renders/j.mp4")
    assert down.value.status_code == 503
    assert down.value.detail == (
        "The store of media and renders did not answer: cannot reach the S3 endpoint "
        "http://s3.test for bucket 'b'"
    )
