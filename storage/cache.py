"""A worker's local copies of stored objects, by checksum: fetched once, shared by processes.

An entry is `<folder>/<sha[:2]>/<sha>`, the object's bytes, verified against its SHA-256.
Each entry has a lock file beside it (`<sha>.lock`, fcntl.flock): a process fetching holds
it exclusively, so a second process asking for the same object waits and then finds the
file instead of downloading again; a process using an entry holds it shared, and eviction
only takes entries it can lock exclusively without waiting, so nothing in use disappears.
The cache is bounded: after an insert, the least recently used entries (by mtime, touched on
every hit) go until the total is under max_bytes.

When the store is this machine's disk (a FilesystemStore), the store's own file is used as
it is: no copy, so the embedded default stays as fast as reading the media folder."""

from __future__ import annotations

import fcntl
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from storage.filesystem import hash_file
from storage.object_store import ObjectStore, StorageError, StoredObject

_SHA256 = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX = ".tmp-"
_LOCK_SUFFIX = ".lock"
# A temporary file untouched this long belongs to a fetch that died.
_ABANDONED_TMP_S = 3600.0


@dataclass
class CacheCounts:
    """What this process's cache did, for the worker to export as metrics."""

    hits: int = 0
    misses: int = 0
    # Objects read from the store's own file (a folder store on this machine).
    local: int = 0
    evicted: int = 0
    evicted_bytes: int = 0


class ObjectCache:
    """Local copies of objects keyed by SHA-256, at most max_bytes of them."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.counts = CacheCounts()

    def get(self, store: ObjectStore, obj: StoredObject) -> Path:
        """A local file of the object's bytes. Another process may evict it once this
        returns; hold it with `open` while reading it."""
        with self.open(store, obj) as path:
            return path

    @contextmanager
    def open(self, store: ObjectStore, obj: StoredObject) -> Iterator[Path]:
        """A local file of the object's bytes, kept from eviction until the block ends."""
        own = self._stores_own_file(store, obj)
        if own is not None:
            self.counts.local += 1
            yield own
            return
        entry = self._entry(obj)
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd = self._held(store, obj, entry)
        try:
            yield entry
        finally:
            os.close(fd)

    def _stores_own_file(self, store: ObjectStore, obj: StoredObject) -> Path | None:
        """The store's own file of the object, when it has one with the same checksum."""
        path = store.local_path(obj.key)
        if path is None or not path.is_file():
            return None
        found = store.stat(obj.key)
        return path if found is not None and found.sha256 == obj.sha256 else None

    def _entry(self, obj: StoredObject) -> Path:
        """The entry's path; the checksum names a file, so it must be one."""
        if not _SHA256.fullmatch(obj.sha256):
            raise StorageError(
                f"the object {obj.key!r} has the checksum {obj.sha256!r}, "
                "which is not 64 lower-case hex digits (SHA-256)"
            )
        return self.folder / obj.sha256[:2] / obj.sha256

    def _held(self, store: ObjectStore, obj: StoredObject, entry: Path) -> int:
        """A shared lock on a present entry, fetching it first when it is missing."""
        lock = entry.with_name(entry.name + _LOCK_SUFFIX)
        while True:
            fd = lock_entry(lock, fcntl.LOCK_SH)
            if entry.is_file():
                os.utime(entry)
                self.counts.hits += 1
                return fd
            os.close(fd)
            fd = lock_entry(lock, fcntl.LOCK_EX)
            try:
                if not entry.is_file():
                    self._fetch(store, obj, entry)
                    self.counts.misses += 1
                else:
                    self.counts.hits += 1
                # Not atomic on Linux: an evictor may slip in between, hence the check below.
                fcntl.flock(fd, fcntl.LOCK_SH)
            except BaseException:
                os.close(fd)
                raise
            if entry.is_file() and same_file(fd, lock):
                self.evict()
                return fd
            os.close(fd)

    def _fetch(self, store: ObjectStore, obj: StoredObject, entry: Path) -> None:
        """Fetch into a temporary file, verify its bytes, rename it into place."""
        tmp = entry.with_name(f"{_TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            store.fetch(obj.key, tmp)
            size, sha = tmp.stat().st_size, hash_file(tmp)
            if (size, sha) != (obj.size, obj.sha256):
                raise StorageError(
                    f"the object {obj.key!r} from {store.url} is {size} bytes with SHA-256 "
                    f"{sha}, not the {obj.size} bytes with {obj.sha256} it was stored as; "
                    "it was not used"
                )
            os.replace(tmp, entry)
        finally:
            tmp.unlink(missing_ok=True)

    def evict(self) -> None:
        """Remove least recently used entries no process holds until under max_bytes, and
        lock files left by fetches that failed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        guard = lock_entry(self.folder / ".evict.lock", fcntl.LOCK_EX | fcntl.LOCK_NB)
        if guard < 0:
            return  # another process is evicting
        try:
            entries, orphans = self._scan()
            for lock in orphans:
                self._remove(lock.with_name(lock.name.removesuffix(_LOCK_SUFFIX)))
            total = sum(size for _, size, _ in entries)
            for _mtime, size, entry in sorted(entries):
                if total <= self.max_bytes:
                    break
                if self._remove(entry):
                    total -= size
                    self.counts.evicted += 1
                    self.counts.evicted_bytes += size
        finally:
            os.close(guard)

    def total_bytes(self) -> int:
        """The bytes the cache holds now."""
        return sum(size for _, size, _ in self._scan()[0])

    def _scan(self) -> tuple[list[tuple[float, int, Path]], list[Path]]:
        """(mtime, size, path) of every entry, and the lock files of no entry; abandoned
        temporary files are removed."""
        found: list[tuple[float, int, Path]] = []
        locks: list[Path] = []
        now = time.time()
        for path in self.folder.glob("??/*"):
            with suppress(FileNotFoundError):
                info = path.stat()
                if _SHA256.fullmatch(path.name):
                    found.append((info.st_mtime, info.st_size, path))
                elif path.name.endswith(_LOCK_SUFFIX):
                    locks.append(path)
                elif path.name.startswith(_TMP_PREFIX) and now - info.st_mtime > _ABANDONED_TMP_S:
                    path.unlink()
        present = {path.name for _, _, path in found}
        orphans = [p for p in locks if p.name.removesuffix(_LOCK_SUFFIX) not in present]
        return found, orphans

    def _remove(self, entry: Path) -> bool:
        """Remove an entry (present or not) and its lock file if no process holds it (its
        lock is taken without waiting: a fetch in progress holds it too)."""
        lock = entry.with_name(entry.name + _LOCK_SUFFIX)
        fd = lock_entry(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd < 0:
            return False
        try:
            entry.unlink(missing_ok=True)
            # Whoever opened this lock file next finds it gone and takes the new one.
            lock.unlink(missing_ok=True)
            return True
        finally:
            os.close(fd)


def lock_entry(lock: Path, mode: int) -> int:
    """An open descriptor of the lock file holding `mode`; -1 when LOCK_NB found it taken.

    A lock file removed by eviction while this waited is not the entry's lock any more, so
    the lock is taken again on the file now at that path."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            return -1
        except BaseException:
            os.close(fd)
            raise
        if same_file(fd, lock):
            return fd
        os.close(fd)


def same_file(fd: int, path: Path) -> bool:
    """Whether the open descriptor is still the file at path."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
