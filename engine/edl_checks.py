"""Checking an EDL: every broken rule of the timing convention in engine/edl.py, located by
segment and field, and parsing EDL JSON with those checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from engine.edl import (
    CUT,
    EDL,
    EdlModel,
    Segment,
    hash_edl_inputs,
    render_window_ms,
)
from engine.errors import EdlValidationError

ProblemCode = Literal[
    "schema",
    "index",
    "gap",
    "overlap",
    "coverage",
    "timing",
    "render_duration",
    "source_range",
    "transition_too_long",
    "transition_mismatch",
    "unknown_asset",
    "asset_mismatch",
    "hash_mismatch",
    "too_many_segments",
]


class EdlProblem(EdlModel):
    """One broken rule, located by segment index (None for the whole EDL) and field."""

    code: ProblemCode
    segment_index: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = "" if self.segment_index is None else f"segment {self.segment_index}: "
        return f"{where}{self.field}: {self.message}"


AddProblem = Callable[[ProblemCode, int | None, str, str], None]


# --- validation -------------------------------------------------------------------


def validate_edl(
    edl: EDL,
    *,
    known_asset_ids: Collection[str] | None = None,
    asset_durations_ms: Mapping[str, int] | None = None,
) -> list[EdlProblem]:
    """Every cross-field and cross-segment problem of an EDL; [] means valid."""
    problems: list[EdlProblem] = []

    def add(code: ProblemCode, index: int | None, field: str, message: str) -> None:
        problems.append(EdlProblem(code=code, segment_index=index, field=field, message=message))

    if edl.total_duration_ms != edl.audio.duration_ms:
        add(
            "coverage",
            None,
            "total_duration_ms",
            f"{edl.total_duration_ms} ms differs from the music's {edl.audio.duration_ms} ms",
        )
    expected_hash = hash_edl_inputs(
        edl.settings, edl.media, edl.audio.checksum, edl.audio.beat_grid_checksum
    )
    if expected_hash != edl.edl_hash:
        add(
            "hash_mismatch",
            None,
            "edl_hash",
            f"{edl.edl_hash} is not the hash of the EDL's settings and inputs ({expected_hash})",
        )

    media = {m.asset_id: m for m in edl.media}
    segments = edl.segments
    for pos, seg in enumerate(segments):
        i = seg.index
        if i != pos:
            add("index", i, "index", f"segment at position {pos} has index {i}")
        _check_timing(seg, pos, segments, edl.total_duration_ms, add)
        _check_transitions(seg, pos, segments, add)
        _check_source(seg, asset_durations_ms, add)
        ref = media.get(seg.asset_id)
        if ref is None:
            add("unknown_asset", i, "asset_id", f"{seg.asset_id!r} is not in the EDL's media list")
        elif ref.media_type != seg.media_type:
            add(
                "asset_mismatch",
                i,
                "media_type",
                f"{seg.media_type} but asset {seg.asset_id!r} is {ref.media_type}",
            )
        if known_asset_ids is not None and seg.asset_id not in known_asset_ids:
            add("unknown_asset", i, "asset_id", f"{seg.asset_id!r} is not a known asset")
    return problems


def _check_timing(
    seg: Segment, pos: int, segments: list[Segment], total: int, add: AddProblem
) -> None:
    i = seg.index
    length = seg.timeline_out_ms - seg.timeline_in_ms
    if length <= 0:
        add(
            "timing",
            i,
            "timeline_out_ms",
            f"{seg.timeline_out_ms} must be after timeline_in_ms {seg.timeline_in_ms}",
        )
    expected_in = 0 if pos == 0 else segments[pos - 1].timeline_out_ms
    if seg.timeline_in_ms > expected_in:
        after = "the start" if pos == 0 else f"segment {segments[pos - 1].index}"
        add(
            "gap",
            i,
            "timeline_in_ms",
            f"gap of {seg.timeline_in_ms - expected_in} ms after {after}",
        )
    elif seg.timeline_in_ms < expected_in:
        add(
            "overlap",
            i,
            "timeline_in_ms",
            f"overlaps segment {segments[pos - 1].index} by {expected_in - seg.timeline_in_ms} ms",
        )
    if pos == len(segments) - 1 and seg.timeline_out_ms != total:
        code: ProblemCode = "gap" if seg.timeline_out_ms < total else "overlap"
        add(
            code,
            i,
            "timeline_out_ms",
            f"last segment ends at {seg.timeline_out_ms} ms, the music at {total} ms",
        )
    start, end = render_window_ms(seg)
    expected_render = end - start
    if seg.render_duration_ms != expected_render:
        add(
            "render_duration",
            i,
            "render_duration_ms",
            f"{seg.render_duration_ms} but timeline length plus crossfade overlap is "
            f"{expected_render}",
        )


def _check_transitions(seg: Segment, pos: int, segments: list[Segment], add: AddProblem) -> None:
    i = seg.index
    length = seg.timeline_out_ms - seg.timeline_in_ms
    if pos == 0 and seg.transition_in != CUT:
        add(
            "transition_mismatch",
            i,
            "transition_in",
            "the first segment must start with a 0 ms cut",
        )
    if pos == len(segments) - 1 and seg.transition_out != CUT:
        add("transition_mismatch", i, "transition_out", "the last segment must end with a 0 ms cut")
    if pos > 0 and seg.transition_in != segments[pos - 1].transition_out:
        add(
            "transition_mismatch",
            i,
            "transition_in",
            f"differs from segment {segments[pos - 1].index}'s transition_out",
        )
    for name, t in (("transition_in", seg.transition_in), ("transition_out", seg.transition_out)):
        if length > 0 and 2 * t.duration_ms > length:
            add(
                "transition_too_long",
                i,
                f"{name}.duration_ms",
                f"{t.duration_ms} ms is longer than half the segment's {length} ms "
                f"(at most {length // 2})",
            )


def _check_source(seg: Segment, durations: Mapping[str, int] | None, add: AddProblem) -> None:
    i = seg.index
    if seg.source_out_ms < seg.source_in_ms:
        add(
            "source_range",
            i,
            "source_out_ms",
            f"{seg.source_out_ms} is before source_in_ms {seg.source_in_ms}",
        )
        return
    if seg.media_type != "video":
        return
    span = seg.source_out_ms - seg.source_in_ms
    if span == 0:
        add("source_range", i, "source_out_ms", "the source range is empty")
    if span > seg.render_duration_ms:
        add(
            "source_range",
            i,
            "source_out_ms",
            f"source span {span} ms exceeds render_duration_ms {seg.render_duration_ms} "
            "(clips are never sped up)",
        )
    duration = None if durations is None else durations.get(seg.asset_id)
    if duration is not None and seg.source_out_ms > duration:
        add(
            "source_range",
            i,
            "source_out_ms",
            f"{seg.source_out_ms} is past the end of asset {seg.asset_id!r} ({duration} ms)",
        )


def check_edl(
    edl: EDL,
    *,
    known_asset_ids: Collection[str] | None = None,
    asset_durations_ms: Mapping[str, int] | None = None,
) -> EDL:
    """Return the EDL if valid, else raise EdlValidationError listing every problem."""
    problems = validate_edl(
        edl,
        known_asset_ids=known_asset_ids,
        asset_durations_ms=asset_durations_ms,
    )
    if problems:
        raise EdlValidationError(problems)
    return edl


def parse_edl(
    data: bytes | str | Mapping[str, Any],
    *,
    known_asset_ids: Collection[str] | None = None,
    asset_durations_ms: Mapping[str, int] | None = None,
) -> EDL:
    """Parse EDL JSON (or a dict) and validate it; raise EdlValidationError on any problem."""
    try:
        if isinstance(data, Mapping):
            edl = EDL.model_validate(data)
        else:
            edl = EDL.model_validate_json(data)
    except ValidationError as exc:
        raise EdlValidationError([_problem_from_pydantic(e) for e in exc.errors()]) from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise EdlValidationError(
            [EdlProblem(code="schema", segment_index=None, field="(document)", message=str(exc))]
        ) from None
    return check_edl(edl, known_asset_ids=known_asset_ids, asset_durations_ms=asset_durations_ms)


def _problem_from_pydantic(error: Any) -> EdlProblem:
    loc = list(error["loc"])
    index = None
    if len(loc) >= 2 and loc[0] == "segments" and isinstance(loc[1], int):
        index, loc = loc[1], loc[2:]
    field = ".".join(str(part) for part in loc) or "(document)"
    return EdlProblem(code="schema", segment_index=index, field=field, message=error["msg"])
