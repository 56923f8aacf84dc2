"""Encoder settings shared by clips, transitions and assembly, plus yuv420p frame helpers.

Every H.264 piece of one render (clip bodies and re-encoded transition regions) is
encoded with the same EncodeSettings, so all pieces share one SPS/PPS and can be joined
by stream copy. The frames a transition blends are rendered from the sources by the
transition piece itself (clip.segment_frames), never stored in between.

Frames travel between steps as one (height * 3 // 2, width) uint8 array in I420
layout: the Y plane, then U, then V (what PyAV's yuv420p ndarray is).
"""

from __future__ import annotations

import ctypes
import os
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
    if _threads:
        stream.codec_context.thread_count = _threads
    return stream


# Codec threads per encoder/decoder; 0 lets FFmpeg use one per core. Once as many
# encoders run at once as there are cores, one thread each is best: the bench case with
# proxies took 21.8 s / 41.8 CPU-s with 1 thread against 24.8 s / 47.6 CPU-s with one per
# core (thread hand-offs on 8-frame pieces and oversubscription cost CPU). Fewer
# encoders than cores need the threads. BEATSTITCH_CODEC_THREADS overrides both.
_env_threads = os.environ.get("BEATSTITCH_CODEC_THREADS", "")
_threads = int(_env_threads or 0)


def threads_for_parallelism(parallel: int, cores: int | None = None) -> int:
    """Codec threads per encoder when `parallel` encoders share the machine (0: automatic)."""
    if _env_threads:
        return int(_env_threads)
    cores = cores or os.cpu_count() or 1
    return 1 if parallel >= cores else 0


def set_codec_threads(count: int) -> None:
    """Threads for each encoder and decoder this process opens from now on (0: automatic)."""
    global _threads
    _threads = max(0, count)


_allocator_tuned = False


def tune_allocator() -> None:
    """Let this process keep freed frame buffers instead of returning them (glibc only).

    Rendering allocates and frees megabyte frame buffers from several codec threads;
    glibc hands such blocks back to the kernel and page-faults them in again, about
    450 faults (4 KB each) per output frame. Keeping up to 256 MB mapped cuts the faults
    7-fold and the clip CPU by about 10 %. Done once per process, by render_clip and
    render_transition; BEATSTITCH_MALLOC_TUNING=0 turns it off.
    """
    global _allocator_tuned
    if _allocator_tuned or os.environ.get("BEATSTITCH_MALLOC_TUNING") == "0":
        return
    _allocator_tuned = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value
    mallopt(m_trim_threshold, 256 << 20)
    mallopt(m_top_pad, 64 << 20)


def set_decoder_threads(stream: VideoStream) -> None:
    """Frame and slice threading for a source decoder, with the process's thread count."""
    stream.codec_context.thread_type = "AUTO"
    if _threads:
        stream.codec_context.thread_count = _threads


def frame_planes(frame: VideoFrame) -> tuple[I420, I420, I420]:
    """Writable views (no copy) of a yuv420p VideoFrame's Y, U and V planes."""
    # A Plane exports its buffer (writable); PyAV's stub does not say so.
    y, u, v = (
        cast(
            I420, np.frombuffer(cast(Any, p), np.uint8).reshape(p.height, p.line_size)[:, : p.width]
        )
        for p in frame.planes
    )
    return y, u, v


def yuv420p_frame(pixels: I420) -> VideoFrame:
    """A VideoFrame holding a copy of an I420 array.

    Copying the planes into a new frame costs a third of VideoFrame.from_ndarray's
    0.27 ms per 720p frame, paid for every Ken Burns and transition frame.
    """
    height, width = pixels.shape[0] * 2 // 3, pixels.shape[1]
    frame = VideoFrame(width, height, "yuv420p")
    for dst, src in zip(frame_planes(frame), planes(pixels, width, height), strict=True):
        np.copyto(dst, src)
    return frame


def to_frame(pixels: I420, index: int, fps: int, *, keyframe: bool = False) -> VideoFrame:
    """A yuv420p VideoFrame at pts `index` (in frames); keyframe forces an IDR."""
    frame = yuv420p_frame(pixels)
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
