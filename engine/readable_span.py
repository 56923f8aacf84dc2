"""How much of a video that was cut short can be read.

An MP4 whose index sits at the front (faststart) still opens when its tail is missing: the
index promises every frame, and the frames past the end of the file only fail when a
decoder reaches them. The probe asks here whether the stated end can be reached and, if not,
where the last decodable frame ends, so that a timeline uses only the part that exists.
"""

from __future__ import annotations

from fractions import Fraction

import av.error
from av.container import InputContainer
from av.packet import Packet
from av.video.stream import VideoStream

# How far before the stated end the cheap check seeks: past one keyframe interval of most
# phone footage, so the packets up to the end are read from the keyframe before them.
_TAIL_S = 2


def _complete(packet: Packet, file_size: int) -> bool:
    # A packet the file ends inside is returned shortened and marked corrupt; a demuxer that
    # does not say where a packet lies cannot be judged by its place.
    if packet.is_corrupt:
        return False
    return packet.pos is None or packet.pos < 0 or packet.pos + packet.size <= file_size


def _tail_is_whole(container: InputContainer, stream: VideoStream, file_size: int) -> bool:
    """Whether the packets of the stated last seconds all lie within the file."""
    end = stream.duration or 0
    start = stream.start_time or 0
    tail = round(_TAIL_S / stream.time_base) if stream.time_base else 0
    container.seek(max(start, start + end - tail), stream=stream, backward=True, any_frame=False)
    try:
        packets = [p for p in container.demux(stream) if p.size > 0]
    except av.error.FFmpegError:
        return False
    if not packets or not all(_complete(p, file_size) for p in packets):
        return False
    # The demuxer stops quietly at the end of the file: the packets must reach the stated end.
    reached = max((p.pts or 0) + (p.duration or 0) for p in packets)
    frame = max((p.duration or 0) for p in packets)
    return reached + frame // 2 >= start + end


def _last_whole_keyframe(container: InputContainer, stream: VideoStream, file_size: int) -> int:
    """The pts of the last keyframe whose packet lies whole within the file."""
    container.seek(stream.start_time or 0, stream=stream, backward=True, any_frame=False)
    last: int | None = None
    for packet in container.demux(stream):
        if packet.size == 0 or not _complete(packet, file_size):
            break
        if packet.is_keyframe and packet.pts is not None:
            last = packet.pts
    return last if last is not None else (stream.start_time or 0)


def _decodable_end(
    container: InputContainer, stream: VideoStream, keyframe_pts: int, file_size: int
) -> Fraction:
    """The end time of the last frame that decodes, decoding from `keyframe_pts` on."""
    container.seek(keyframe_pts, stream=stream, backward=True, any_frame=False)
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    end = Fraction(0)
    try:
        for packet in container.demux(stream):
            if packet.size > 0 and not _complete(packet, file_size):
                break
            for frame in packet.decode():
                if frame.pts is not None and frame.time_base is not None:
                    end = max(end, frame.pts * frame.time_base + 1 / Fraction(rate))
    except (av.error.FFmpegError, ValueError):
        pass  # the first frame that does not decode marks the end of what can be read
    return end


def readable_ms(container: InputContainer, stream: VideoStream, file_size: int) -> int | None:
    """The milliseconds of `stream` that can be read, or None when its stated end is reached
    (the common case, found by reading only its last seconds)."""
    if stream.duration is None or stream.time_base is None or stream.duration <= 0:
        return None
    try:
        if _tail_is_whole(container, stream, file_size):
            return None
        keyframe = _last_whole_keyframe(container, stream, file_size)
        end = _decodable_end(container, stream, keyframe, file_size)
    except (av.error.FFmpegError, ValueError, OSError):
        return None  # seeking is not possible here: trust the stated duration
    start = (stream.start_time or 0) * stream.time_base
    return max(0, round((end - start) * 1000))
