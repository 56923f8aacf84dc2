"""The edit decision list (EDL): models, timing helpers and validation.

Timing convention (all times are integer milliseconds on the music's clock):

* Segments tile the timeline: segment 0 starts at 0, each segment's timeline_out_ms
  is the next one's timeline_in_ms (the cut, on a beat), the last ends at
  total_duration_ms. A segment is *the* picture on [timeline_in_ms, timeline_out_ms)
  except where a transition covers part of it.
* A transition of duration d at boundary b is centred on the cut, like an NLE's
  "centre at cut": it covers [b - d//2, b - d//2 + d). `transition_out` of segment i
  and `transition_in` of segment i+1 are the same transition. The first segment's
  transition_in and the last one's transition_out are always a 0 ms cut.
* crossfade: the outgoing clip runs on for the part after b (d - d//2) and the
  incoming clip starts early by the part before b (d//2); the two are blended over
  the whole window. So a clip's render window (render_window_ms) is
  [timeline_in_ms - overlap_before_ms(transition_in),
   timeline_out_ms + overlap_after_ms(transition_out)]
  and render_duration_ms is its length.
* fade_black / fade_white: no overlap. The outgoing clip fades to the colour over
  [b - d//2, b), the incoming one fades in from it over [b, b - d//2 + d).
* A transition is never longer than half of either segment it touches, so a clip
  never overlaps both neighbours at once.
* Frames: convert *absolute* timeline times with frame_at(ms, fps) (round half up)
  and take differences; never convert durations. Then clips and transitions meet
  on the same output frames and the frame counts add up to frame_at(total).
* Source range: the clip shows source [source_in_ms, source_out_ms] at normal speed
  from the first frame of its render window. If that span is shorter than
  render_duration_ms (a video shorter than its slot), the clip holds the source's
  last frame for the rest; videos are never looped or sped up. For stills the source
  range is [0, render_duration_ms] and means nothing more. Output frame f inside a
  render window starting at w ms shows source time source_in_ms + f * 1000 / fps - w.
* A segment with effects.generated shows a generated clip instead of the asset it would
  have repeated (engine.generated_fill); it, fill_gaps and beatless are left out of the
  JSON when unset, so an EDL without them keeps its bytes and its hash.
* Ken Burns runs from the first to the last frame of the render window: zoom is the
  scale (1 = whole frame) and x/y the centre of the visible window, as fractions of
  the picture after rotation and pixel-aspect correction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from engine.errors import EdlValidationError
from engine.generated_fill import GeneratedFill
from engine.media import MediaKind
from engine.render_settings import (
    BeatlessSettings,
    BeatsPerCut,
    KenBurnsSettings,
    OutputSettings,
    RenderSettings,
    TransitionMs,
    TransitionSettings,
    TransitionType,
    ranged,
)

EDL_VERSION: Final = 1

Zoom = Annotated[float, ranged(1.0, 2.0)]
Position = Annotated[float, ranged(0.0, 1.0)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")
    # Fields added after EDLs were stored: left out of the JSON while at their default.
    _omitted_at_default: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self._omitted_at_default:
            if (
                isinstance(data, dict)
                and getattr(self, name) == type(self).model_fields[name].default
            ):
                data.pop(name, None)
        return data


class Transition(_Frozen):
    """The transition at one cut, as both neighbouring segments record it."""

    type: TransitionType
    duration_ms: TransitionMs

    @model_validator(mode="after")
    def _cut_is_instant(self) -> Transition:
        if self.type == "cut" and self.duration_ms != 0:
            raise ValueError(f"a cut takes 0 ms, got {self.duration_ms}")
        return self


CUT = Transition(type="cut", duration_ms=0)


class KenBurns(_Frozen):
    """A pan and zoom from (start_zoom, start_x, start_y) to the end values."""

    start_zoom: Zoom
    end_zoom: Zoom
    start_x: Position
    start_y: Position
    end_x: Position
    end_y: Position


class Effects(_Frozen):
    """Per-segment effects: Ken Burns on stills, or a generated filler instead of the asset."""

    _omitted_at_default: ClassVar[tuple[str, ...]] = ("generated",)

    ken_burns: KenBurns | None = None
    generated: GeneratedFill | None = None


class Segment(_Frozen):
    """One shot on the timeline; see the module docstring for how the times relate."""

    index: int = Field(ge=0)
    asset_id: str = Field(min_length=1)
    media_type: MediaKind
    timeline_in_ms: int = Field(ge=0)
    timeline_out_ms: int = Field(ge=0)
    render_duration_ms: int = Field(ge=0)
    source_in_ms: int = Field(ge=0)
    source_out_ms: int = Field(ge=0)
    transition_in: Transition
    transition_out: Transition
    effects: Effects = Effects()


class MediaRef(_Frozen):
    """An asset in the project's media order, pinned by content checksum."""

    asset_id: str = Field(min_length=1)
    checksum: str = Field(min_length=1)
    media_type: MediaKind


class AudioRef(_Frozen):
    """The music the timeline is cut to."""

    checksum: str = Field(min_length=1)
    duration_ms: int = Field(gt=0)
    beat_grid_checksum: Sha256Hex


class EDL(_Frozen):
    """A complete, reproducible timeline: settings, inputs and segments."""

    version: Literal[1] = EDL_VERSION
    edl_hash: Sha256Hex
    beats_per_cut: BeatsPerCut
    transition: TransitionSettings
    ken_burns: KenBurnsSettings
    output: OutputSettings
    audio: AudioRef
    media: list[MediaRef] = Field(min_length=1)
    total_duration_ms: int = Field(gt=0)
    segments: list[Segment] = Field(min_length=1)
    fill_gaps: bool = False
    # How music without a clear beat was cut: part of the settings the hash covers.
    beatless: BeatlessSettings = BeatlessSettings()

    _omitted_at_default: ClassVar[tuple[str, ...]] = ("fill_gaps", "beatless")

    @property
    def settings(self) -> RenderSettings:
        """The render settings this EDL was built with."""
        return RenderSettings(
            beats_per_cut=self.beats_per_cut,
            transition=self.transition,
            ken_burns=self.ken_burns,
            output=self.output,
            fill_gaps=self.fill_gaps,
            beatless=self.beatless,
        )


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


class EdlProblem(_Frozen):
    """One broken rule, located by segment index (None for the whole EDL) and field."""

    code: ProblemCode
    segment_index: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = "" if self.segment_index is None else f"segment {self.segment_index}: "
        return f"{where}{self.field}: {self.message}"


AddProblem = Callable[[ProblemCode, int | None, str, str], None]


# --- canonical JSON and the hash ----------------------------------------------------


def canonical_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no whitespace: equal data, equal bytes."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def hash_edl_inputs(
    settings: RenderSettings,
    media: Sequence[MediaRef],
    audio_checksum: str,
    beat_grid_checksum: str,
) -> str:
    """sha256 hex of everything that determines an EDL (plus the EDL format version)."""
    # fill_gaps counts only when on, so every hash made before it existed stays the same.
    inputs = {
        "version": EDL_VERSION,
        "settings": settings.model_dump(
            mode="json", exclude=None if settings.fill_gaps else {"fill_gaps"}
        ),
        "media": [{"asset_id": m.asset_id, "checksum": m.checksum} for m in media],
        "audio_checksum": audio_checksum,
        "beat_grid_checksum": beat_grid_checksum,
    }
    return hashlib.sha256(canonical_json(inputs)).hexdigest()


# --- timing helpers ---------------------------------------------------------------


def frame_at(ms: int, fps: int) -> int:
    """Output frame index at timeline time `ms` (round half up, exact integer maths)."""
    return (2 * ms * fps + 1000) // 2000


def transition_window_ms(boundary_ms: int, transition: Transition) -> tuple[int, int]:
    """Timeline interval [start, end) a transition at `boundary_ms` covers."""
    start = boundary_ms - transition.duration_ms // 2
    return start, start + transition.duration_ms


def overlap_before_ms(transition: Transition) -> int:
    """Part of a crossfade before its cut: how early the incoming clip starts."""
    return transition.duration_ms // 2 if transition.type == "crossfade" else 0


def overlap_after_ms(transition: Transition) -> int:
    """Part of a crossfade after its cut: how long the outgoing clip runs on."""
    if transition.type != "crossfade":
        return 0
    return transition.duration_ms - transition.duration_ms // 2


def render_window_ms(segment: Segment) -> tuple[int, int]:
    """Timeline interval [start, end) the segment's rendered clip covers."""
    start = segment.timeline_in_ms - overlap_before_ms(segment.transition_in)
    return start, segment.timeline_out_ms + overlap_after_ms(segment.transition_out)


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
