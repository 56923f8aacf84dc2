"""The work of one generation that runs off the event loop: the provider, then the checks.

Both functions run in a pool process (local, CPU-bound) or a thread (remote, waiting on
HTTP); progress crosses back through a small file the agent reads, the one channel that
works from either."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.errors import EngineError
from engine.generation.provider import ProviderError, ProviderOutcome, VideoProvider
from engine.generation.spec import ClipSpec


@dataclass(frozen=True)
class FinishedClip:
    """A generated clip as probed, with its thumbnail: what VideoGenerationCompleted carries."""

    checksum: str
    size_bytes: int
    width: int
    height: int
    duration_ms: int
    fps: float
    codec: str
    thumbnail_path: str


def write_progress(progress_file: Path, share: float, message: str) -> None:
    """Replace the progress file atomically, so a reader never sees half a report."""
    tmp = progress_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"progress": max(0.0, min(1.0, share)), "message": message[:500]}))
    os.replace(tmp, progress_file)


def read_progress(progress_file: Path) -> tuple[float, str] | None:
    """The last progress written, or None before the first."""
    try:
        report = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        return None
    return float(report["progress"]), str(report["message"])


def run_provider(
    provider: VideoProvider, spec: ClipSpec, out: Path, progress_file: Path
) -> ProviderOutcome:
    """Have the provider write the clip; its progress goes to progress_file as it comes."""
    outcome = provider.generate(
        spec, out, lambda share, message: write_progress(progress_file, share, message)
    )
    # Kept beside the clip, so a redelivered request finds the work done and calls no
    # provider (and pays for no task) twice.
    outcome_file(out).write_text(json.dumps(asdict(outcome), sort_keys=True))
    return outcome


def outcome_file(out: Path) -> Path:
    """Where the provider's report of a finished clip is kept."""
    return out.with_suffix(".outcome.json")


def earlier_outcome(out: Path) -> ProviderOutcome | None:
    """The outcome of an earlier run that wrote this clip, if both are still there."""
    try:
        fields = json.loads(outcome_file(out).read_text())
        return ProviderOutcome(**fields) if out.is_file() else None
    except (OSError, ValueError, TypeError):
        return None


def finish_clip(out: Path, spec: ClipSpec) -> FinishedClip:
    """Probe what the provider wrote like an upload, make its thumbnail, hash it."""
    from engine.probe import probe  # PyAV: only pool processes and threads need it
    from engine.thumbnail import make_thumbnail

    try:
        info = probe(out)
    except EngineError as exc:
        message = f"the provider's output is not a video ({exc.message})"
        raise ProviderError("not_a_video", message) from None
    if info.kind != "video" or not info.width or not info.height or not info.duration_ms:
        raise ProviderError("not_a_video", "the provider's output is not a video with pictures.")
    thumbnail = out.with_suffix(".jpg")
    make_thumbnail(out, thumbnail)
    digest = hashlib.sha256()
    with out.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return FinishedClip(
        checksum=digest.hexdigest(),
        size_bytes=out.stat().st_size,
        width=info.width,
        height=info.height,
        duration_ms=info.duration_ms,
        fps=info.fps or float(spec.fps),
        codec=info.codec,
        thumbnail_path=str(thumbnail),
    )
