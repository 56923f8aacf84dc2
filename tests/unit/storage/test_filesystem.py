"""The folder store on real folders: atomic writes, checksums kept beside, no escape from root."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from storage.filesystem import FilesystemStore, sidecar_of
from storage.object_store import KeyRefused, ObjectMissing, ObjectStore, StorageError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> FilesystemStore:
    return FilesystemStore(tmp_path / "store")


def source(tmp_path: Path, data: bytes, name: str = "src.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_it_is_an_object_store_at_a_file_url(tmp_path: Path) -> None:
    store: ObjectStore = FilesystemStore(tmp_path / "s" / ".." / "store")
    assert store.url == f"file://{tmp_path.resolve()}/store"
    assert store.download_url("renders/a.mp4", "a.mp4", 60) is None, "the API streams it"


def test_put_copies_under_the_key_and_records_size_and_checksum(
    store: FilesystemStore, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    put = store.put_file("renders/job-1.mp4", source(tmp_path, data), "video/mp4")
    assert (put.key, put.size, put.sha256) == ("renders/job-1.mp4", len(data), sha(data))
    assert (store.root / "renders/job-1.mp4").read_bytes() == data
    assert sidecar_of(store.root / "renders/job-1.mp4").read_text().split()[0] == sha(data)
    assert store.stat("renders/job-1.mp4") == put
    assert store.local_path("renders/job-1.mp4") == store.root / "renders/job-1.mp4"
    assert sorted(p.name for p in (store.root / "renders").iterdir()) == [
        "job-1.mp4",
        "job-1.mp4.sha256",
    ], "no temporary file is left behind"


def test_put_replaces_an_object_and_its_checksum(store: FilesystemStore, tmp_path: Path) -> None:
    store.put_file("a/b.bin", source(tmp_path, b"first"))
    put = store.put_file("a/b.bin", source(tmp_path, b"second", "other"))
    assert put.sha256 == sha(b"second")
    assert store.stat("a/b.bin") == put


def test_a_file_already_in_place_is_recorded_without_copying(store: FilesystemStore) -> None:
    """An upload written straight into the store's folder is kept as it is."""
    path = store.root / "media" / "p1" / "a.mp4"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"uploaded")
    inode = path.stat().st_ino
    put = store.put_file("media/p1/a.mp4", path)
    assert put.sha256 == sha(b"uploaded")
    assert path.stat().st_ino == inode, "the same file, not a copy"


def test_stat_does_not_rehash_but_sees_a_file_changed_behind_its_back(
    store: FilesystemStore, tmp_path: Path
) -> None:
    store.put_file("k.bin", source(tmp_path, b"abc"))
    path = store.root / "k.bin"
    # A sidecar that lies shows stat read it instead of hashing the file.
    info = path.stat()
    sidecar_of(path).write_text(f"{'0' * 64} {info.st_size} {info.st_mtime_ns}\n")
    stat = store.stat("k.bin")
    assert stat is not None and stat.sha256 == "0" * 64
    path.write_bytes(b"changed!")
    stat = store.stat("k.bin")
    assert stat is not None and (stat.size, stat.sha256) == (8, sha(b"changed!"))


def test_a_file_without_a_sidecar_is_hashed_once(store: FilesystemStore) -> None:
    """Files from before the store (today's media folders) get their checksum on first stat."""
    (store.root / "old").mkdir(parents=True)
    (store.root / "old" / "x.jpg").write_bytes(b"jpeg")
    stat = store.stat("old/x.jpg")
    assert stat is not None and stat.sha256 == sha(b"jpeg")
    assert sidecar_of(store.root / "old" / "x.jpg").is_file()


def test_stat_of_a_missing_object_is_none(store: FilesystemStore) -> None:
    assert store.stat("nothing/here.mp4") is None
    (store.root / "folder").mkdir(parents=True)
    assert store.stat("folder") is None
    (store.root / "file").write_bytes(b"x")
    assert store.stat("file/below") is None
    with pytest.raises(ObjectMissing):
        store.fetch("file/below", store.root / "out")
    with pytest.raises(ObjectMissing):
        store.read_range("folder", 0, 1)


def test_fetch_copies_whole_and_names_a_missing_key(store: FilesystemStore, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    store.put_file("m/x.bin", source(tmp_path, data))
    dest = tmp_path / "out" / "deep" / "x.bin"
    got = store.fetch("m/x.bin", dest)
    assert dest.read_bytes() == data and got.sha256 == sha(data)
    assert [p.name for p in dest.parent.iterdir()] == ["x.bin"]
    with pytest.raises(ObjectMissing, match="the store holds no object 'm/y.bin'"):
        store.fetch("m/y.bin", tmp_path / "y.bin")
    assert not (tmp_path / "y.bin").exists()


def test_delete_removes_file_sidecar_and_empty_folders(
    store: FilesystemStore, tmp_path: Path
) -> None:
    store.put_file("clips/job/0001.mp4", source(tmp_path, b"1"))
    store.put_file("clips/other/0001.mp4", source(tmp_path, b"2"))
    store.delete("clips/job/0001.mp4")
    assert not (store.root / "clips" / "job").exists()
    assert (store.root / "clips" / "other" / "0001.mp4").is_file()
    store.delete("clips/job/0001.mp4")  # missing is fine
    store.delete("clips/other/0001.mp4")
    assert list(store.root.iterdir()) == [], "nothing but the root is left"


def test_list_walks_a_prefix_in_key_order_skipping_sidecars_and_temp_files(
    store: FilesystemStore, tmp_path: Path
) -> None:
    for key in ["renders/job-2.mp4", "renders/job-1.mp4", "renders/x.mp4", "media/p/a.jpg"]:
        store.put_file(key, source(tmp_path, key.encode()))
    (store.root / "renders" / ".tmp-abc").write_bytes(b"half")
    (store.root / "renders" / ".incoming-abc").write_bytes(b"half")
    assert [o.key for o in store.list("renders/")] == [
        "renders/job-1.mp4",
        "renders/job-2.mp4",
        "renders/x.mp4",
    ]
    assert [o.key for o in store.list("renders/job")] == ["renders/job-1.mp4", "renders/job-2.mp4"]
    assert len(list(store.list(""))) == 4
    assert list(store.list("nothing/")) == []
    one = next(store.list("media/"))
    assert (one.size, one.sha256) == (len(b"media/p/a.jpg"), sha(b"media/p/a.jpg"))


def test_read_range_streams_inclusive_ranges_in_chunks(
    store: FilesystemStore, tmp_path: Path
) -> None:
    data = os.urandom(600 * 1024)
    store.put_file("r.bin", source(tmp_path, data))
    chunks = list(store.read_range("r.bin", 10, 599 * 1024))
    assert b"".join(chunks) == data[10 : 599 * 1024 + 1]
    assert max(len(c) for c in chunks) == 256 * 1024
    assert b"".join(store.read_range("r.bin", 5, 10**9)) == data[5:], "cut at the object's end"
    assert b"".join(store.read_range("r.bin", 0, 0)) == data[:1]
    with pytest.raises(ObjectMissing):
        store.read_range("nope.bin", 0, 1)
    with pytest.raises(StorageError, match="the byte range 5-4 of 'r.bin' is not a range"):
        store.read_range("r.bin", 5, 4)


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("../etc/passwd", "'..' segment"),
        ("/etc/passwd", "starts with '/'"),
        ("a/x.bin.sha256", "names a file the folder store keeps for itself"),
        ("a/.tmp-1", "names a file the folder store keeps for itself"),
    ],
)
def test_keys_that_would_leave_the_root_or_touch_its_own_files_are_refused(
    store: FilesystemStore, tmp_path: Path, key: str, says: str
) -> None:
    with pytest.raises(KeyRefused, match=says):
        store.put_file(key, source(tmp_path, b"x"))
    with pytest.raises(KeyRefused, match=says):
        store.stat(key)
    with pytest.raises(KeyRefused):
        store.delete(key)


def test_a_link_inside_the_root_cannot_lead_out_of_it(
    store: FilesystemStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    store.root.mkdir(parents=True)
    (store.root / "link").symlink_to(outside)
    with pytest.raises(KeyRefused, match="'link/secret' leads outside .* through a link"):
        store.fetch("link/secret", tmp_path / "stolen")


def test_a_prefix_that_could_leave_the_root_is_refused(store: FilesystemStore) -> None:
    with pytest.raises(KeyRefused):
        list(store.list("../"))
    with pytest.raises(KeyRefused, match="the key prefix 'a/b c' holds a character"):
        list(store.list("a/b c"))


def test_storing_a_missing_source_says_which(store: FilesystemStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"cannot store 'k.bin': .*absent is not a file"):
        store.put_file("k.bin", tmp_path / "absent")
