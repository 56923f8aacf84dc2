"""Phone footage renders the way a player shows it: upright, in shape, in order.

A player (FFmpeg's autorotate) turns a sideways-stored picture by its rotation metadata;
the rendered video must show that upright picture, whichever way the turn is stored.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.edl import frame_at
from tests.support.media_gen import decode_frames, read_counter
from tests.support.phone_media import (
    GREEN,
    RED,
    RotationStore,
    colour_centroid,
    counter_pictures,
    marker_picture,
    square_aspect,
    stored_sideways,
    write_frames,
)
from tests.support.render_media import FPS, asset_of, render_asset


@pytest.mark.parametrize("clockwise", [90, 180, 270])
@pytest.mark.parametrize(
    "store",
    [
        "display_matrix",
        "rotate_tag",
    ],
)
def test_a_sideways_phone_video_renders_upright(
    clockwise: int, store: RotationStore, song: Path, tmp_path: Path
) -> None:
    upright = marker_picture(320, 180)
    stored = stored_sideways(upright, clockwise)
    suffix = ".mp4" if store == "display_matrix" else ".mkv"
    path = write_frames(
        tmp_path / f"phone{suffix}", [stored] * 30, clockwise=clockwise, store=store
    )
    asset = asset_of(path)
    assert asset.rotation == clockwise  # what the upload records
    _, out = render_asset(asset, song, tmp_path)
    frame = decode_frames(out)[FPS // 2]
    # What the user sees: the red block top-left, the green strip along the top, as played.
    red, green = colour_centroid(frame, RED), colour_centroid(frame, GREEN)
    assert red is not None and red[0] < 0.3 and red[1] < 0.4, red
    assert green is not None and green[0] > 0.5 and green[1] < 0.2, green
    small = upright[::2, ::2].astype(np.float64)  # 160x90, the preview's size
    correlation = np.corrcoef(small.ravel(), frame.astype(np.float64).ravel())[0, 1]
    assert correlation > 0.9


def test_non_square_pixels_keep_their_shape(song: Path, tmp_path: Path) -> None:
    # Stored 160x180 with pixels twice as wide as tall: shown 320x180, like the output.
    stored = np.full((180, 160, 3), 110, np.uint8)
    stored[60:120, 50:80] = 255  # 30x60 stored pixels: a 60x60 square on screen
    path = write_frames(tmp_path / "anamorphic.mp4", [stored] * 30, sar=Fraction(2, 1))
    asset = asset_of(path)
    assert asset.display_aspect_ratio == pytest.approx(16 / 9)
    _, out = render_asset(asset, song, tmp_path)
    frame = decode_frames(out)[FPS // 2]
    assert square_aspect(frame) == pytest.approx(1.0, abs=0.08)  # a square, not a tall block


def test_variable_frame_rate_renders_in_order_and_on_time(song: Path, tmp_path: Path) -> None:
    # Frame gaps of 20 to 90 ms, as a phone writes when the light changes: about 2.6 s.
    gaps = [20, 60, 33, 90, 45, 27, 70] * 9
    pts = [int(x) for x in np.concatenate([[0], np.cumsum(gaps)])]
    path = write_frames(tmp_path / "vfr.mp4", counter_pictures(len(pts)), pts_ms=pts)
    asset = asset_of(path)
    edl, out = render_asset(asset, song, tmp_path, segments=2)
    frames = decode_frames(out)
    assert len(frames) == frame_at(edl.total_duration_ms, FPS) == 2 * FPS
    shown = [read_counter(f) for f in frames]
    # Each output frame shows the source frame on screen at its time, as a player would.
    wanted = [int(np.searchsorted(pts, i * 1000 / FPS, side="right")) - 1 for i in range(2 * FPS)]
    assert shown == wanted
