"""Framing through render_clip: rotation, fill-and-crop, and Ken Burns zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.clip import render_clip
from engine.edl import Effects, KenBurns
from tests.support.clip_inputs import ENC, segment
from tests.support.media_gen import (
    decode_frames,
    image_asset,
    solid_picture,
    square_picture,
    write_still,
)


def test_still_is_rotated_then_filled_and_cropped(tmp_path: Path) -> None:
    # Left half red, right half blue; turned 90 degrees clockwise red is on top.
    pixels = solid_picture(400, 300, (220, 20, 20))
    pixels[:, 200:] = (20, 20, 220)
    asset = image_asset(write_still(tmp_path / "p.png", pixels), "a", 400, 300, rotation=90)
    seg = segment(media_type="image")
    frames = decode_frames(render_clip(seg, asset, tmp_path / "c.mp4", ENC).path)
    assert len(frames) == 24
    top, bottom = frames[0][:60].mean(axis=(0, 1)), frames[0][-60:].mean(axis=(0, 1))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def white_width(frame: np.ndarray) -> float:
    """Width in pixels of the white square along the middle row (sub-pixel by area)."""
    row = frame[frame.shape[0] // 2 - 2 : frame.shape[0] // 2 + 3].mean(axis=(0, 2))
    # Grey (100) is 0, white (255) is 1: the sum is the width, edges count fractionally.
    return float(np.clip((row - 100) / 155, 0, 1).sum())


def test_ken_burns_zooms_by_the_expected_scale_smoothly(tmp_path: Path) -> None:
    path = write_still(tmp_path / "sq.png", square_picture(640, 360, 80))
    asset = image_asset(path, "a", 640, 360)
    kb = KenBurns(start_zoom=1.0, end_zoom=1.5, start_x=0.5, start_y=0.5, end_x=0.5, end_y=0.5)
    seg = segment(media_type="image", effects=Effects(ken_burns=kb))
    frames = decode_frames(render_clip(seg, asset, tmp_path / "kb.mp4", ENC).path)
    widths = [white_width(f) for f in frames]
    # 80 px of 640 is 40 px of 320 at zoom 1, and 60 px at zoom 1.5.
    assert widths[0] == pytest.approx(40, abs=1.5)
    assert widths[-1] / widths[0] == pytest.approx(1.5, abs=0.04)
    steps = np.diff(widths)
    assert (steps > -0.3).all() and steps.max() < 2.0  # no jumps, no going back
