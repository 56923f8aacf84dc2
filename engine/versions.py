"""Which engine rendered: this package's version and the PyAV and FFmpeg it decodes with."""

from __future__ import annotations

import importlib.metadata
import re
from functools import cache

import av


def _readable(version: str) -> str:
    # A distribution's build may say "6.1.1-3ubuntu5" or worse; keep what a version may hold.
    return re.sub(r"[^A-Za-z0-9._+-]", "-", version)[:64] or "unknown"


@cache
def engine_versions() -> dict[str, str]:
    """The versions a render's output depends on, as names a person can look up."""
    try:
        beatstitch = importlib.metadata.version("beatstitch")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        beatstitch = "unknown"
    codec = ".".join(str(n) for n in av.library_versions.get("libavcodec", ()))
    found = {
        "beatstitch": beatstitch,
        "pyav": av.__version__,
        "ffmpeg": str(getattr(av, "ffmpeg_version_info", "")),
        "libavcodec": codec,
    }
    return {name: _readable(version) for name, version in found.items()}
