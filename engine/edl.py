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
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

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


class EdlModel(BaseModel):
    """Every EDL model: frozen, strict, no unknown fields."""

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


class Transition(EdlModel):
    """The transition at one cut, as both neighbouring segments record it."""

    type: TransitionType
    duration_ms: TransitionMs

    @model_validator(mode="after")
    def _cut_is_instant(self) -> Transition:
        if self.type == "cut" and self.duration_ms != 0:
            raise ValueError(f"a cut takes 0 ms, got {self.duration_ms}")
        return self


CUT = Transition(type="cut", duration_ms=0)


class KenBurns(EdlModel):
    """A pan and zoom from (start_zoom, start_x, start_y) to the end values."""

    start_zoom: Zoom
    end_zoom: Zoom
    start_x: Position
    start_y: Position
    end_x: Position
    end_y: Position


class Effects(EdlModel):
    """Per-segment effects: Ken Burns on stills, or a generated filler instead of the asset."""

    _omitted_at_default: ClassVar[tuple[str, ...]] = ("generated",)

    ken_burns: KenBurns | None = None
    generated: GeneratedFill | None = None


class Segment(EdlModel):
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


class MediaRef(EdlModel):
    """An asset in the project's media order, pinned by content checksum."""

    asset_id: str = Field(min_length=1)
    checksum: str = Field(min_length=1)
    media_type: MediaKind


class AudioRef(EdlModel):
    """The music the timeline is cut to."""

    checksum: str = Field(min_length=1)
    duration_ms: int = Field(gt=0)
    beat_grid_checksum: Sha256Hex


class EDL(EdlModel):
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
