"""Probe a media file with PyAV: what it is, its geometry, timing and codec."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import av.error
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import EngineError, MediaProbeError, decoder_words
from engine.formats import open_media
from engine.media import MediaAsset, Rotation
from engine.readable_span import readable_ms

ProbeKind = Literal["image", "video", "audio"]

# FFmpeg happily "decodes" text files as ANSI art (tty demuxer); that is not media.
_TEXT_FORMATS = frozenset({"tty", "bintext", "xbin", "adf", "idf"})
_TEXT_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})
# How many packets to read looking for a first decodable frame before giving up.
_MAX_PACKETS = 300
# The packets of sound decoded at upload, and the share of them (one in _FAILED_SHARE) that
# may fail to decode before the sound is taken for one FFmpeg cannot read.
_SOUND_PACKETS = 64
_FAILED_SHARE = 8
# A clip cut short keeps its readable part, if that is at least this long.
MIN_READABLE_MS = 500


class ProbeResult(BaseModel):
    """What probing found. Sizes are of the decoded frame, before rotation.

    `rotation` is the clockwise turn that makes a frame upright (see MediaAsset);
    `display_aspect_ratio` is width * sample_aspect_ratio / height.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProbeKind
    format_name: str
    codec: str
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    rotation: Rotation = 0
    sample_aspect_ratio: float | None = Field(default=None, gt=0)
    display_aspect_ratio: float | None = Field(default=None, gt=0)
    duration_ms: int | None = Field(default=None, ge=0)
    fps: float | None = Field(default=None, gt=0)
    has_audio: bool = False

    def to_media_asset(self, *, asset_id: str, path: str, checksum: str) -> MediaAsset:
        """The engine's MediaAsset for this file; audio-only files are not media assets."""
        if self.kind == "audio" or self.width is None or self.height is None:
            raise EngineError("invalid_input", f"{asset_id}: an audio file is not a photo or clip")
        return MediaAsset(
            id=asset_id,
            kind=self.kind,
            path=path,
            checksum=checksum,
            width=self.width,
            height=self.height,
            rotation=self.rotation,
            display_aspect_ratio=self.display_aspect_ratio,
            duration_ms=self.duration_ms if self.kind == "video" else None,
            fps=self.fps if self.kind == "video" else None,
        )


def probe(path: str | os.PathLike[str]) -> ProbeResult:
    """Probe a local file; raise MediaProbeError (not_found | decode_error | invalid_input)."""
    file = Path(path)
    name = file.name
    if not file.exists():
        raise MediaProbeError("not_found", f"{name}: file not found")
    if not file.is_file():
        raise MediaProbeError("invalid_input", f"{name}: not a regular file")
    if file.stat().st_size == 0:
        raise MediaProbeError("decode_error", f"{name}: the file is empty")
    try:
        local = open_media(
            str(file), name, remote=False, refuse_as=MediaProbeError, metadata_errors="replace"
        )
        with local as container:
            return _probe_container(container, name, file.stat().st_size)
    except MediaProbeError:
        raise
    except av.error.FileNotFoundError:
        raise MediaProbeError("not_found", f"{name}: file not found") from None
    except av.error.PermissionError:
        raise MediaProbeError("invalid_input", f"{name}: permission denied") from None
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise MediaProbeError("decode_error", _unreadable(name, exc)) from None


def _unreadable(name: str, exc: BaseException) -> str:
    return f"{name}: not a readable image, video or audio file ({decoder_words(exc)})"


def _probe_container(container: InputContainer, name: str, file_size: int) -> ProbeResult:
    fmt = container.format.name
    videos = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    audios = list(container.streams.audio)
    codecs = {s.codec_context.name for s in videos if s.codec_context is not None}
    if fmt in _TEXT_FORMATS or codecs & _TEXT_CODECS:
        raise MediaProbeError("decode_error", f"{name}: looks like a text file, not media")
    if videos:
        found = _probe_picture(container, videos[0], fmt, name, has_audio=bool(audios))
        if found.kind != "video":
            return found
        return _readable_part(container, videos[0], found, name, file_size)
    if audios:
        stream = audios[0]
        if stream.codec_context is None:
            raise MediaProbeError("decode_error", f"{name}: unsupported audio codec")
        # Decode a first block: a header FFmpeg parses says nothing of whether it can decode.
        _first_sound(container, stream, name)
        return ProbeResult(
            kind="audio",
            format_name=fmt,
            codec=stream.codec_context.name,
            duration_ms=_duration_ms(container, stream),
            has_audio=True,
        )
    raise MediaProbeError("decode_error", f"{name}: no picture or sound in this file")


def _probe_picture(
    container: InputContainer, stream: VideoStream, fmt: str, name: str, *, has_audio: bool
) -> ProbeResult:
    if stream.codec_context is None:
        raise MediaProbeError("decode_error", f"{name}: unsupported video codec")
    # Decode one frame: headers alone accept truncated or mislabelled files.
    frame = _first_frame(container, stream, name)
    sar = stream.sample_aspect_ratio or Fraction(1)
    duration = _duration_ms(container, stream)
    # Image demuxers (image2, png_pipe, jpeg_pipe, ...) and timeless single pictures.
    still = fmt == "image2" or fmt.endswith("_pipe") or (not duration and not has_audio)
    rate = stream.average_rate or stream.guessed_rate
    return ProbeResult(
        kind="image" if still else "video",
        format_name=fmt,
        codec=stream.codec_context.name,
        width=frame.width,
        height=frame.height,
        rotation=_rotation(frame, stream),
        sample_aspect_ratio=float(sar),
        display_aspect_ratio=float(frame.width * sar / frame.height),
        duration_ms=None if still else duration,
        fps=None if still or not rate else float(rate),
        has_audio=has_audio,
    )


def _readable_part(
    container: InputContainer, stream: VideoStream, found: ProbeResult, name: str, file_size: int
) -> ProbeResult:
    """A clip cut short keeps the part that decodes as its duration; too little is refused."""
    readable = readable_ms(container, stream, file_size)
    stated = found.duration_ms or 0
    if readable is None or readable >= stated:
        return found
    if readable < MIN_READABLE_MS:
        raise MediaProbeError(
            "decode_error",
            f"{name}: the file is cut short: only {readable / 1000:.1f} s of its "
            f"{stated / 1000:.1f} s of video can be decoded",
        )
    return found.model_copy(update={"duration_ms": readable})


def _first_frame(container: InputContainer, stream: VideoStream, name: str) -> VideoFrame:
    for count, packet in enumerate(container.demux(stream)):
        for frame in packet.decode():
            if isinstance(frame, VideoFrame) and frame.width > 0 and frame.height > 0:
                return frame
        if count >= _MAX_PACKETS:
            break
    raise MediaProbeError("decode_error", f"{name}: no picture could be decoded")


def _first_sound(container: InputContainer, stream: AudioStream, name: str) -> None:
    # A damaged packet at the start (junk before an MP3's first frame) is no reason to
    # refuse; a stream of which many packets fail is one FFmpeg misreads (it takes NMS ADPCM
    # in WAV for AMR and "decodes" three packets in four to noise).
    codec = stream.codec_context.name if stream.codec_context else "unknown"
    error: BaseException | None = None
    tried = failed = decoded = 0
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            tried += 1
            try:
                decoded += any(frame.samples > 0 for frame in packet.decode())
            except (av.error.FFmpegError, ValueError) as exc:
                error, failed = exc, failed + 1
            if tried >= _SOUND_PACKETS:
                break
    except (av.error.FFmpegError, ValueError) as exc:
        error, failed = exc, failed + 1
    if decoded and failed * _FAILED_SHARE <= tried:
        return
    if error is None:
        raise MediaProbeError("decode_error", f"{name}: no sound could be decoded from it")
    raise MediaProbeError(
        "decode_error", f"{name}: its {codec} sound cannot be decoded ({decoder_words(error)})"
    )


def _rotation(frame: VideoFrame, stream: VideoStream) -> Rotation:
    # The display matrix (or EXIF orientation) reaches decoded frames as a
    # counter-clockwise angle; we store the clockwise turn, like the old `rotate` tag.
    ccw = float(frame.rotation)
    tags = {key.lower(): value for key, value in stream.metadata.items()}  # MKV says ROTATE
    if ccw == 0 and "rotate" in tags:
        try:
            ccw = -float(tags["rotate"])
        except ValueError:
            ccw = 0.0
    turns = round(-ccw / 90) % 4
    rotations: tuple[Rotation, ...] = (0, 90, 180, 270)
    return rotations[turns]


def _duration_ms(container: InputContainer, stream: av.stream.Stream) -> int | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return round(stream.duration * stream.time_base * 1000)
    if container.duration is not None and container.duration > 0:
        # Container duration is in AV_TIME_BASE (microsecond) units.
        return round(container.duration / 1000)
    return None
