"""Songs as people bring them (MP3, AAC, FLAC, WAV; 8 to 48 kHz; mono and stereo) give
a video whose picture and sound are as long as the song, to within one frame.

The output's length is the beat grid's duration, so every format, rate and layout is
checked there (a fast decode; AAC, which libsndfile cannot read, through FFmpeg); one
render per format, rates and layouts spread across them, checks what comes out. Ogg
Vorbis and audio only libsndfile reads go through the upload's tests
(tests/integration/api/test_audio_uploads.py).
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from engine.beats import analyze
from engine.render import render_edl
from engine.render_settings import OutputSettings, RenderSettings
from engine.timeline import build_edl
from tests.support.media_gen import image_asset, write_still
from tests.support.phone_media import marker_picture
from tests.support.render_media import FPS
from tests.support.songs import SONG_FORMATS, SONG_RATES, decoded_seconds, write_song

FRAME_S = 1 / FPS


def song_case(suffix: str, rate: int, channels: int) -> object:
    return pytest.param(suffix, rate, channels, id=f"{suffix}-{rate}-{channels}ch")


@pytest.mark.parametrize(
    ("suffix", "rate", "channels"),
    [song_case(s, r, c) for s in SONG_FORMATS for r in SONG_RATES for c in (1, 2)],
)
def test_the_beat_grid_is_as_long_as_the_decoded_song(
    suffix: str, rate: int, channels: int, tmp_path: Path
) -> None:
    song = write_song(tmp_path / f"song.{suffix}", rate=rate, channels=channels)
    grid = analyze(song)
    assert abs(grid.duration_ms / 1000 - decoded_seconds(song)) <= FRAME_S
    assert grid.beats  # clicks every half second: a beat is found


def stream_seconds(path: Path) -> dict[str, float]:
    """Each stream's duration in seconds."""
    with av.open(str(path)) as container:
        return {
            s.type: float(s.duration * s.time_base)
            for s in container.streams
            if s.duration is not None and s.time_base is not None
        }


@pytest.mark.parametrize(
    ("suffix", "rate", "channels"),
    [
        song_case("mp3", 8_000, 1),
        song_case("m4a", 22_050, 2),
        song_case("flac", 44_100, 1),
        song_case("wav", 48_000, 2),
    ],
)
def test_the_rendered_video_is_as_long_as_the_song(
    suffix: str, rate: int, channels: int, tmp_path: Path
) -> None:
    song = write_song(tmp_path / f"song.{suffix}", rate=rate, channels=channels, seconds=3.5)
    photo = image_asset(write_still(tmp_path / "p.png", marker_picture(320, 180)), "p", 320, 180)
    settings = RenderSettings(
        beats_per_cut=2, output=OutputSettings(width=320, height=180, fps=FPS)
    )
    edl = build_edl(settings, [photo], analyze(song))
    report = render_edl(edl, [photo], song, tmp_path / "o.mp4", tmp_path / "w", quality="preview")
    lengths = stream_seconds(report.path)
    want = decoded_seconds(song)
    # What the user sees: the picture and the music end with the song, not before or after.
    assert abs(lengths["video"] - want) <= FRAME_S, lengths
    assert abs(lengths["audio"] - want) <= FRAME_S, lengths
