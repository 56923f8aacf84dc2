"""probe() on media generated here with PyAV / OpenCV, and on files that are not media."""

from __future__ import annotations

import os
import struct
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.errors import EngineError, MediaProbeError
from engine.media import MediaAsset
from engine.probe import probe


def write_mp4(
    path: Path,
    *,
    width: int = 160,
    height: int = 120,
    fps: int = 25,
    frames: int = 50,
    rotation: float | None = None,
    sar: Fraction | None = None,
    audio: bool = False,
) -> Path:
    """A small H.264 clip (plus AAC audio if asked) of moving grey levels."""
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        if sar is not None:
            vs.codec_context.sample_aspect_ratio = sar
        if rotation is not None:
            vs.set_display_rotation(rotation)  # counter-clockwise, as FFmpeg stores it
        aus = out.add_stream("aac", rate=44_100) if audio else None
        for i in range(frames):
            pixels = np.full((height, width, 3), (i * 5) % 256, np.uint8)
            out.mux(vs.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(vs.encode())
        if aus is not None:
            samples = int(44_100 * frames / fps)
            tone = (0.1 * np.sin(np.arange(samples) * 0.05)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate = 44_100
                frame.pts = start
                out.mux(aus.encode(frame))
            out.mux(aus.encode())
    return path


def write_wav(path: Path, seconds: float = 1.5) -> Path:
    """A mono 16-bit PCM WAV file."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8_000)
        n = int(8_000 * seconds)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, n), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8_000
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def write_still(path: Path, width: int = 200, height: int = 100) -> Path:
    img = np.zeros((height, width, 3), np.uint8)
    img[:, : width // 2] = (0, 128, 255)
    assert cv2.imwrite(str(path), img)
    return path


def with_exif_orientation(jpeg: Path, orientation: int) -> Path:
    """Insert an EXIF APP1 segment carrying only the orientation tag (as phones write it)."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + ifd + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    data = jpeg.read_bytes()
    jpeg.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:])
    return jpeg


# --- real media ------------------------------------------------------------------------


def test_h264_mp4(tmp_path: Path) -> None:
    result = probe(write_mp4(tmp_path / "clip.mp4", width=320, height=240, fps=25, frames=50))
    assert result.kind == "video"
    assert result.codec == "h264"
    assert (result.width, result.height) == (320, 240)
    assert result.fps == 25.0
    assert result.duration_ms == 2_000
    assert result.rotation == 0
    assert result.display_aspect_ratio == pytest.approx(4 / 3)
    assert result.has_audio is False


def test_mp4_with_audio(tmp_path: Path) -> None:
    result = probe(write_mp4(tmp_path / "talk.mp4", fps=30, frames=30, audio=True))
    assert result.kind == "video"
    assert result.has_audio is True
    assert result.duration_ms == 1_000


@pytest.mark.parametrize(("ccw", "clockwise"), [(90, 270), (-90, 90), (180, 180)])
def test_rotated_video(tmp_path: Path, ccw: float, clockwise: int) -> None:
    result = probe(write_mp4(tmp_path / "phone.mp4", width=320, height=240, rotation=ccw))
    assert result.rotation == clockwise
    asset = result.to_media_asset(asset_id="p", path="phone.mp4", checksum="x")
    expected = (240, 320) if clockwise in (90, 270) else (320, 240)
    assert asset.display_size() == expected


def test_anamorphic_video_display_aspect(tmp_path: Path) -> None:
    result = probe(write_mp4(tmp_path / "ana.mp4", width=320, height=240, sar=Fraction(4, 3)))
    assert result.sample_aspect_ratio == pytest.approx(4 / 3)
    assert result.display_aspect_ratio == pytest.approx(16 / 9)
    asset = result.to_media_asset(asset_id="a", path="ana.mp4", checksum="x")
    assert asset.display_size() == (427, 240)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_still_images(tmp_path: Path, suffix: str) -> None:
    result = probe(write_still(tmp_path / f"photo{suffix}", width=200, height=100))
    assert result.kind == "image"
    assert (result.width, result.height) == (200, 100)
    assert result.duration_ms is None and result.fps is None
    asset = result.to_media_asset(asset_id="ph", path=f"photo{suffix}", checksum="x")
    assert asset.kind == "image" and asset.display_size() == (200, 100)


def test_jpeg_exif_orientation_is_rotation(tmp_path: Path) -> None:
    jpeg = with_exif_orientation(write_still(tmp_path / "portrait.jpg", 200, 100), 6)
    result = probe(jpeg)
    assert result.rotation == 90
    asset = result.to_media_asset(asset_id="pt", path="portrait.jpg", checksum="x")
    assert asset.display_size() == (100, 200)


def test_audio_file_is_audio_not_an_asset(tmp_path: Path) -> None:
    result = probe(write_wav(tmp_path / "song.wav", seconds=1.5))
    assert result.kind == "audio"
    assert result.has_audio and result.codec == "pcm_s16le"
    assert result.duration_ms == 1_500
    assert result.width is None
    with pytest.raises(EngineError) as err:
        result.to_media_asset(asset_id="s", path="song.wav", checksum="x")
    assert err.value.reason == "invalid_input"


# --- not media: what the user sees -----------------------------------------------------


def probe_error(path: Path) -> MediaProbeError:
    with pytest.raises(MediaProbeError) as err:
        probe(path)
    return err.value


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    err = probe_error(path)
    assert err.reason == "decode_error"
    assert err.message.startswith("noise.mp4: not a readable image, video or audio file")


@pytest.mark.parametrize("name", ["notes.txt", "notes.mp4", "notes.jpg"])
def test_text_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("Shopping list\n- milk\n- eggs\n" * 40)
    err = probe_error(path)
    assert err.reason == "decode_error"
    assert err.message.startswith(f"{name}: ")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    err = probe_error(path)
    assert (err.reason, err.message) == ("decode_error", "empty.jpg: the file is empty")


def test_truncated_mp4_header(tmp_path: Path) -> None:
    full = write_mp4(tmp_path / "full.mp4").read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(full[:200])
    assert probe_error(path).reason == "decode_error"


def test_truncated_png(tmp_path: Path) -> None:
    full = write_still(tmp_path / "full.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(full[:40])
    err = probe_error(path)
    assert err.reason == "decode_error"
    assert "cut.png" in err.message


def test_jpeg_header_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2048))
    assert probe_error(path).reason == "decode_error"


def test_missing_file(tmp_path: Path) -> None:
    err = probe_error(tmp_path / "gone.mp4")
    assert (err.reason, err.message) == ("not_found", "gone.mp4: file not found")
    assert str(err) == "not_found: gone.mp4: file not found"


def test_directory(tmp_path: Path) -> None:
    assert probe_error(tmp_path).reason == "invalid_input"


# --- display geometry as pure maths ----------------------------------------------------


def asset(**kw: object) -> MediaAsset:
    base: dict[str, object] = {
        "id": "a",
        "kind": "image",
        "path": "p",
        "checksum": "c",
        "width": 1920,
        "height": 1080,
    }
    return MediaAsset.model_validate(base | kw)


@pytest.mark.parametrize(
    ("kw", "size"),
    [
        ({}, (1920, 1080)),
        ({"rotation": 90}, (1080, 1920)),
        ({"rotation": 180}, (1920, 1080)),
        ({"rotation": 270}, (1080, 1920)),
        ({"width": 1440, "display_aspect_ratio": 16 / 9}, (1920, 1080)),
        ({"width": 1440, "display_aspect_ratio": 16 / 9, "rotation": 90}, (1080, 1920)),
        ({"width": 720, "height": 576, "display_aspect_ratio": 4 / 3}, (768, 576)),
    ],
)
def test_display_size(kw: dict[str, object], size: tuple[int, int]) -> None:
    assert asset(**kw).display_size() == size


def test_media_asset_rules() -> None:
    with pytest.raises(ValueError, match="needs duration_ms"):
        asset(kind="video")
    with pytest.raises(ValueError):
        asset(rotation=45)
