"""The store as a folder on this machine: the embedded default, as fast as plain files.

An object is the file root/key. Its SHA-256 is kept beside it in `<file>.sha256` with the
size and modification time it was taken at, so stat needs no re-hash, and a file changed
behind the store's back (or one that was there before the store) is hashed anew once.
Every write goes to a `.tmp-*` file in the target folder and is renamed into place, so a
reader sees a whole object or none."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage.keys import check_key
from storage.object_store import KeyRefused, ObjectMissing, StorageError, StoredObject

SIDECAR_SUFFIX = ".sha256"
TMP_PREFIX = ".tmp-"
COPY_CHUNK = 1024 * 1024
RANGE_CHUNK = 256 * 1024
_TAIL = re.compile(r"[A-Za-z0-9._-]*")
# What opening a key that names no file raises (a folder, or a file where a folder would be).
_ABSENT = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


def copy_hashing(source: BinaryIO, dest: Path) -> tuple[int, str]:
    """Copy a stream to dest through a temporary file renamed into place; its size and SHA-256."""
    tmp = dest.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as out:
            while chunk := source.read(COPY_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def hash_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(path: Path, text: str) -> None:
    """Write a small text file through a temporary file renamed into place."""
    tmp = path.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class FilesystemStore:
    """Objects as files under one folder; the API streams them (no download URL)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def url(self) -> str:
        """file:///<absolute root>."""
        return self.root.as_uri()

    def path_of(self, key: str) -> Path:
        """The file of a key, refused when the key (or a link on its way) leads out of root."""
        check_key(key)
        name = key.rpartition("/")[2]
        if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
            raise KeyRefused(
                f"the object key {key!r} names a file the folder store keeps for itself "
                f"(a name starting with '.' or ending in {SIDECAR_SUFFIX!r})"
            )
        path = self.root / key
        if not path.resolve().is_relative_to(self.root):
            raise KeyRefused(f"the object key {key!r} leads outside {self.root} through a link")
        return path

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Copy source to the key's file (or, when source already is that file, only record
        its checksum); content_type is not kept: the API sniffs and records it itself."""
        dest = self.path_of(key)
        if not source.is_file():
            raise StorageError(f"cannot store {key!r}: {source} is not a file")
        if source.resolve() == dest.resolve():
            return self._record(key, dest, hash_file(dest))
        dest.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as f:
            _, sha = copy_hashing(f, dest)
        return self._record(key, dest, sha)

    def fetch(self, key: str, dest: Path) -> StoredObject:
        """Copy the object to dest atomically, hashing what was copied."""
        path = self.path_of(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("rb") as f:
                size, sha = copy_hashing(f, dest)
        except _ABSENT:
            raise ObjectMissing(key) from None
        return StoredObject(key=key, size=size, sha256=sha)

    def stat(self, key: str) -> StoredObject | None:
        """Size and checksum from the sidecar; hashed anew when the file changed since."""
        path = self.path_of(key)
        try:
            info = path.stat()
        except _ABSENT:
            return None
        if not path.is_file():
            return None
        recorded = self._sidecar(path)
        if recorded is not None and recorded[1:] == (info.st_size, info.st_mtime_ns):
            return StoredObject(key=key, size=info.st_size, sha256=recorded[0])
        return self._record(key, path, hash_file(path))

    def delete(self, key: str) -> None:
        """Remove the file and its sidecar, then the folders that are left empty."""
        path = self.path_of(key)
        path.unlink(missing_ok=True)
        sidecar_of(path).unlink(missing_ok=True)
        folder = path.parent
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose key starts with prefix, in key order (as S3 lists them)."""
        folder, _, tail = prefix.rpartition("/")
        if folder:
            check_key(folder)
        if not _TAIL.fullmatch(tail):
            raise KeyRefused(f"the key prefix {prefix!r} holds a character a key cannot hold")
        base = self.root / folder
        keys: list[str] = []
        for dirpath, _, files in os.walk(base):
            for name in files:
                if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        for key in sorted(keys):
            found = self.stat(key)
            if found is not None:
                yield found

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive, cut at the object's end) in chunks of 256 KiB."""
        if start < 0 or end < start:
            raise StorageError(f"the byte range {start}-{end} of {key!r} is not a range")
        path = self.path_of(key)
        try:
            f = path.open("rb")
        except _ABSENT:
            raise ObjectMissing(key) from None
        return _chunks(f, start, end)

    def download_url(self, key: str, filename: str, expires_s: int) -> str | None:
        """None: the API streams files of a folder store itself."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The key's file (it may not exist yet: a writer may put the bytes there first)."""
        return self.path_of(key)

    def _record(self, key: str, path: Path, sha: str) -> StoredObject:
        """Write the sidecar of a file just placed or hashed."""
        info = path.stat()
        write_atomically(sidecar_of(path), f"{sha} {info.st_size} {info.st_mtime_ns}\n")
        return StoredObject(key=key, size=info.st_size, sha256=sha)

    def _sidecar(self, path: Path) -> tuple[str, int, int] | None:
        """(sha256, size, mtime_ns) as recorded, or None when there is no readable sidecar."""
        try:
            sha, size, mtime_ns = sidecar_of(path).read_text().split()
            return sha, int(size), int(mtime_ns)
        except (OSError, ValueError):
            return None


def sidecar_of(path: Path) -> Path:
    """The file that holds a stored file's checksum."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _chunks(f: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """Read an open file from start to end inclusive, then close it."""
    with f:
        f.seek(start)
        left = end - start + 1
        while left > 0 and (chunk := f.read(min(RANGE_CHUNK, left))):
            left -= len(chunk)
            yield chunk
