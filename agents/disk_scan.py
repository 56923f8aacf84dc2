"""Listing what disk collection may remove, and removing what it planned (the side effects of
domain/retention.py's plan)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from domain.retention import (
    CHECKSUM_RECORD,
    Doomed,
    Found,
    Kind,
    Tally,
    kind_of,
    render_tmp_job,
    tally,
)

ARTIFACTS, MEDIA = "artifacts", "media"


def _folder(path: Path, now: float) -> tuple[int, float]:
    """A folder's total size and its age: since the newest write to it or anything in it."""
    size, newest = 0, path.stat().st_mtime
    for entry in path.rglob("*"):
        try:
            info = entry.lstat()
        except FileNotFoundError:  # removed while we looked
            continue
        newest = max(newest, info.st_mtime)
        size += info.st_size if entry.is_file() else 0
    return size, max(0.0, now - newest)


def _render_tmp(folder: Path, now: float) -> Iterator[Found]:
    """One entry per render_tmp/job_<id> folder; never a file of one (a live render's)."""
    for entry in sorted(folder.iterdir()):
        job = render_tmp_job(entry.name)
        if job is None or not entry.is_dir():
            continue
        try:
            size, age = _folder(entry, now)
        except FileNotFoundError:
            continue
        yield Found(entry, Kind.RENDER_TMP, size, age, job)


def scan(root: Path, which: str, now: float | None = None) -> list[Found]:
    """Every collectable file under the artifacts or the media root (`which`)."""
    now = time.time() if now is None else now
    if not root.is_dir():
        return []
    found: list[Found] = []
    for here, dirs, files in os.walk(root):
        base = Path(here)
        if which == ARTIFACTS and base == root / "render_tmp":
            found.extend(_render_tmp(base, now))
            dirs[:] = [d for d in dirs if render_tmp_job(d) is None]
        for name in files:
            path = base / name
            kind = kind_of(path.relative_to(root), which)
            if kind is None:
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            found.append(Found(path, kind[0], info.st_size, max(0.0, now - info.st_mtime), kind[1]))
    return found


def remove(doomed: Iterable[Doomed]) -> dict[Kind, Tally]:
    """Remove each planned file or folder; the files and bytes actually freed, per kind."""
    freed: list[Doomed] = []
    for d in doomed:
        path = d.found.path
        try:
            if d.found.kind is Kind.RENDER_TMP:
                shutil.rmtree(path)
            else:
                path.unlink()
                # The folder store's checksum record of the file goes with it.
                path.with_name(path.name + CHECKSUM_RECORD).unlink(missing_ok=True)
        except FileNotFoundError:
            continue  # gone already (the render's own cleanup, another collector)
        except OSError:
            continue  # stays for the next round; the tally shows only what went
        freed.append(d)
    return tally(freed)
