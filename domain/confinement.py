"""Where a path taken from an event may point: inside one of the roots, symlinks followed.

An event is untrusted input; a path in it (a local copy, the music, a beat grid, an output)
is used only once it resolves inside the media or the artifacts root."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PATH_OUTSIDE_ROOT = "path_outside_root"


class PathOutsideRoot(ValueError):
    """A path that resolves outside every allowed root; `reason` is path_outside_root."""

    reason = PATH_OUTSIDE_ROOT

    def __init__(self, path: str | Path) -> None:
        # The name only: the server's directory layout is nobody's business.
        super().__init__(
            f"path_outside_root: {Path(path).name or str(path)!r} is outside the media "
            "and artifacts folders, so it is not read"
        )


def confine(path: str | Path, roots: Iterable[str | Path]) -> Path:
    """The path resolved (symlinks followed, `..` removed) if it lies inside one of `roots`.

    Callers use the returned path, not the given one, so a symlink changed after the check
    cannot point the read elsewhere. Raises PathOutsideRoot otherwise."""
    text = str(path)
    if not text or "\0" in text:
        raise PathOutsideRoot(text)
    resolved = Path(text).resolve()
    for root in roots:
        if resolved.is_relative_to(Path(root).resolve()):
            return resolved
    raise PathOutsideRoot(text)
