"""Decoding source pictures: the video frames a clip shows, and a still's one picture.

A video is sampled at the output rate from the segment's source range (sample_video):
seek to the key frame before the first wanted time, skip the pre-roll pictures nothing
shows, hold the latest frame at or before each wanted time. A still is decoded once per
process and shared between its uses (decoded_still).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from engine.edl import Segment
from engine.encoding import set_decoder_threads
from engine.errors import EngineError
from engine.picture_cache import PictureCache, file_identity

# Source times are whole milliseconds; a frame within this of a wanted time is "at" it.
_TOLERANCE = Fraction(1, 1000)


@dataclass
class DecodeStats:
    """Pictures decoded so far and the seconds spent decoding them."""

    decoded: int = 0
    decode_s: float = 0.0


def _video_stream(container: InputContainer, name: str) -> VideoStream:
    streams = [s for s in container.streams.video if s.codec_context is not None]
    if not streams:
        raise EngineError("decode_error", f"{name}: no video in this file")
    return streams[0]


def _timed(frames: Iterator[VideoFrame], stats: DecodeStats) -> Iterator[VideoFrame]:
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
    stats: DecodeStats,
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


def decode_still(container: InputContainer, stats: DecodeStats) -> VideoFrame:
    """The first picture of an image (or video) file."""
    stream = _video_stream(container, "source")
    for frame in _timed(container.decode(stream), stats):
        return frame
    raise EngineError("decode_error", "no picture could be decoded")


_stills: PictureCache[VideoFrame] = PictureCache(
    lambda frame: sum(plane.buffer_size for plane in frame.planes)
)


def decoded_still(container: InputContainer, stats: DecodeStats) -> VideoFrame:
    """A still's decoded picture; a local file is decoded once per process."""
    identity = file_identity(container.name)
    if identity is None:
        return decode_still(container, stats)
    # Only the decode is shared: each use scales it for its own zoom and output.
    return _stills.get_or_make(identity, lambda: decode_still(container, stats))
