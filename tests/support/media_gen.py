"""Test media made with PyAV, numpy and OpenCV: no binary fixtures in the repository.

Videos carry their frame number as a row of black/white blocks along the top (16
bits, read back by relative position, so it survives scaling) and a moving bar below
it so the encoder sees motion. Stills carry a centred white square of known size on
grey (for measuring Ken Burns zoom) or any solid colour.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

from engine.clip import ClipLayout, clip_frames
from engine.media import MediaAsset

BITS = 16
RGB = tuple[int, int, int]
U8 = npt.NDArray[np.uint8]


def counter_picture(index: int, width: int, height: int, colour: RGB = (60, 90, 120)) -> U8:
    """An RGB frame showing `index` as bits in the top band and a bar that moves."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = colour
    band = max(4, height // 8)
    for bit in range(BITS):
        x0, x1 = bit * width // BITS, (bit + 1) * width // BITS
        pixels[:band, x0:x1] = 255 if (index >> bit) & 1 else 0
    bar_x = (index * 7) % max(1, width - width // 10)
    pixels[band * 2 :, bar_x : bar_x + width // 10] = (230, 200, 40)
    return pixels


def read_counter(rgb_or_luma: npt.NDArray[np.uint8]) -> int:
    """The frame number written by counter_picture, read from block centres."""
    luma = rgb_or_luma if rgb_or_luma.ndim == 2 else rgb_or_luma.mean(axis=2)
    height, width = luma.shape[:2]
    row = max(2, height // 8) // 2
    value = 0
    for bit in range(BITS):
        x = int((bit + 0.5) * width / BITS)
        if luma[row, x] > 128:
            value |= 1 << bit
    return value


def write_video(
    path: Path,
    *,
    width: int = 320,
    height: int = 180,
    fps: int = 24,
    frames: int = 48,
    gop: int | None = None,
    colour: RGB | None = None,
    rotation: float | None = None,
    sar: Fraction | None = None,
    preset: str = "ultrafast",
    faststart: bool = False,
) -> Path:
    """An H.264 MP4: counter frames, or one solid `colour` if given."""
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": preset})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if gop is not None:
            stream.codec_context.gop_size = gop
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i in range(frames):
            if colour is not None:
                pixels = np.empty((height, width, 3), np.uint8)
                pixels[:] = colour
            else:
                pixels = counter_picture(i, width, height)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def square_picture(width: int, height: int, side: int) -> U8:
    """Grey RGB picture with a white side x side square in the middle."""
    pixels = np.full((height, width, 3), 100, np.uint8)
    x0, y0 = (width - side) // 2, (height - side) // 2
    pixels[y0 : y0 + side, x0 : x0 + side] = 255
    return pixels


def write_still(path: Path, pixels: U8) -> Path:
    """Write an RGB picture as PNG or JPEG (by suffix)."""
    ok = cv2.imwrite(str(path), cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not write {path}")
    return path


def solid_picture(width: int, height: int, colour: RGB) -> U8:
    """A one-colour RGB picture."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = colour
    return pixels


def decode_frames(path: Path) -> list[npt.NDArray[np.uint8]]:
    """Every video frame of a file as an RGB array."""
    with av.open(str(path)) as container:
        return [
            np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in container.decode(video=0)
        ]


def decode_clip_frames(path: Path, layout: ClipLayout, fps: int) -> list[npt.NDArray[np.uint8]]:
    """Every frame of a rendered clip (its body: transitions are separate pieces) as RGB."""
    return [
        np.asarray(VideoFrame.from_ndarray(f, format="yuv420p").to_ndarray(format="rgb24"))
        for f in clip_frames(path, layout, fps)
    ]


def count_frames(path: Path) -> int:
    """Number of decodable video frames."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def video_asset(path: Path, asset_id: str, *, frames: int, fps: int, **geometry: int) -> MediaAsset:
    """A MediaAsset for a video written by write_video."""
    return MediaAsset(
        id=asset_id,
        kind="video",
        path=str(path),
        checksum=f"sha-{asset_id}",
        width=geometry.get("width", 320),
        height=geometry.get("height", 180),
        duration_ms=frames * 1000 // fps,
        fps=float(fps),
    )


def image_asset(
    path: Path, asset_id: str, width: int, height: int, rotation: int = 0
) -> MediaAsset:
    """A MediaAsset for a still written by write_still."""
    return MediaAsset(
        id=asset_id,
        kind="image",
        path=str(path),
        checksum=f"sha-{asset_id}",
        width=width,
        height=height,
        rotation=rotation,  # type: ignore[arg-type]
    )
