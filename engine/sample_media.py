"""Sample media for the demo, the benches and the tests: a song with clear beats, a plain
tone, colourful stills and moving clips, and a timeline of equal segments over them.

Everything is generated (numpy, OpenCV, PyAV) and seeded, so nothing needs a download."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

from engine.beat_grid import Beat, BeatGrid
from engine.edl import EDL
from engine.media import MediaAsset
from engine.render_settings import (
    KenBurnsSettings,
    OutputSettings,
    RenderSettings,
    TransitionSettings,
    TransitionType,
)
from engine.sample_music import TrackSpec, write_track
from engine.timeline import build_edl

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


def write_tone(
    path: Path, seconds: float, *, freq: float = 440.0, rate: int = 44_100, channels: int = 2
) -> Path:
    """A 16-bit PCM WAV sine tone."""
    t = np.arange(int(round(seconds * rate))) / rate
    wave = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return write_samples(path, wave, rate, channels, codec="pcm_s16le", container="wav")


def write_samples(
    path: Path,
    mono: npt.NDArray[np.float32],
    rate: int,
    channels: int,
    *,
    codec: str,
    container: str,
) -> Path:
    """Encode float samples in -1..1 with `codec` in `container`, the same on every channel."""
    layout = "stereo" if channels == 2 else "mono"
    planar = np.ascontiguousarray(np.repeat(mono[None, :], channels, axis=0))
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, AudioStream)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = 0
        out.mux(stream.encode(frame))  # PyAV converts the floats to what the codec takes
        out.mux(stream.encode())
    return path


def beat_grid(segment_ms: int, count: int, checksum: str = "music") -> BeatGrid:
    """A steady grid with one beat per segment_ms, `count` segments long."""
    beats = [
        Beat(time_ms=k * segment_ms, beat_number=k % 4 + 1, is_downbeat=k % 4 == 0, confidence=1.0)
        for k in range(count)
    ]
    return BeatGrid(
        bpm=60_000 / segment_ms,
        bpm_confidence=1.0,
        downbeat_confidence=1.0,
        beats=beats,
        measures=[],
        sample_rate=44_100,
        duration_ms=segment_ms * count,
        analyzer="test",
        audio_file_checksum=checksum,
    )


def uniform_edl(
    assets: list[MediaAsset],
    *,
    count: int,
    segment_ms: int = 1000,
    transition: TransitionType = "cut",
    transition_ms: int = 0,
    width: int = 320,
    height: int = 180,
    fps: int = 24,
    ken_burns: bool = False,
) -> EDL:
    """An EDL of `count` equal segments cycling over `assets` (via build_edl)."""
    settings = RenderSettings(
        beats_per_cut=1,
        transition=TransitionSettings(
            type=transition, duration_ms=0 if transition == "cut" else transition_ms
        ),
        ken_burns=KenBurnsSettings(enabled=ken_burns),
        output=OutputSettings(width=width, height=height, fps=fps),
    )
    return build_edl(settings, assets, beat_grid(segment_ms, count))
