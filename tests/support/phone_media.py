"""Videos shaped like phone footage, made with PyAV: stored sideways with rotation
metadata, with non-square pixels, or with irregular frame times.

The pictures are asymmetric so a wrong turn or mirror shows: a red block in the top-left
corner and a green strip along the rest of the top edge, on grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np
import numpy.typing as npt

from tests.support.media_gen import counter_picture

U8 = npt.NDArray[np.uint8]
RotationStore = Literal["display_matrix", "rotate_tag"]
RED, GREEN, GREY = (220, 30, 30), (30, 200, 40), (110, 110, 110)


def marker_picture(width: int, height: int) -> U8:
    """Grey, a red block top-left and a green strip along the top: no symmetry at all."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = GREY
    side = min(width, height) // 3
    pixels[:side, :side] = RED
    pixels[: side // 2, side:] = GREEN
    return pixels


def stored_sideways(upright: U8, clockwise: int) -> U8:
    """The picture a camera stores when a player must turn it `clockwise` to show `upright`."""
    return np.ascontiguousarray(np.rot90(upright, k=clockwise // 90))  # rot90 turns anticlockwise


def write_frames(
    path: Path,
    pictures: Sequence[U8],
    *,
    pts_ms: Sequence[int] | None = None,
    fps: int = 24,
    clockwise: int = 0,
    store: RotationStore = "display_matrix",
    sar: Fraction | None = None,
) -> Path:
    """H.264 frames in MP4 (or Matroska for `.mkv`), with rotation and SAR metadata.

    `pts_ms` gives each frame's time (irregular times make a variable frame rate);
    `store` says how the clockwise turn is kept: as the display matrix phones write, or
    as the `rotate` tag older FFmpeg wrote (kept as a tag only by Matroska; MP4 muxers
    turn it into the matrix).
    """
    height, width = pictures[0].shape[:2]
    times = list(pts_ms) if pts_ms is not None else [i * 1000 // fps for i in range(len(pictures))]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        if clockwise and store == "display_matrix":
            stream.set_display_rotation(-clockwise)  # FFmpeg's angle is anticlockwise
        elif clockwise:
            stream.metadata["rotate"] = str(clockwise)
        for pixels, pts in zip(pictures, times, strict=True):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = pts
            frame.time_base = Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def counter_pictures(count: int, width: int = 320, height: int = 180) -> list[U8]:
    """Counter frames 0..count-1 (media_gen.read_counter reads them back)."""
    return [counter_picture(i, width, height) for i in range(count)]


def colour_centroid(frame: U8, colour: tuple[int, int, int]) -> tuple[float, float] | None:
    """(x, y) of the pixels near `colour`, as fractions of the frame, or None if none."""
    near = np.abs(frame.astype(np.int16) - np.array(colour, np.int16)).max(axis=2) < 60
    ys, xs = np.nonzero(near)
    if len(xs) < 10:
        return None
    return float(xs.mean()) / frame.shape[1], float(ys.mean()) / frame.shape[0]


def square_aspect(frame: U8) -> float:
    """Width over height of the bright block in `frame` (sub-pixel, by area per row/column)."""
    bright = np.clip((frame.mean(axis=2) - GREY[0]) / (255 - GREY[0]), 0, 1)
    cols = bright.max(axis=0)
    rows = bright.max(axis=1)
    return float(cols.sum()) / float(rows.sum())
