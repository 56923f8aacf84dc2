"""A project's render settings: cut rhythm, transition, Ken Burns and output format."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

TransitionType = Literal["cut", "crossfade", "fade_black", "fade_white"]
MAX_TRANSITION_MS = 2000


def ranged(lo: float, hi: float, *, even: bool = False) -> AfterValidator:
    """Validator whose error names the allowed range (pydantic's ge/le name only one bound)."""

    def check(value: float) -> float:
        if lo <= value <= hi and not (even and int(value) % 2):
            return value
        kind = "an even number" if even else "a value"
        raise PydanticCustomError(
            "out_of_range",
            "must be {kind} between {lo} and {hi}, got {value}",
            {"kind": kind, "lo": lo, "hi": hi, "value": value},
        )

    return AfterValidator(check)


def _not_bool(value: object) -> object:
    # Literal[1, ...] would accept True, since True == 1.
    if isinstance(value, bool):
        raise PydanticCustomError(
            "literal_error", "must be 1, 2, 4, 8 or 16, got {value}", {"value": value}
        )
    return value


BeatsPerCut = Annotated[Literal[1, 2, 4, 8, 16], BeforeValidator(_not_bool)]
TransitionMs = Annotated[int, ranged(0, MAX_TRANSITION_MS)]
Width = Annotated[int, ranged(160, 3840, even=True)]
Height = Annotated[int, ranged(120, 2160, even=True)]
Fps = Annotated[int, ranged(12, 60)]
BeatlessCutMs = Annotated[int, ranged(1000, 60_000)]


class _Strict(BaseModel):
    # Strict: "3" or True must not silently become a width or a duration.
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


class TransitionSettings(_Strict):
    """The transition the project wants at every cut; a cut's duration is ignored."""

    type: TransitionType = "cut"
    duration_ms: TransitionMs = 0


class KenBurnsSettings(_Strict):
    """Whether stills get a slow pan and zoom."""

    enabled: bool = True


class BeatlessSettings(_Strict):
    """How music with no clear beat is cut; None lets the song's length and media decide."""

    cut_ms: BeatlessCutMs | None = None


class OutputSettings(_Strict):
    """Output frame size (even, for yuv420p) and integer frame rate."""

    width: Width = 1280
    height: Height = 720
    fps: Fps = 30


class RenderSettings(_Strict):
    """Everything about a project that shapes its timeline and output."""

    beats_per_cut: BeatsPerCut = 4
    transition: TransitionSettings = TransitionSettings()
    ken_burns: KenBurnsSettings = KenBurnsSettings()
    beatless: BeatlessSettings = BeatlessSettings()
    output: OutputSettings = OutputSettings()
    # With fewer media than segments, segments that would repeat one show a clip the local
    # generator draws on the song's beats instead.
    fill_gaps: bool = False
