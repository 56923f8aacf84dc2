"""Files on disk: written so that no reader ever sees half of one, and their checksums."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(out: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside `out`: renamed to `out` if the block succeeds, removed if not.

    `suffix` is for writers that pick a format from the file name (cv2, PIL).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    # Beside the target, so the rename stays on one file system and is atomic.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_checksum(path: Path) -> str:
    """The sha256 hex digest of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
