"""A home for numba's on-disk cache, set before librosa (and so numba) is first imported.

Without a writable cache every process recompiles librosa's jitted functions (~30 s on a
cold 2-core machine instead of ~4.5 s). numba reads the variable when it is first
imported, so every module that imports librosa calls keep_numba_cache() before it.
"""

from __future__ import annotations

import os
from pathlib import Path


def keep_numba_cache() -> None:
    """Point numba's on-disk cache at the repository's `.data/` unless one is set already."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    cache = Path(__file__).resolve().parents[1] / ".data" / "numba-cache"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # numba then falls back to its own cache locations: slower, never wrong
    os.environ["NUMBA_CACHE_DIR"] = str(cache)
