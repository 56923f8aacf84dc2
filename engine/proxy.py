"""Upload-time proxies: sources pre-shaped for the output, so renders decode little.

A video proxy is the source transcoded once to the output size: fill-and-crop to the
output aspect (exactly what clip rendering does without Ken Burns), rotation and
display aspect applied (square pixels, upright), the source's timestamps kept (so
source_in/out_ms mean the same frames), H.264 without B-frames, a key frame every
PROXY_GOP frames and x264's fastdecode tune, so a seek decodes at most PROXY_GOP - 1
frames before a cut and every frame decodes cheaply. A still proxy is the picture
upright and scaled down to what Ken Burns needs at the output size (PROXY_STILL_ZOOM
times the output, fill, aspect kept: the pan moves over the whole picture), as JPEG.

Clip rendering uses MediaAsset.proxy_path when present (clip.render_clip); the clip
cache key then names the proxy's checksum (clip_cache.clip_key).
"""

from __future__ import annotations

import hashlib
import os
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import cv2
import numpy as np
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from engine.encoding import I420, set_decoder_threads, tune_allocator
from engine.errors import EngineError
from engine.files import atomic_output
from engine.framing import Framing, crop_centre, picture_planes, plan_framing
from engine.probe import probe
from engine.render_settings import OutputSettings
from engine.sources import open_source

# Bump when the recipe changes: proxies made by another recipe should be remade.
PROXY_VERSION = 1
PROXY_GOP = 10  # frames between key frames: a cut decodes at most 9 frames it does not show
PROXY_PRESET = "fast"  # made once per upload: spend a little more for quality
PROXY_CRF = 16  # finer than any delivery preset, so the second generation loses little
PROXY_STILL_ZOOM = 2.0  # the largest Ken Burns zoom (edl.KenBurns)
PROXY_JPEG_QUALITY = 95


def make_proxy(source: Path, out: Path, output: OutputSettings) -> Path:
    """Write the proxy of a video or still `source` for `output` to `out` (atomically).

    Video proxies are MP4 (H.264); still proxies are JPEG (PNG if `out` ends in .png).
    Raises EngineError (not_found, decode_error) for a source that cannot be read.
    """
    tune_allocator()
    info = probe(source)
    if info.kind == "audio":
        raise EngineError("invalid_input", f"{source.name}: an audio file has no proxy")
    try:
        # The suffix stays last: the still writer picks JPEG or PNG from it.
        with atomic_output(out, out.suffix) as tmp:
            if info.kind == "image":
                _still_proxy(source, tmp, output, info.rotation, info.display_aspect_ratio)
            else:
                _video_proxy(source, tmp, output, info.rotation, info.display_aspect_ratio)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise EngineError("decode_error", f"{source.name}: proxy failed ({exc})") from None
    return out


def _video_proxy(
    source: Path, out: Path, output: OutputSettings, rotation: int, aspect: float | None
) -> None:
    with open_source(str(source)) as src, av.open(str(out), "w", format="mp4") as dst:
        streams = [s for s in src.streams.video if s.codec_context is not None]
        if not streams:
            raise EngineError("decode_error", f"{source.name}: no video in this file")
        stream = streams[0]
        set_decoder_threads(stream)
        time_base = stream.time_base or Fraction(1, 90_000)
        origin = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        enc = dst.add_stream(
            "libx264",
            rate=rate,
            options={
                "preset": PROXY_PRESET,
                "crf": str(PROXY_CRF),
                "tune": "fastdecode",
                "bf": "0",
                "keyint": str(PROXY_GOP),
                "min-keyint": str(PROXY_GOP),
                "sc_threshold": "0",
            },
        )
        assert isinstance(enc, VideoStream)
        enc.width, enc.height, enc.pix_fmt = output.width, output.height, "yuv420p"
        # The source's time base and timestamps (from 0): source times keep their frames.
        enc.time_base = time_base
        enc.codec_context.time_base = time_base
        enc.codec_context.gop_size = PROXY_GOP
        enc.codec_context.thread_type = "FRAME"
        last_pts = -1
        step = max(1, round(1 / (rate * time_base)))
        framings: dict[tuple[int, int], Framing] = {}
        for frame in src.decode(stream):
            pts = frame.pts if frame.pts is not None else last_pts + step
            pts -= origin
            if pts <= last_pts:
                continue  # a duplicate or out-of-order timestamp: the muxer would refuse it
            size = (frame.width, frame.height)
            if size not in framings:
                framings[size] = plan_framing(
                    *size, aspect, rotation, output.width, output.height, 1.0
                )
            framing = framings[size]
            pixels: I420 = crop_centre(picture_planes(frame, framing), framing)
            picture = VideoFrame.from_ndarray(pixels, format="yuv420p")
            picture.pts = pts
            picture.time_base = time_base
            picture.pict_type = PictureType.NONE
            dst.mux(enc.encode(picture))
            last_pts = pts
        if last_pts < 0:
            raise EngineError("decode_error", f"{source.name}: no picture could be decoded")
        dst.mux(enc.encode())


def _still_proxy(
    source: Path, out: Path, output: OutputSettings, rotation: int, aspect: float | None
) -> None:
    with open_source(str(source)) as src:
        frame = next(src.decode(video=0), None)
        if frame is None:
            raise EngineError("decode_error", f"{source.name}: no picture could be decoded")
        framing = plan_framing(
            frame.width,
            frame.height,
            aspect,
            rotation,
            output.width,
            output.height,
            PROXY_STILL_ZOOM,
        )
        disp_w = round(frame.height * aspect) if aspect else frame.width
        width, height = framing.work_w, framing.work_h
        if width >= disp_w:
            # Never upscale: the clip renderer scales from the proxy as it would from the source.
            width, height = disp_w + disp_w % 2, frame.height + frame.height % 2
        rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
        pixels = cast(I420, np.ascontiguousarray(rgb.to_ndarray()))
        code = {
            90: cv2.ROTATE_90_CLOCKWISE,
            180: cv2.ROTATE_180,
            270: cv2.ROTATE_90_COUNTERCLOCKWISE,
        }
        if rotation in code:
            pixels = cast(I420, cv2.rotate(pixels, code[rotation]))
    bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    if out.suffix.lower() == ".png":
        ok, data = cv2.imencode(".png", bgr)
    else:
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, PROXY_JPEG_QUALITY])
    if not ok:
        raise EngineError("decode_error", f"{source.name}: could not encode the still proxy")
    out.write_bytes(data.tobytes())


_checksums: dict[tuple[str, int, int], str] = {}


def proxy_checksum(path: str | os.PathLike[str]) -> str | None:
    """sha256 of a proxy file, or None if it is missing (memoised by size and mtime)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (os.fspath(path), st.st_size, st.st_mtime_ns)
    if key not in _checksums:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _checksums[key] = digest.hexdigest()
    return _checksums[key]
