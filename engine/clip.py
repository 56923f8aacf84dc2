"""Render one EDL segment to an intermediate H.264 clip at the output size and rate.

A clip covers the segment's render window (edl.render_window_ms): its own timeline
span plus the crossfade overlap its transitions need. Frame 0 of the window is timeline
frame frame_at(window start). The clip file holds only the body (see ClipLayout): the
window's frames outside its transitions, encoded with the render's EncodeSettings,
starting on an IDR, with pts 0 at its first frame; the assembler stream-copies it into
the output. The frames under the transitions (head and tail) are rendered by the
transition pieces themselves, from the same source with the same code (segment_frames),
so a piece shows exactly the pixels the clip would have shown.

Sources: a local path or an http(s)/HLS URL, opened through PyAV with connect and read
timeouts. Every failure raises EngineError with a reason the agents map to a fallback:
not_found, timeout, cdn_error (remote trouble), decode_error (not usable media).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import av.error
import cv2
import numpy as np
from av.container import InputContainer
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from engine.edl import Segment, frame_at, render_window_ms, transition_window_ms
from engine.encoding import (
    I420,
    EncodeSettings,
    add_video_stream,
    frame_planes,
    from_frame,
    join_planes,
    planes,
    set_decoder_threads,
    tune_allocator,
    yuv420p_frame,
)
from engine.errors import EngineError
from engine.files import atomic_output
from engine.media import MediaAsset
from engine.picture_cache import PictureCache, file_identity

# Source times are whole milliseconds; a frame within this of a wanted time is "at" it.
_TOLERANCE = Fraction(1, 1000)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a remote source to connect and for each read."""

    connect_s: float = 10.0
    read_s: float = 15.0


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


# --- opening sources and mapping failures -------------------------------------------


def is_remote(source: str) -> bool:
    """True for network URLs (http, https, HLS playlists over them)."""
    return source.split("://", 1)[0].lower() in {"http", "https", "hls", "tcp", "rtmp"}


# Opening an MP4 runs FFmpeg's stream probing (avformat_find_stream_info), which for
# H.264 without B-frames decodes 7 pictures to guess the decoder delay: 6 ms per open of
# a 720p proxy, about 100 opens per bench render. Files this engine wrote (proxies,
# clips, pieces) need nothing probing finds, so the probing decoders skip every picture;
# the stream's own decoder is a fresh one either way.
_NO_PROBE_DECODE = [{"skip_frame": "all"}] * 4


def open_source(
    source: str, timeouts: Timeouts = Timeouts(), *, own_proxy: bool = False
) -> InputContainer:
    """Open a local file or a URL for reading; failures raise a typed EngineError.

    `own_proxy`: a local video proxy this engine wrote (engine.proxy), opened without
    decoding while probing.
    """
    name = _display_name(source)
    if not is_remote(source):
        if not Path(source).exists():
            raise EngineError("not_found", f"{name}: file not found")
        # PyAV's stub says list[str]; it takes one dict of options per stream.
        probe: Any = _NO_PROBE_DECODE if own_proxy else ()
        try:
            return av.open(source, mode="r", metadata_errors="replace", stream_options=probe)
        except Exception as exc:  # noqa: BLE001 - mapped to a typed reason
            raise map_error(exc, name, remote=False) from None
    micros = str(int(timeouts.read_s * 1_000_000))
    options = {
        # FFmpeg's own socket timeout and per-read timeout (microseconds).
        "timeout": micros,
        "rw_timeout": micros,
        "reconnect": "0",
    }
    try:
        # PyAV's interrupt callback also bounds connect and DNS, which FFmpeg's
        # socket options alone do not.
        return av.open(
            source,
            mode="r",
            options=options,
            timeout=(timeouts.connect_s, timeouts.read_s),
            metadata_errors="replace",
        )
    except Exception as exc:  # noqa: BLE001
        raise map_error(exc, name, remote=True) from None


def map_error(exc: BaseException, name: str, *, remote: bool) -> EngineError:
    """The EngineError for an exception raised while opening or decoding a source."""
    if isinstance(exc, EngineError):
        return exc
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if isinstance(exc, av.error.HTTPNotFoundError):
        return EngineError("not_found", f"{name}: the media server has no such file (404)")
    if isinstance(exc, av.error.HTTPTooManyRequestsError):
        return EngineError("cdn_error", f"{name}: the media server is rate limiting (429)")
    if isinstance(exc, av.error.HTTPClientError):
        return EngineError("not_found", f"{name}: the media server refused the file ({detail})")
    if isinstance(exc, av.error.HTTPServerError | av.error.HTTPError):
        return EngineError("cdn_error", f"{name}: the media server failed ({detail})")
    if isinstance(exc, av.error.TimeoutError | av.error.ExitError | TimeoutError):
        return EngineError("timeout", f"{name}: no data from the media server in time")
    if isinstance(exc, av.error.FileNotFoundError | FileNotFoundError):
        return EngineError("not_found", f"{name}: file not found")
    if remote and isinstance(exc, av.error.FFmpegError | OSError):
        errno = getattr(exc, "errno", None)
        if errno is not None and errno in _NETWORK_ERRNOS:
            return EngineError("cdn_error", f"{name}: network error ({detail})")
    return EngineError("decode_error", f"{name}: not a readable picture or video ({detail})")


_NETWORK_ERRNOS = frozenset({104, 110, 111, 113, 101, 103, 32, 5})  # ECONNRESET, ... EIO


def _display_name(source: str) -> str:
    # Never echo query strings (signed CDN URLs carry credentials there).
    return source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or source


# --- geometry --------------------------------------------------------------------


@dataclass(frozen=True)
class Framing:
    """How decoded pictures become output frames.

    Decoded frames are scaled (PyAV reformat, staying in yuv420p) to work_w x work_h
    with square pixels, then turned clockwise by `rotation`; the result is the
    "picture". Without Ken Burns the output is a centred crop of the picture; with it,
    a window that moves and zooms inside the picture (cv2.warpAffine per plane).
    """

    work_w: int
    work_h: int
    rotation: int
    out_w: int
    out_h: int

    @property
    def picture(self) -> tuple[int, int]:
        """Picture size after rotation."""
        if self.rotation in (90, 270):
            return self.work_h, self.work_w
        return self.work_w, self.work_h


def _ceil_even(value: float) -> int:
    return max(2, 2 * math.ceil(value / 2 - 1e-9))


def plan_framing(
    frame_w: int,
    frame_h: int,
    display_aspect: float | None,
    rotation: int,
    out_w: int,
    out_h: int,
    max_zoom: float = 1.0,
) -> Framing:
    """Fill-and-crop framing: scale so the output (times max_zoom) fits inside the picture."""
    disp_w = frame_h * display_aspect if display_aspect else float(frame_w)
    disp_h = float(frame_h)
    rot_w, rot_h = (disp_h, disp_w) if rotation in (90, 270) else (disp_w, disp_h)
    # Ken Burns zooms in up to max_zoom: keep enough pixels that we never upscale there.
    scale = max(out_w / rot_w, out_h / rot_h) * max_zoom
    return Framing(
        work_w=_ceil_even(disp_w * scale),
        work_h=_ceil_even(disp_h * scale),
        rotation=rotation,
        out_w=out_w,
        out_h=out_h,
    )


_CV_ROTATION = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def picture_planes(frame: VideoFrame, framing: Framing) -> tuple[I420, I420, I420]:
    """Scale a decoded frame to the work size and rotate it: the picture's Y, U, V planes."""
    scaled = frame.reformat(width=framing.work_w, height=framing.work_h, format="yuv420p")
    y, u, v = planes(cast(I420, scaled.to_ndarray()), framing.work_w, framing.work_h)
    code = _CV_ROTATION.get(framing.rotation)
    if code is None:
        return y, u, v
    return _rotate(y, code), _rotate(u, code), _rotate(v, code)


def _rotate(plane: I420, code: int) -> I420:
    return cast(I420, cv2.rotate(plane, code))


def _warp_into(dst: I420, plane: I420, matrix: np.ndarray) -> None:
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size = (dst.shape[1], dst.shape[0])
    out = cv2.warpAffine(plane, matrix, size, dst=dst, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    if out is not dst:  # OpenCV wrote elsewhere (a view it could not use): copy it in
        np.copyto(dst, out)


def crop_centre(pic: tuple[I420, I420, I420], framing: Framing) -> I420:
    """The centred output-size crop of a picture, as one I420 array."""
    pic_w, pic_h = framing.picture
    # Even offsets keep the chroma planes aligned with luma.
    x0 = ((pic_w - framing.out_w) // 2) & ~1
    y0 = ((pic_h - framing.out_h) // 2) & ~1
    y, u, v = pic
    w, h = framing.out_w, framing.out_h
    return join_planes(
        y[y0 : y0 + h, x0 : x0 + w],
        u[y0 // 2 : (y0 + h) // 2, x0 // 2 : (x0 + w) // 2],
        v[y0 // 2 : (y0 + h) // 2, x0 // 2 : (x0 + w) // 2],
    )


def ken_burns_window(
    pic_w: int, pic_h: int, out_w: int, out_h: int, zoom: float, cx: float, cy: float
) -> tuple[float, float, float]:
    """Top-left (x, y) and width of the visible window, in picture pixels.

    Zoom 1 is the largest output-aspect window inside the picture; (cx, cy) is the
    wanted centre as fractions of the picture, moved as little as needed to keep the
    window inside it.
    """
    aspect = out_w / out_h
    base_w = min(pic_w, pic_h * aspect)
    win_w = base_w / zoom
    win_h = win_w / aspect
    x = min(max(cx * pic_w, win_w / 2), pic_w - win_w / 2) - win_w / 2
    y = min(max(cy * pic_h, win_h / 2), pic_h - win_h / 2) - win_h / 2
    return x, y, win_w


def warp_window(
    pic: tuple[I420, I420, I420], framing: Framing, x: float, y: float, win_w: float
) -> VideoFrame:
    """Resample a sub-pixel window of the picture to the output size (bilinear, per plane).

    The planes are resampled straight into a new yuv420p frame: no I420 array in between.
    """
    w, h = framing.out_w, framing.out_h
    s = win_w / w
    # Maps output pixel centres to picture coordinates (pixel i has its centre at i).
    tx = x + 0.5 * s - 0.5
    ty = y + 0.5 * s - 0.5
    luma = np.array([[s, 0.0, tx], [0.0, s, ty]])
    chroma = np.array([[s, 0.0, (tx + 0.5 * s - 0.5) / 2], [0.0, s, (ty + 0.5 * s - 0.5) / 2]])
    frame = VideoFrame(w, h, "yuv420p")
    dy, du, dv = frame_planes(frame)
    py, pu, pv = pic
    _warp_into(dy, py, luma)
    _warp_into(du, pu, chroma)
    _warp_into(dv, pv, chroma)
    return frame


# --- frame sources ------------------------------------------------------------------


@dataclass
class _Stats:
    decoded: int = 0
    decode_s: float = 0.0


def _video_stream(container: InputContainer, name: str) -> VideoStream:
    streams = [s for s in container.streams.video if s.codec_context is not None]
    if not streams:
        raise EngineError("decode_error", f"{name}: no video in this file")
    return streams[0]


def _timed(frames: Iterator[VideoFrame], stats: _Stats) -> Iterator[VideoFrame]:
    while True:
        began = time.perf_counter()
        try:
            frame = next(frames)
        except StopIteration:
            return
        finally:
            stats.decode_s += time.perf_counter() - began
        stats.decoded += 1
        yield frame


def sample_video(
    container: InputContainer,
    segment: Segment,
    frames: int,
    fps: int,
    stats: _Stats,
    start: int = 0,
) -> Iterator[VideoFrame]:
    """Exactly `frames` source frames for clip frames start, start + 1, ...

    Clip frame f shows source time in + f/fps. Seeks to the key frame before the first
    wanted time, then samples and holds (frame-rate conversion by holding the latest
    frame at or before each wanted time). Past source_out_ms or the end of the file the
    last frame is held. Starting later (start > 0) yields the same frames as starting at
    0 and dropping the first `start`: the seek only skips frames nothing here shows.
    """
    stream = _video_stream(container, "source")
    set_decoder_threads(stream)
    time_base = stream.time_base or Fraction(1, 90_000)
    origin = stream.start_time or 0
    first = Fraction(segment.source_in_ms, 1000)
    end = Fraction(segment.source_out_ms, 1000)
    wanted = first + Fraction(start, fps)
    # Frames at or after end - _TOLERANCE are never shown (the one before is held).
    seek_to = max(first, min(wanted, end - 2 * _TOLERANCE))
    if seek_to > 0:
        container.seek(origin + int(seek_to / time_base), stream=stream, backward=True)
    current: VideoFrame | None = None
    index = start
    stop = start + frames
    if wanted + _TOLERANCE < end - _TOLERANCE:
        latest = origin + int((wanted + _TOLERANCE) / time_base)  # the last pre-roll pts
    else:
        latest = origin + math.ceil((end - _TOLERANCE) / time_base) - 1
    for frame in _timed(_decode_skipping(container, stream, latest), stats):
        if frame.pts is None:
            continue
        at = (frame.pts - origin) * time_base
        if at >= end - _TOLERANCE and current is not None:
            break
        while index < stop and at > first + Fraction(index, fps) + _TOLERANCE:
            yield current if current is not None else frame
            index += 1
        if index >= stop:
            return
        current = frame
    if current is None:
        raise EngineError("decode_error", "no picture could be decoded in the source range")
    while index < stop:
        yield current
        index += 1


def _decode_skipping(
    container: InputContainer, stream: VideoStream, latest: int
) -> Iterator[VideoFrame]:
    """Decode `stream`, skipping non-reference frames no output frame can show.

    Before the first wanted time only the last frame at or before it (pts <= latest) is
    shown. A packet with pts p is not needed if a packet with pts in (p, latest] came
    before it in decode order (B-frames follow the frame after them); the decoder then
    drops it if no other frame refers to it (skip_frame NONREF). Exact for any frame
    rate, variable ones included.
    """
    ctx = stream.codec_context
    seen = None  # highest pts <= latest demuxed so far
    skipping = False
    for packet in container.demux(stream):
        pts = packet.pts
        skip = False
        if pts is not None and pts <= latest:
            skip = seen is not None and pts < seen
            seen = pts if seen is None else max(seen, pts)
        if skip != skipping:
            ctx.skip_frame = "NONREF" if skip else "DEFAULT"
            skipping = skip
        yield from stream.decode(packet)


def decode_still(container: InputContainer, stats: _Stats) -> VideoFrame:
    """The first picture of an image (or video) file."""
    stream = _video_stream(container, "source")
    for frame in _timed(container.decode(stream), stats):
        return frame
    raise EngineError("decode_error", "no picture could be decoded")


# --- rendering ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """How the pictures of the opened source are stored: rotation and display aspect."""

    rotation: int
    aspect: float | None


def _output_frames(
    segment: Segment,
    geometry: _Geometry,
    container: InputContainer,
    enc: EncodeSettings,
    frames: int,
    stats: _Stats,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[I420 | VideoFrame]:
    """Clip frames [start, stop) of a `frames`-long clip, as I420 arrays or (fast path)
    ready yuv420p VideoFrames; the same pixels whichever range is asked for."""
    stop = frames if stop is None else stop
    kb = segment.effects.ken_burns
    max_zoom = _max_zoom(segment)
    aspect, rotation = geometry.aspect, geometry.rotation
    if stop <= start:
        return
    if segment.media_type == "image":
        still = _decoded_still(container, stats)
        framing = plan_framing(
            still.width, still.height, aspect, rotation, enc.width, enc.height, max_zoom
        )
        pic = picture_planes(still, framing)
        if kb is None:
            static = crop_centre(pic, framing)
            for _ in range(start, stop):
                yield static
            return
        for f in range(start, stop):
            yield _ken_burns_frame(pic, framing, kb_at(segment, f, frames))
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
            framing_cache[size] = plan_framing(
                *size, aspect, rotation, enc.width, enc.height, max_zoom
            )
        framing = framing_cache[size]
        out: I420 | VideoFrame
        if kb is not None:
            out = _ken_burns_frame(
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


_stills: PictureCache[VideoFrame] = PictureCache(
    lambda frame: sum(plane.buffer_size for plane in frame.planes)
)


def _decoded_still(container: InputContainer, stats: _Stats) -> VideoFrame:
    """A still's decoded picture; a local file is decoded once per process."""
    identity = file_identity(container.name)
    if identity is None:
        return decode_still(container, stats)
    # Only the decode is shared: each use scales it for its own zoom and output.
    return _stills.get_or_make(identity, lambda: decode_still(container, stats))


def _max_zoom(segment: Segment) -> float:
    kb = segment.effects.ken_burns
    return max(kb.start_zoom, kb.end_zoom) if kb else 1.0


def proxy_fits(container: InputContainer, segment: Segment, enc: EncodeSettings) -> bool:
    """Whether an opened proxy serves this clip as well as its source would.

    A video proxy is cropped to the output aspect it was made for and must be at least
    as wide as the output; a still proxy must be large enough for the clip's zoom. A
    proxy made for other output settings is therefore never used (the source is).
    """
    streams = [s for s in container.streams.video if s.codec_context is not None]
    if not streams:
        return False
    w, h = streams[0].codec_context.width, streams[0].codec_context.height
    if not w or not h:
        return False
    if segment.media_type == "image":
        framing = plan_framing(w, h, None, 0, enc.width, enc.height, _max_zoom(segment))
        return framing.work_w <= w + 2 and framing.work_h <= h + 2
    same_aspect = abs(w * enc.height - h * enc.width) <= 0.01 * w * enc.height
    return same_aspect and w >= enc.width and h >= enc.height and _max_zoom(segment) <= 1.0


def _open_clip_source(
    segment: Segment,
    asset: MediaAsset,
    enc: EncodeSettings,
    source: str | None,
    timeouts: Timeouts,
) -> tuple[InputContainer, _Geometry, str, bool]:
    """Open what the clip renders from: `source`, else the asset's proxy, else its file.

    Returns the container, the geometry of its pictures, its name and whether it is
    the proxy. A proxy that is missing, unreadable or made for other output settings is
    passed over for the source: proxies make renders cheaper, never fail them.
    """
    original = _Geometry(asset.rotation, asset.display_aspect_ratio)
    if source is not None:
        return open_source(source, timeouts), original, source, False
    proxy = asset.proxy_path
    if proxy and not is_remote(proxy) and Path(proxy).is_file():
        try:
            container = open_source(proxy, timeouts, own_proxy=segment.media_type == "video")
        except EngineError:
            container = None
        if container is not None:
            if proxy_fits(container, segment, enc):
                # The proxy is upright with square pixels.
                return container, _Geometry(0, None), proxy, True
            container.close()
    return open_source(asset.path, timeouts), original, asset.path, False


def kb_at(segment: Segment, index: int, frames: int) -> tuple[float, float, float]:
    """Ken Burns (zoom, x, y) at clip frame `index`: zoom geometric, position linear."""
    kb = segment.effects.ken_burns
    if kb is None:
        return 1.0, 0.5, 0.5
    t = index / (frames - 1) if frames > 1 else 0.0
    # Geometric zoom looks like constant speed; a linear one seems to slow down.
    zoom = kb.start_zoom * (kb.end_zoom / kb.start_zoom) ** t
    return zoom, kb.start_x + (kb.end_x - kb.start_x) * t, kb.start_y + (kb.end_y - kb.start_y) * t


def _ken_burns_frame(
    pic: tuple[I420, I420, I420], framing: Framing, move: tuple[float, float, float]
) -> VideoFrame:
    zoom, cx, cy = move
    pic_w, pic_h = framing.picture
    x, y, win_w = ken_burns_window(pic_w, pic_h, framing.out_w, framing.out_h, zoom, cx, cy)
    return warp_window(pic, framing, x, y, win_w)


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
    asset's proxy if it has a usable one (_open_clip_source), else from asset.path.
    Only the body is encoded; the head and tail are the transition pieces' work.
    """
    began = time.perf_counter()
    tune_allocator()
    layout = clip_layout(segment, enc.fps)
    if layout.frames <= 0:
        raise EngineError("invalid_input", f"segment {segment.index} has no frames")
    src = source if source is not None else asset.path
    name = _display_name(src)
    remote = is_remote(src)
    from_proxy = False
    out = Path(out_path)
    stats = _Stats()
    encode_s = 0.0
    # A fresh encoder starts each body. Warming it up with 3 head frames (packets dropped)
    # bought 0.16 dB for 2.6 % more bytes and 4.5 % more CPU on the bench case: about the
    # trade a lower CRF makes, so it was dropped.
    body_first, body_end = layout.body
    try:
        opened, geometry, src, from_proxy = _open_clip_source(segment, asset, enc, source, timeouts)
        name = _display_name(src)
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
        raise _named(exc, name, remote) from None
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


def _named(exc: BaseException, name: str, remote: bool) -> EngineError:
    """An exception of rendering from source `name` as an EngineError naming the source."""
    if isinstance(exc, EngineError):
        if exc.message.startswith(f"{name}:"):
            return exc
        return EngineError(exc.reason, f"{name}: {exc.message}")
    return map_error(exc, name, remote=remote)


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
    name, remote = _display_name(src), is_remote(src)
    stats = _Stats()
    frames: list[I420] = []
    try:
        opened, geometry, src, from_proxy = _open_clip_source(segment, asset, enc, source, timeouts)
        name, remote = _display_name(src), is_remote(src)
        with opened as container:
            for pixels in _output_frames(
                segment, geometry, container, enc, layout.frames, stats, first, first + count
            ):
                frames.append(from_frame(pixels) if isinstance(pixels, VideoFrame) else pixels)
    except Exception as exc:
        raise _named(exc, name, remote) from None
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


# --- reading clips back ---------------------------------------------------------------


def open_intermediate(path: Path) -> InputContainer:
    """Open a clip or transition piece this engine wrote, without decoding while probing."""
    return av.open(str(path), stream_options=cast(Any, _NO_PROBE_DECODE))


def body_stream(container: InputContainer) -> VideoStream | None:
    """The stream-copied track of a clip or piece (its only H.264 track)."""
    for stream in container.streams.video:
        return stream
    return None


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
