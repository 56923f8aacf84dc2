"""Typed engine errors: a machine-readable reason plus a message a user can read."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # only for annotations: edl_checks.py imports this module at runtime
    from engine.edl_checks import EdlProblem

# Kept general on purpose: clip rendering maps these to fallbacks
# (e.g. not_found / timeout / cdn_error on a remote source -> try the local copy).
# disk_full is the exception: no other source or placeholder can be written either.
ErrorReason = Literal[
    "not_found", "timeout", "cdn_error", "decode_error", "invalid_input", "disk_full"
]
# No space left on the device, or the user's disk quota is used up.
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, reason: ErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason: ErrorReason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickles only its args; rebuild from both fields so the error survives
        # the trip back from a process-pool worker.
        return (_rebuild, (type(self), self.reason, self.message))


def _rebuild(cls: type[EngineError], reason: ErrorReason, message: str) -> EngineError:
    error = cls.__new__(cls)
    EngineError.__init__(error, reason, message)
    return error


class MediaProbeError(EngineError):
    """A media file could not be found, opened or decoded."""


class EdlValidationError(EngineError):
    """An EDL broke one or more rules; `problems` lists each with segment and field."""

    # How many problems the message spells out; all of them stay in `problems`.
    _SHOWN = 10

    def __init__(self, problems: Sequence[EdlProblem]) -> None:
        self.problems: tuple[EdlProblem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[: self._SHOWN])
        more = len(self.problems) - self._SHOWN
        if more > 0:
            shown += f"; and {more} more"
        super().__init__("invalid_input", f"invalid EDL: {shown}")


def is_disk_full(exc: BaseException) -> bool:
    """True if the error (or one it was raised from) is a full disk: ENOSPC or EDQUOT."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EngineError) and current.reason == "disk_full":
            return True
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return True
        current = current.__cause__ or current.__context__
    return False


def decoder_words(exc: BaseException) -> str:
    """What FFmpeg (or the OS) said went wrong, without the file's path: PyAV's str(exc)
    appends it, which would name the file a second time in a sentence that already does."""
    return getattr(exc, "strerror", None) or type(exc).__name__
