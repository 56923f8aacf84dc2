"""What disk collection removes (pure): given the files found with their ages and what is known
of the renders, the files past their retention that nothing live uses.

Kinds, and when each goes:
- render: renders/<job>.mp4 of a render that ended, older than the render retention; the
  newest render of each project stays whatever its age (unless keep_newest_render is off),
  so a project's last result never disappears under its owner.
- render_tmp: a render_tmp/job_<id> folder (clips, pieces) untouched for the temp retention,
  whose render ended, or that no render owns (only where every render is known: the read
  model knows every request, a worker's window of the log does not).
- temp: `.incoming-*` uploads and `.<name>.<pid>.tmp*` files of atomic writes, untouched
  for the temp retention (a file being written is touched all the time).
- audio: an uploaded track that is no project's current audio, older than the audio retention.
- beat_grid: a cached beat grid of no current track, older than the beat-grid retention.

A render is live unless it is known to have ended; nothing a live render uses (its
render_tmp folder, its output, its audio and media) is ever planned, whatever its age.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath


class Kind(StrEnum):
    """What a collectable file is."""

    RENDER = "render"
    RENDER_TMP = "render_tmp"
    TEMP = "temp"
    AUDIO = "audio"
    BEAT_GRID = "beat_grid"


@dataclass(frozen=True)
class Found:
    """A file (or a render_tmp folder) on disk: its size and seconds since last written."""

    path: Path
    kind: Kind
    size: int
    age_s: float
    # The render a render or render_tmp entry belongs to.
    job_id: str | None = None


@dataclass(frozen=True)
class Retention:
    """How long each kind is kept after it was last written."""

    renders_s: float
    tmp_s: float
    beat_grids_s: float
    audio_s: float
    keep_newest_render: bool = True


@dataclass(frozen=True)
class Knowledge:
    """What the collector knows of the renders and the projects' current files."""

    # Renders known to have ended (complete, failed, cancelled) → their project, if known.
    ended: Mapping[str, str | None]
    # Renders known to be live (requested, not ended).
    live: frozenset[str] = frozenset()
    # Files a live render or a project's current state uses: never removed.
    in_use: frozenset[Path] = frozenset()
    # True when a render neither ended nor live was never requested (the read model); False
    # when it may be live elsewhere (a worker's window of the log).
    knows_every_render: bool = False
    # Every project's current audio and beat grid; None: unknown, so none are collected.
    current_audio: frozenset[Path] | None = None
    current_grids: frozenset[Path] | None = None


@dataclass(frozen=True)
class Doomed:
    """A file planned for removal, and why."""

    found: Found
    why: str


@dataclass
class Tally:
    """Files and bytes of one kind."""

    files: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class _Plan:
    knows: Knowledge
    keep: Retention
    newest: frozenset[Path] = field(default_factory=frozenset)


# An upload being received, an atomic write, or a folder store's write (.tmp-<uuid hex>).
_TEMP_NAME = re.compile(r"^(\.incoming-.+|\..+\.\d+\.tmp.*|\.tmp-[0-9a-f]{32})$")
# A folder store's record of a file's checksum: it goes with its file, never alone.
CHECKSUM_RECORD = ".sha256"
_RENDER_TMP = re.compile(r"^job_(.+)$")


def is_temp_name(name: str) -> bool:
    """True for an upload's or an atomic write's temporary file name."""
    return _TEMP_NAME.match(name) is not None


def render_tmp_job(name: str) -> str | None:
    """The render of a render_tmp folder name (job_<id>); None for anything else."""
    match = _RENDER_TMP.match(name)
    return None if match is None else match.group(1)


def kind_of(relative: PurePath, root: str) -> tuple[Kind, str | None] | None:
    """The kind (and render) of a file at `relative` under the artifacts or media root."""
    parts = relative.parts
    if not parts:
        return None
    if is_temp_name(parts[-1]):
        return Kind.TEMP, None
    if parts[-1].endswith(CHECKSUM_RECORD):
        return None
    if root == "artifacts" and len(parts) == 2 and parts[0] == "renders":
        return (Kind.RENDER, relative.stem) if relative.suffix == ".mp4" else None
    if root == "artifacts" and len(parts) == 2 and parts[0] == "beat-grids":
        return (Kind.BEAT_GRID, None) if relative.suffix == ".json" else None
    if root == "media" and len(parts) == 4 and parts[0] == "projects" and parts[2] == "audio":
        return Kind.AUDIO, None
    return None


def _ended(knows: Knowledge, job: str | None) -> bool:
    return job is not None and job in knows.ended and job not in knows.live


def _owned_by_nobody(knows: Knowledge, job: str | None) -> bool:
    return job is not None and knows.knows_every_render and job not in knows.live


def _newest_renders(found: list[Found], knows: Knowledge) -> frozenset[Path]:
    """Each project's newest render output (a render of an unknown project is its own)."""
    newest: dict[str, Found] = {}
    for f in found:
        if f.kind is not Kind.RENDER or f.job_id is None:
            continue
        project = knows.ended.get(f.job_id) or f"render:{f.job_id}"
        if project not in newest or f.age_s < newest[project].age_s:
            newest[project] = f
    return frozenset(f.path for f in newest.values())


def _render_tmp(f: Found, plan: _Plan) -> str | None:
    knows = plan.knows
    if f.age_s < plan.keep.tmp_s:
        return None
    if _ended(knows, f.job_id):
        return "the intermediate files of a render that ended"
    if _owned_by_nobody(knows, f.job_id) and f.job_id not in knows.ended:
        return "the intermediate files of a render nobody requested"
    return None


def _render(f: Found, plan: _Plan) -> str | None:
    keep = plan.keep
    old = f.age_s >= keep.renders_s and _ended(plan.knows, f.job_id)
    newest_kept = keep.keep_newest_render and f.path in plan.newest
    return "an old render of a render job that ended" if old and not newest_kept else None


def _unused(f: Found, current: frozenset[Path] | None, retain_s: float) -> bool:
    return current is not None and f.age_s >= retain_s and f.path not in current


def _why(f: Found, plan: _Plan) -> str | None:
    """Why `f` goes, or None if it stays."""
    knows, keep = plan.knows, plan.keep
    if f.path in knows.in_use:
        return None
    if f.kind is Kind.TEMP:
        return "a temporary file nothing writes any more" if f.age_s >= keep.tmp_s else None
    if f.kind is Kind.RENDER_TMP:
        return _render_tmp(f, plan)
    if f.kind is Kind.RENDER:
        return _render(f, plan)
    if f.kind is Kind.AUDIO and _unused(f, knows.current_audio, keep.audio_s):
        return "replaced audio no project and no live render uses"
    if f.kind is Kind.BEAT_GRID and _unused(f, knows.current_grids, keep.beat_grids_s):
        return "a cached beat grid of no current track"
    return None


def plan_collection(found: Iterable[Found], knows: Knowledge, keep: Retention) -> list[Doomed]:
    """The files to remove, in the order found."""
    listed = list(found)
    plan = _Plan(knows, keep, _newest_renders(listed, knows))
    doomed: list[Doomed] = []
    for f in listed:
        why = _why(f, plan)
        if why is not None:
            doomed.append(Doomed(f, why))
    return doomed


def tally(doomed: Iterable[Doomed]) -> dict[Kind, Tally]:
    """Files and bytes per kind (every kind present, zero where nothing goes)."""
    totals = {kind: Tally() for kind in Kind}
    for d in doomed:
        t = totals[d.found.kind]
        t.files += 1
        t.bytes += d.found.size
    return totals
