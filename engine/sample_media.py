"""Sample media for the demo: a song with clear beats, colourful stills and moving clips.

Everything is generated (numpy, OpenCV, PyAV) and seeded, so the demo needs no downloads."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from engine.sample_music import TrackSpec, write_track

U8 = npt.NDArray[np.uint8]
PALETTE = [
    (230, 57, 70),
    (29, 53, 87),
    (69, 123, 157),
    (241, 196, 15),
    (46, 204, 113),
    (155, 89, 182),
    (230, 126, 34),
    (26, 188, 156),
]


def write_song(directory: Path, bpm: float = 120.0, bars: int = 8, seed: int = 11) -> Path:
    """A drums-bass-chords WAV with a chord change every bar (so downbeats are audible)."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_track("sample_song", TrackSpec(bpm=bpm, bars=bars, seed=seed), directory).path


def still_picture(width: int, height: int, index: int) -> U8:
    """A gradient with circles and a big number: easy to follow through zooms and cuts."""
    a, b = PALETTE[index % len(PALETTE)], PALETTE[(index + 3) % len(PALETTE)]
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    blend = (np.array(a) * (1 - ramp) + np.array(b) * ramp).repeat(height, axis=0)
    picture: U8 = np.ascontiguousarray(blend.astype(np.uint8))
    rng = np.random.default_rng(index)
    for _ in range(6):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        colour = tuple(int(c) for c in PALETTE[int(rng.integers(0, len(PALETTE)))])
        cv2.circle(picture, centre, int(rng.integers(height // 12, height // 4)), colour, -1)
    cv2.putText(
        picture,
        str(index + 1),
        (width // 3, height * 2 // 3),
        cv2.FONT_HERSHEY_SIMPLEX,
        height / 100,
        (255, 255, 255),
        max(2, height // 60),
    )
    return picture


def write_still(path: Path, width: int, height: int, index: int) -> Path:
    """Write one sample still as JPEG or PNG (by suffix)."""
    bgr = cv2.cvtColor(still_picture(width, height, index), cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), bgr):
        raise OSError(f"could not write {path}")
    return path


def write_clip(path: Path, width: int, height: int, fps: int, seconds: float, index: int) -> Path:
    """Write a sample H.264 clip: a still that pans sideways, so motion is visible."""
    base = still_picture(width * 2, height, index)
    frames = int(seconds * fps)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            x = int((width * i) / max(frames - 1, 1))
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(base[:, x : x + width]), format="rgb24"
            )
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def write_sample_media(
    directory: Path, videos: int = 3, stills: int = 4, size: tuple[int, int] = (640, 360)
) -> list[Path]:
    """Write sample clips and stills, interleaved, and return their paths in order."""
    directory.mkdir(parents=True, exist_ok=True)
    width, height = size
    paths: list[Path] = []
    for i in range(max(videos, stills)):
        if i < videos:
            paths.append(write_clip(directory / f"clip_{i + 1}.mp4", width, height, 24, 4.0, i))
        if i < stills:
            paths.append(
                write_still(directory / f"photo_{i + 1}.jpg", width * 2, height * 2, i + videos)
            )
    return paths
