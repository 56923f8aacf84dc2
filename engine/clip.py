"""Render one EDL segment to an intermediate H.264 clip at the output size and rate.

A clip covers the segment's render window (edl.render_window_ms): its own timeline
span plus the crossfade overlap its transitions need. Frame 0 of the window is timeline
frame frame_at(window start). The clip file holds only the body (see ClipLayout): the
window's frames outside its transitions, encoded with the render's EncodeSettings,
starting on an IDR, with pts 0 at its first frame; the assembler stream-copies it into
the output. The frames under the transitions (head and tail) are rendered by the
transition pieces themselves, from the same source with the same code (segment_frames),
so a piece shows exactly the pixels the clip would have shown.

A clip's pixels come from its source (sources.open_segment_source), decoded
(decoding) and framed (framing); failures raise EngineError naming the source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import InputContainer
from av.video.frame import PictureType, VideoFrame

from engine.decoding import DecodeStats, decoded_still, sample_video
from engine.edl import Segment, frame_at, render_window_ms, transition_window_ms
from engine.encoding import (
    I420,
    EncodeSettings,
    add_video_stream,
    from_frame,
    tune_allocator,
    yuv420p_frame,
)
from engine.errors import EngineError
from engine.files import atomic_output
from engine.framing import (
    Framing,
    crop_centre,
    kb_at,
    ken_burns_frame,
    max_zoom,
    picture_planes,
    plan_framing,
)
from engine.media import MediaAsset
from engine.sources import (
    Geometry,
    Timeouts,
    body_stream,
    display_name,
    is_remote,
    named_error,
    open_intermediate,
    open_segment_source,
)


@dataclass(frozen=True)
class ClipLayout:
    """Where a clip sits on the timeline and which of its frames transitions render.

    Frames [0, head) belong to the transition in, [frames - tail, frames) to the
    transition out; the body in between is what the clip file holds and what is
    stream-copied into the output: body frame k (pts k) is clip frame head + k.
    """

    start_frame: int
    frames: int
    head: int
    tail: int

    @property
    def body(self) -> tuple[int, int]:
        """Clip-local frame range [start, end) that is stream-copied."""
        return self.head, self.frames - self.tail

    @property
    def body_frames(self) -> int:
        """Number of frames in the body track."""
        return self.frames - self.tail - self.head


@dataclass
class ClipResult:
    """A rendered clip and what it cost (seconds per stage, frames decoded vs used).

    `frames` is the length of the render window; the file holds its body only.
    """

    path: Path
    frames: int
    decoded_frames: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    from_proxy: bool = False


def clip_layout(segment: Segment, fps: int) -> ClipLayout:
    """The clip's frame count and transition regions; pure timing arithmetic."""
    window_start, window_end = render_window_ms(segment)
    start, end = frame_at(window_start, fps), frame_at(window_end, fps)
    head = tail = 0
    if segment.transition_in.type != "cut":
        _, t_end = transition_window_ms(segment.timeline_in_ms, segment.transition_in)
        head = frame_at(t_end, fps) - start
    if segment.transition_out.type != "cut":
        t_start, _ = transition_window_ms(segment.timeline_out_ms, segment.transition_out)
        tail = end - frame_at(t_start, fps)
    frames = end - start
    # Transitions are at most half a segment, so head and tail never overlap; clamp anyway.
    head = max(0, min(head, frames))
    tail = max(0, min(tail, frames - head))
    return ClipLayout(start_frame=start, frames=frames, head=head, tail=tail)


def _output_frames(
    segment: Segment,
    geometry: Geometry,
    container: InputContainer,
    enc: EncodeSettings,
    frames: int,
    stats: DecodeStats,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[I420 | VideoFrame]:
    """Clip frames [start, stop) of a `frames`-long clip, as I420 arrays or (fast path)
    ready yuv420p VideoFrames; the same pixels whichever range is asked for."""
    stop = frames if stop is None else stop
    kb = segment.effects.ken_burns
    zoom = max_zoom(segment)
    aspect, rotation = geometry.aspect, geometry.rotation
    if stop <= start:
        return
    if segment.media_type == "image":
        still = decoded_still(container, stats)
        framing = plan_framing(
            still.width, still.height, aspect, rotation, enc.width, enc.height, zoom
        )
        pic = picture_planes(still, framing)
        if kb is None:
            static = crop_centre(pic, framing)
            for _ in range(start, stop):
                yield static
            return
        for f in range(start, stop):
            yield ken_burns_frame(pic, framing, kb_at(segment, f, frames))
        return

    framing_cache: dict[tuple[int, int], Framing] = {}
    last: tuple[VideoFrame, I420 | VideoFrame] | None = None
    sampled = sample_video(container, segment, stop - start, enc.fps, stats, start)
    for f, frame in enumerate(sampled, start):
        if last is not None and last[0] is frame and kb is None:
            yield last[1]  # a held frame: reuse the processed picture
            continue
        size = (frame.width, frame.height)
        if size not in framing_cache:
            framing_cache[size] = plan_framing(*size, aspect, rotation, enc.width, enc.height, zoom)
        framing = framing_cache[size]
        out: I420 | VideoFrame
        if kb is not None:
            out = ken_burns_frame(
                picture_planes(frame, framing), framing, kb_at(segment, f, frames)
            )
        elif framing.rotation == 0 and framing.picture == (enc.width, enc.height):
            # Same aspect, upright: one swscale call in yuv420p, no numpy round trip.
            out = frame.reformat(
                width=enc.width, height=enc.height, format="yuv420p", interpolation="BILINEAR"
            )
        else:
            out = crop_centre(picture_planes(frame, framing), framing)
        last = (frame, out)
        yield out


def render_clip(
    segment: Segment,
    asset: MediaAsset,
    out_path: str | os.PathLike[str],
    enc: EncodeSettings,
    *,
    source: str | None = None,
    timeouts: Timeouts = Timeouts(),
) -> ClipResult:
    """Render a segment's clip body to an H.264 MP4 at out_path.

    From `source` if given (a URL or local copy chosen by the caller), else from the
    asset's proxy if it has a usable one (sources.open_segment_source), else from asset.path.
    Only the body is encoded; the head and tail are the transition pieces' work.
    """
    began = time.perf_counter()
    tune_allocator()
    layout = clip_layout(segment, enc.fps)
    if layout.frames <= 0:
        raise EngineError("invalid_input", f"segment {segment.index} has no frames")
    src = source if source is not None else asset.path
    name = display_name(src)
    remote = is_remote(src)
    from_proxy = False
    out = Path(out_path)
    stats = DecodeStats()
    encode_s = 0.0
    # A fresh encoder starts each body. Warming it up with 3 head frames (packets dropped)
    # bought 0.16 dB for 2.6 % more bytes and 4.5 % more CPU on the bench case: about the
    # trade a lower CRF makes, so it was dropped.
    body_first, body_end = layout.body
    try:
        opened, geometry, src, from_proxy = open_segment_source(
            segment, asset, enc, source, timeouts
        )
        name = display_name(src)
        remote = is_remote(src)
        with (
            atomic_output(out) as tmp,
            opened as container,
            av.open(str(tmp), "w", format="mp4") as dst,
        ):
            body = add_video_stream(dst, enc)
            if body_end <= body_first:
                # Nothing to encode (transitions take the whole window): still a valid file.
                dst.start_encoding()

            rate = Fraction(1, enc.fps)
            pictures = _output_frames(
                segment, geometry, container, enc, layout.frames, stats, body_first, body_end
            )
            for index, pixels in enumerate(pictures, body_first):
                t0 = time.perf_counter()
                frame = pixels if isinstance(pixels, VideoFrame) else yuv420p_frame(pixels)
                frame.time_base = rate
                frame.pts = index - body_first
                # Decoded frames keep their source picture type; only our cuts are IDRs.
                starts = index == body_first
                frame.pict_type = PictureType.I if starts else PictureType.NONE
                dst.mux(body.encode(frame))
                encode_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            dst.mux(body.encode())
            encode_s += time.perf_counter() - t0
    except Exception as exc:
        raise named_error(exc, name, remote) from None
    total = time.perf_counter() - began
    return ClipResult(
        path=out,
        frames=layout.frames,
        decoded_frames=stats.decoded,
        from_proxy=from_proxy,
        timings={
            "decode": stats.decode_s,
            "encode": encode_s,
            "process": max(0.0, total - stats.decode_s - encode_s),
            "total": total,
        },
    )


@dataclass
class SegmentFrames:
    """Frames of a segment's render window rendered apart from its clip (segment_frames)."""

    frames: list[I420]
    decoded_frames: int = 0
    from_proxy: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def segment_frames(
    segment: Segment,
    asset: MediaAsset,
    enc: EncodeSettings,
    first: int,
    count: int,
    *,
    source: str | None = None,
    timeouts: Timeouts = Timeouts(),
) -> SegmentFrames:
    """Clip frames [first, first + count) of the segment's render window, not encoded.

    The same source choice (source, else a fitting proxy, else the file), decoding,
    scaling and Ken Burns as render_clip, so these are the pixels its clip would have
    shown at those frames; transition pieces blend them (assemble.render_transition).
    """
    began = time.perf_counter()
    tune_allocator()
    layout = clip_layout(segment, enc.fps)
    if first < 0 or count < 0 or first + count > layout.frames:
        raise EngineError(
            "invalid_input",
            f"segment {segment.index} has no frames {first}..{first + count - 1}",
        )
    if count == 0:
        return SegmentFrames([])
    src = source if source is not None else asset.path
    name, remote = display_name(src), is_remote(src)
    stats = DecodeStats()
    frames: list[I420] = []
    try:
        opened, geometry, src, from_proxy = open_segment_source(
            segment, asset, enc, source, timeouts
        )
        name, remote = display_name(src), is_remote(src)
        with opened as container:
            for pixels in _output_frames(
                segment, geometry, container, enc, layout.frames, stats, first, first + count
            ):
                frames.append(from_frame(pixels) if isinstance(pixels, VideoFrame) else pixels)
    except Exception as exc:
        raise named_error(exc, name, remote) from None
    total = time.perf_counter() - began
    return SegmentFrames(
        frames=frames,
        decoded_frames=stats.decoded,
        from_proxy=from_proxy,
        timings={
            "decode": stats.decode_s,
            "process": max(0.0, total - stats.decode_s),
            "total": total,
        },
    )


def clip_frames(path: Path, layout: ClipLayout, fps: int) -> list[I420]:
    """Every frame a clip file holds, in order: its body (layout.body_frames frames).

    The head and tail of the render window are not in the file; segment_frames renders
    them (transition pieces do).
    """
    body: list[I420] = []
    if layout.body_frames == 0:
        return body  # a body-less clip is an MP4 without samples (render_clip)
    try:
        with open_intermediate(path) as container:
            stream = body_stream(container)
            if stream is not None:
                body = [from_frame(f) for f in container.decode(stream)]
    except av.error.FFmpegError as exc:
        raise EngineError("decode_error", f"{path.name}: unreadable clip ({exc})") from None
    if len(body) != layout.body_frames:
        raise EngineError("decode_error", f"{path.name}: has {len(body)} body frames")
    return body
