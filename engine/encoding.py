"""Encoder settings shared by clips, transitions and assembly, plus yuv420p frame helpers.

Every H.264 piece of one render (clip bodies and re-encoded transition regions) is
encoded with the same EncodeSettings, so all pieces share one SPS/PPS and can be joined
by stream copy. The frames a transition blends (a clip's head and tail) are kept in a
second, cheaper H.264 track of the clip file instead (add_edge_stream).

Frames travel between steps as one (height * 3 // 2, width) uint8 array in I420
layout: the Y plane, then U, then V (what PyAV's yuv420p ndarray is).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Literal, cast

import av
import numpy as np
import numpy.typing as npt
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from engine.render_settings import OutputSettings

Quality = Literal["preview", "final"]
I420 = npt.NDArray[np.uint8]

# Limited-range (BT.601/709 "TV") levels: what yuv420p H.264 carries.
Y_BLACK, Y_WHITE, C_NEUTRAL = 16, 235, 128


@dataclass(frozen=True)
class EncodeSettings:
    """Everything that shapes the H.264 bitstream; equal settings, joinable pieces."""

    width: int
    height: int
    fps: int
    preset: str = "veryfast"
    crf: int = 20
    codec: str = "libx264"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for cache keys."""
        return asdict(self)


# Final: the delivery quality. Preview: half size, the fastest preset, visibly softer.
_PRESETS: dict[Quality, tuple[str, int, int]] = {
    "final": ("veryfast", 20, 1),
    "preview": ("ultrafast", 28, 2),
}


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def encode_settings(output: OutputSettings, quality: Quality = "final") -> EncodeSettings:
    """The encoder settings of a quality preset for the project's output settings."""
    preset, crf, divisor = _PRESETS[quality]
    return EncodeSettings(
        width=_even(output.width / divisor),
        height=_even(output.height / divisor),
        fps=output.fps,
        preset=preset,
        crf=crf,
    )


def add_video_stream(container: av.container.OutputContainer, enc: EncodeSettings) -> VideoStream:
    """An H.264 yuv420p stream whose packets carry pts/dts in frames (time base 1/fps)."""
    stream = container.add_stream(
        enc.codec,
        rate=enc.fps,
        options={
            "preset": enc.preset,
            "crf": str(enc.crf),
            # A forced key frame (pict_type I) must be an IDR: pieces are cut there.
            "forced-idr": "1",
        },
    )
    assert isinstance(stream, VideoStream)
    stream.width = enc.width
    stream.height = enc.height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, enc.fps)
    stream.codec_context.time_base = Fraction(1, enc.fps)
    # Frame threading is ~25 % faster than libx264's default slice threading here.
    stream.codec_context.thread_type = "FRAME"
    return stream


# The edge track: ultrafast (about half the CPU of veryfast per frame here) and
# EDGE_CRF_STEP CRF steps finer than the delivery encode, so blending from it loses less
# than blending from the delivered encode would. Found by its handler name.
EDGE_HANDLER = "BeatStitch edges"
EDGE_PRESET = "ultrafast"
EDGE_CRF_STEP = 4


def add_edge_stream(container: av.container.OutputContainer, enc: EncodeSettings) -> VideoStream:
    """The clip's edge track: head and tail frames, an IDR where each part starts."""
    stream = container.add_stream(
        enc.codec,
        rate=enc.fps,
        options={
            "preset": EDGE_PRESET,
            "crf": str(max(0, enc.crf - EDGE_CRF_STEP)),
            "forced-idr": "1",
        },
    )
    assert isinstance(stream, VideoStream)
    stream.width = enc.width
    stream.height = enc.height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, enc.fps)
    stream.codec_context.time_base = Fraction(1, enc.fps)
    # A handful of frames: threads would cost more to start than they save.
    stream.codec_context.thread_count = 1
    stream.metadata["handler_name"] = EDGE_HANDLER
    return stream


def is_edge_stream(stream: av.stream.Stream) -> bool:
    """True for a clip's edge track (see add_edge_stream)."""
    return stream.metadata.get("handler_name") == EDGE_HANDLER


def to_frame(pixels: I420, index: int, fps: int, *, keyframe: bool = False) -> VideoFrame:
    """A yuv420p VideoFrame at pts `index` (in frames); keyframe forces an IDR."""
    frame = VideoFrame.from_ndarray(pixels, format="yuv420p")
    frame.pts = index
    frame.time_base = Fraction(1, fps)
    frame.pict_type = PictureType.I if keyframe else PictureType.NONE
    return frame


def from_frame(frame: VideoFrame) -> I420:
    """The I420 array of a decoded frame (converted to yuv420p if it is not)."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    return cast(I420, frame.to_ndarray())


def solid(width: int, height: int, y: int, u: int = C_NEUTRAL, v: int = C_NEUTRAL) -> I420:
    """A one-colour I420 frame given in limited-range YUV."""
    pixels = np.empty((height * 3 // 2, width), np.uint8)
    pixels[:height] = y
    quarter = height // 4
    pixels[height : height + quarter] = u
    pixels[height + quarter :] = v
    return pixels


def black(width: int, height: int) -> I420:
    """A black I420 frame."""
    return solid(width, height, Y_BLACK)


def white(width: int, height: int) -> I420:
    """A white I420 frame."""
    return solid(width, height, Y_WHITE)


def planes(pixels: I420, width: int, height: int) -> tuple[I420, I420, I420]:
    """Views of the Y, U and V planes of an I420 array."""
    cw, ch = width // 2, height // 2
    y = pixels[:height]
    chroma = pixels[height:].reshape(2, ch, cw)
    return y, chroma[0], chroma[1]


def join_planes(y: I420, u: I420, v: I420) -> I420:
    """One I420 array from separate Y, U and V planes."""
    height, width = y.shape
    out = np.empty((height * 3 // 2, width), np.uint8)
    out[:height] = y
    chroma = out[height:].reshape(2, height // 2, width // 2)
    chroma[0] = u
    chroma[1] = v
    return out
