"""make_thumbnail() on videos and stills generated here, and on files that are not pictures."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest

from engine.errors import MediaProbeError
from engine.sample_media import write_tone
from engine.thumbnail import make_thumbnail
from tests.support.media_gen import read_counter, solid_picture, write_still, write_video
from tests.unit.engine.test_probe import with_exif_orientation

RED, BLUE = (220, 20, 20), (20, 20, 220)
U8 = npt.NDArray[np.uint8]


def read_jpeg(path: Path) -> U8:
    """The thumbnail as an RGB array, checking it is a JPEG."""
    data = path.read_bytes()
    assert data[:3] == b"\xff\xd8\xff"
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), np.uint8)


def is_colour(pixels: U8, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(pixels.reshape(-1, 3).mean(axis=0) - colour).max() < 30)


def split_picture(width: int, height: int) -> U8:
    """Red top half, blue bottom half."""
    pixels = solid_picture(width, height, BLUE)
    pixels[: height // 2] = RED
    return pixels


def write_split_video(path: Path, ccw: float) -> Path:
    """A 640x360 clip of split_picture frames whose display matrix turns it `ccw` degrees."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.set_display_rotation(ccw)  # counter-clockwise, as FFmpeg stores it
        for i in range(24):
            frame = av.VideoFrame.from_ndarray(split_picture(640, 360), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def test_a_video_thumbnail_is_scaled_and_taken_a_tenth_in(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "clip.mp4", width=640, height=360, fps=24, frames=48, gop=12)
    out = tmp_path / "thumbs" / "clip.jpg"
    assert make_thumbnail(clip, out) == (320, 180)
    pixels = read_jpeg(out)
    assert pixels.shape == (180, 320, 3)
    # 10 % of 2 s is 0.2 s: frame 5 at 24 fps is the first one there.
    assert read_counter(pixels) == 5


@pytest.mark.parametrize(("ccw", "left", "right"), [(90, RED, BLUE), (-90, BLUE, RED)])
def test_a_rotated_video_gives_an_upright_portrait_thumbnail(
    tmp_path: Path, ccw: float, left: tuple[int, int, int], right: tuple[int, int, int]
) -> None:
    clip = write_split_video(tmp_path / "phone.mp4", ccw)
    out = tmp_path / "phone.jpg"
    assert make_thumbnail(clip, out) == (180, 320)
    pixels = read_jpeg(out)
    assert pixels.shape == (320, 180, 3)
    # Turning the picture counter-clockwise brings its top half to the left.
    assert is_colour(pixels[:, :80], left) and is_colour(pixels[:, 100:], right)


def test_an_anamorphic_video_keeps_its_display_aspect(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "ana.mp4", width=320, height=240, sar=Fraction(4, 3))
    assert make_thumbnail(clip, tmp_path / "ana.jpg") == (320, 180)


def test_a_png_still(tmp_path: Path) -> None:
    pixels = solid_picture(400, 300, RED)
    pixels[:, 200:] = BLUE
    out = tmp_path / "photo.jpg"
    assert make_thumbnail(write_still(tmp_path / "photo.png", pixels), out) == (320, 240)
    thumb = read_jpeg(out)
    assert is_colour(thumb[:, :150], RED) and is_colour(thumb[:, 170:], BLUE)


def test_a_jpeg_with_exif_orientation_is_turned_upright(tmp_path: Path) -> None:
    photo = with_exif_orientation(write_still(tmp_path / "p.jpg", split_picture(400, 200)), 6)
    out = tmp_path / "t.jpg"
    # Orientation 6: turn 90 degrees clockwise, so the top half goes to the right.
    assert make_thumbnail(photo, out, max_side=200) == (100, 200)
    thumb = read_jpeg(out)
    assert is_colour(thumb[:, :40], BLUE) and is_colour(thumb[:, 60:], RED)


def test_a_small_picture_is_not_upscaled(tmp_path: Path) -> None:
    small = write_still(tmp_path / "icon.png", solid_picture(200, 100, RED))
    assert make_thumbnail(small, tmp_path / "icon.jpg") == (200, 100)


def test_a_corrupt_file_is_a_decode_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "holiday.mp4"
    corrupt.write_bytes(os.urandom(32 * 1024))
    out = tmp_path / "t.jpg"
    with pytest.raises(MediaProbeError) as caught:
        make_thumbnail(corrupt, out)
    assert caught.value.reason == "decode_error" and "holiday.mp4" in caught.value.message
    assert not out.exists()


@pytest.mark.parametrize(("name", "reason"), [("gone.png", "not_found"), ("tone.wav", None)])
def test_files_without_a_picture_are_typed_errors(
    tmp_path: Path, name: str, reason: str | None
) -> None:
    source = tmp_path / name
    if reason is None:
        write_tone(source, 0.5)
    with pytest.raises(MediaProbeError) as caught:
        make_thumbnail(source, tmp_path / "t.jpg")
    assert caught.value.reason == (reason or "invalid_input")
