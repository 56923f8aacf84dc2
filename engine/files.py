"""Writing output files so that no reader ever sees half of one."""

from __future__ import annotations

import contextlib
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
