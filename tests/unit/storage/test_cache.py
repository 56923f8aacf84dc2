"""The workers' object cache on real folders: fetched once, verified, bounded, shared safely."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from storage.cache import ObjectCache
from storage.filesystem import FilesystemStore
from storage.object_store import StorageError, StoredObject


class RemoteStore(FilesystemStore):
    """A folder store that acts as a remote one (no local file), counting its fetches in a
    file so that several processes add to one count."""

    def __init__(self, root: Path, counter: Path, delay_s: float = 0.0) -> None:
        super().__init__(root)
        self.counter = counter
        self.delay_s = delay_s

    def local_path(self, key: str) -> Path | None:
        return None

    def fetch(self, key: str, dest: Path) -> StoredObject:
        with self.counter.open("a") as f:
            f.write(f"{key}\n")
        time.sleep(self.delay_s)  # a slow download, so that other processes ask meanwhile
        return super().fetch(key, dest)

    def fetches(self) -> int:
        return len(self.counter.read_text().splitlines()) if self.counter.exists() else 0


@pytest.fixture
def remote(tmp_path: Path) -> RemoteStore:
    return RemoteStore(tmp_path / "store", tmp_path / "fetches.txt")


def put(store: FilesystemStore, tmp_path: Path, key: str, data: bytes) -> StoredObject:
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    return store.put_file(key, source)


def test_a_miss_fetches_once_and_a_hit_reads_the_local_copy(
    remote: RemoteStore, tmp_path: Path
) -> None:
    obj = put(remote, tmp_path, "media/p/a.mp4", b"video bytes")
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    first = cache.get(remote, obj)
    assert first == tmp_path / "cache" / obj.sha256[:2] / obj.sha256
    assert first.read_bytes() == b"video bytes"
    assert cache.get(remote, obj) == first
    assert remote.fetches() == 1, "the second render of the same media downloads nothing"
    assert (cache.counts.misses, cache.counts.hits) == (1, 1)


def test_the_same_bytes_under_two_keys_are_kept_once(remote: RemoteStore, tmp_path: Path) -> None:
    a = put(remote, tmp_path, "media/p/a.mp4", b"same")
    b = put(remote, tmp_path, "media/q/b.mp4", b"same")
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    assert cache.get(remote, a) == cache.get(remote, b)
    assert remote.fetches() == 1


def test_a_folder_store_on_this_machine_is_read_in_place(tmp_path: Path) -> None:
    """The embedded default: no copy, the media folder's own file."""
    store = FilesystemStore(tmp_path / "store")
    obj = put(store, tmp_path, "media/p/a.mp4", b"bytes")
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    with cache.open(store, obj) as path:
        assert path == store.root / "media/p/a.mp4"
    assert cache.counts.local == 1
    assert not (tmp_path / "cache").exists(), "nothing was copied"


def test_a_local_file_with_another_checksum_is_not_used_in_place(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "store")
    old = put(store, tmp_path, "media/p/a.mp4", b"old")
    put(store, tmp_path, "media/p/a.mp4", b"new")
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    with pytest.raises(StorageError):
        cache.get(store, old)
    assert cache.counts.local == 0


def test_bytes_that_do_not_match_the_checksum_are_refused(
    remote: RemoteStore, tmp_path: Path
) -> None:
    obj = put(remote, tmp_path, "media/p/a.mp4", b"right")
    (remote.root / "media/p/a.mp4").write_bytes(b"wrong")  # changed behind the store's back
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    with pytest.raises(StorageError) as refused:
        cache.get(remote, obj)
    assert str(refused.value) == (
        f"the object 'media/p/a.mp4' from {remote.url} is 5 bytes with SHA-256 "
        f"{hashlib.sha256(b'wrong').hexdigest()}, not the 5 bytes with {obj.sha256} it was "
        "stored as; it was not used"
    )
    assert [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [
        f"{obj.sha256}.lock"
    ], "neither the bad bytes nor a temporary file are kept"
    cache.evict()
    assert list((tmp_path / "cache").glob("??/*")) == [], "the next eviction takes its lock file"


def test_a_checksum_that_is_not_sha256_is_refused(remote: RemoteStore, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache", max_bytes=1024)
    with pytest.raises(StorageError, match="the checksum '../x', which is not 64 lower-case"):
        cache.get(remote, StoredObject(key="k", size=1, sha256="../x"))


def age(cache: ObjectCache, obj: StoredObject, seconds_ago: float) -> None:
    entry = cache.folder / obj.sha256[:2] / obj.sha256
    when = time.time() - seconds_ago
    os.utime(entry, (when, when))


def test_the_least_recently_used_entries_go_first_and_the_bound_holds(
    remote: RemoteStore, tmp_path: Path
) -> None:
    objs = [put(remote, tmp_path, f"m/{i}.bin", bytes([i]) * 100) for i in range(4)]
    cache = ObjectCache(tmp_path / "cache", max_bytes=350)
    for i, obj in enumerate(objs[:3]):
        cache.get(remote, obj)
        age(cache, obj, 1000 - i * 100)  # 0 oldest, then 1, then 2
    cache.get(remote, objs[0])  # a hit makes 0 the most recent
    cache.get(remote, objs[3])  # 400 bytes: one must go, the least recently used (1)
    kept = {p.name for p in (tmp_path / "cache").glob("??/*") if not p.name.endswith(".lock")}
    assert kept == {objs[0].sha256, objs[2].sha256, objs[3].sha256}
    assert cache.total_bytes() == 300 <= cache.max_bytes
    assert (cache.counts.evicted, cache.counts.evicted_bytes) == (1, 100)


def test_the_bound_holds_over_many_inserts(remote: RemoteStore, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache", max_bytes=1000)
    for i in range(30):
        cache.get(remote, put(remote, tmp_path, f"m/{i}.bin", os.urandom(300)))
        assert cache.total_bytes() <= 1000
    assert remote.fetches() == 30


def test_an_entry_in_use_is_not_evicted(remote: RemoteStore, tmp_path: Path) -> None:
    held, other, newer = (put(remote, tmp_path, f"m/{i}.bin", bytes([i]) * 100) for i in range(3))
    cache = ObjectCache(tmp_path / "cache", max_bytes=150)
    with cache.open(remote, held) as path:
        age(cache, held, 1000)  # the oldest, so the first to go if it could
        cache.get(remote, other)  # 200 bytes: over the bound, but nothing may go
        assert path.read_bytes() == bytes([0]) * 100, "still there while a render reads it"
        assert cache.counts.evicted == 0
    cache.get(remote, newer)
    assert not path.exists(), "once released, it goes first, like any other"
    assert cache.total_bytes() <= 150


def ask(root: Path, counter: Path, cache_dir: Path, obj: StoredObject, barrier: Barrier) -> None:
    """One worker process asking for the object at the same moment as the others."""
    store = RemoteStore(root, counter, delay_s=0.3)
    cache = ObjectCache(cache_dir, max_bytes=10 * 1024 * 1024)
    barrier.wait()
    path = cache.get(store, obj)
    (cache_dir.parent / f"got-{os.getpid()}").write_bytes(path.read_bytes())


def test_processes_asking_at_once_share_one_fetch(remote: RemoteStore, tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024)
    obj = put(remote, tmp_path, "media/p/big.mp4", data)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    args = (remote.root, remote.counter, tmp_path / "cache", obj, barrier)
    workers = [spawn.Process(target=ask, args=args) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert remote.fetches() == 1, "one download for four processes"
    got = list(tmp_path.glob("got-*"))
    assert len(got) == 4 and all(g.read_bytes() == data for g in got)
