"""How a decoded picture becomes an output frame: scaled with square pixels and turned
upright (Framing), then cropped to the output or, with Ken Burns, a window that zooms and
pans inside it (kb_at says where the window is at each clip frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from av.video.frame import VideoFrame

from engine.edl import Segment
from engine.encoding import I420, frame_planes, join_planes, planes


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


def max_zoom(segment: Segment) -> float:
    """The largest zoom the segment's Ken Burns move reaches (1 without one)."""
    kb = segment.effects.ken_burns
    return max(kb.start_zoom, kb.end_zoom) if kb else 1.0


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


# --- Ken Burns ----------------------------------------------------------------------


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


def kb_at(segment: Segment, index: int, frames: int) -> tuple[float, float, float]:
    """Ken Burns (zoom, x, y) at clip frame `index`: zoom geometric, position linear."""
    kb = segment.effects.ken_burns
    if kb is None:
        return 1.0, 0.5, 0.5
    t = index / (frames - 1) if frames > 1 else 0.0
    # Geometric zoom looks like constant speed; a linear one seems to slow down.
    zoom = kb.start_zoom * (kb.end_zoom / kb.start_zoom) ** t
    return zoom, kb.start_x + (kb.end_x - kb.start_x) * t, kb.start_y + (kb.end_y - kb.start_y) * t


def ken_burns_frame(
    pic: tuple[I420, I420, I420], framing: Framing, move: tuple[float, float, float]
) -> VideoFrame:
    """The output frame showing a picture at one Ken Burns (zoom, x, y) position."""
    zoom, cx, cy = move
    pic_w, pic_h = framing.picture
    x, y, win_w = ken_burns_window(pic_w, pic_h, framing.out_w, framing.out_h, zoom, cx, cy)
    return warp_window(pic, framing, x, y, win_w)
