"""Thumbnails of uploaded photos and clips: one upright, downscaled JPEG picture."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

import av
import av.error
import cv2
import numpy as np
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from engine.errors import MediaProbeError, decoder_words
from engine.files import atomic_output
from engine.formats import open_media
from engine.probe import ProbeResult, probe

JPEG_QUALITY = 85
# A video's picture comes from this far in: first frames are often black or a fade-in.
AT_FRACTION = Fraction(1, 10)
# Frames decoded from the key frame before that point at most; long GOPs settle for earlier.
_MAX_FRAMES = 120
# The clockwise turn of MediaAsset.rotation, as engine.framing applies it.
_CV_ROTATION = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def make_thumbnail(source: Path, out: Path, *, max_side: int = 320) -> tuple[int, int]:
    """Write a JPEG of the picture (a video's frame ~10 % in) and return its (width, height)."""
    # probe() gives the typed errors for missing, empty, text and corrupt files, and reads
    # rotation and pixel aspect by the same rules the renderer uses.
    info = probe(source)
    if info.kind == "audio":
        raise MediaProbeError("invalid_input", f"{source.name}: an audio file has no picture")
    width, height = thumbnail_size(info, max_side)
    turned = info.rotation in (90, 270)
    try:
        local = open_media(
            str(source),
            source.name,
            remote=False,
            refuse_as=MediaProbeError,
            metadata_errors="replace",
        )
        with local as container:
            frame = _pick_frame(container, info, source.name)
            # One swscale pass scales, fixes pixel aspect and converts to BGR for OpenCV.
            scaled = frame.reformat(
                width=height if turned else width,
                height=width if turned else height,
                format="bgr24",
                interpolation="AREA",
            )
            pixels = np.asarray(scaled.to_ndarray(), np.uint8)
    except MediaProbeError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise MediaProbeError(
            "decode_error", f"{source.name}: no picture ({decoder_words(exc)})"
        ) from None
    if (code := _CV_ROTATION.get(info.rotation)) is not None:
        pixels = np.asarray(cv2.rotate(pixels, code), np.uint8)
    ok, jpeg = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise MediaProbeError("decode_error", f"{source.name}: the picture cannot be a JPEG")
    # Written aside and renamed: the API may serve the thumbnail while a new one is made.
    with atomic_output(out) as aside:
        aside.write_bytes(jpeg.tobytes())
    return width, height


def thumbnail_size(info: ProbeResult, max_side: int) -> tuple[int, int]:
    """Upright display size scaled down so the longer side is at most max_side."""
    if info.width is None or info.height is None:
        raise MediaProbeError("invalid_input", "an audio file has no picture")
    # Stretch the width for non-square pixels, keeping the height, as FFmpeg's DAR does.
    display_w = info.height * info.display_aspect_ratio if info.display_aspect_ratio else info.width
    w, h = (info.height, display_w) if info.rotation in (90, 270) else (display_w, info.height)
    scale = min(1.0, max_side / max(w, h))  # never upscale: a thumbnail is no sharper for it
    return max(1, round(w * scale)), max(1, round(h * scale))


def _pick_frame(container: InputContainer, info: ProbeResult, name: str) -> VideoFrame:
    stream = next(
        s for s in container.streams.video if not s.disposition & Disposition.attached_pic
    )
    if info.kind == "video" and info.duration_ms:
        target = Fraction(info.duration_ms, 1000) * AT_FRACTION
        frame = _frame_at(container, stream, target)
        if frame is not None:
            return frame
        container.seek(0)  # a duration that overstates the stream: take the first picture
    frame = _frame_at(container, stream, None)
    if frame is None:
        raise MediaProbeError("decode_error", f"{name}: no picture could be decoded")
    return frame


def _frame_at(
    container: InputContainer, stream: VideoStream, target: Fraction | None
) -> VideoFrame | None:
    """The first frame at or after target seconds (None: the first frame), or None if none."""
    time_base = stream.time_base or Fraction(1, 90_000)
    origin = stream.start_time or 0
    if target is not None:
        # Not seekable: decode forward from the start instead.
        with contextlib.suppress(av.error.FFmpegError):
            container.seek(origin + int(target / time_base), stream=stream, backward=True)
    chosen = None
    for count, frame in enumerate(container.decode(stream)):
        chosen = frame
        if target is None or frame.pts is None or count >= _MAX_FRAMES:
            break
        if (frame.pts - origin) * time_base >= target:
            break
    return chosen
