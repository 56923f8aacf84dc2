"""Decoding source frames, seen through render_clip: frame-rate conversion by holding,
the last frame held past the source, pre-roll pictures skipped, truncated files."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.clip import render_clip
from engine.encoding import EncodeSettings
from engine.errors import EngineError
from engine.media import MediaAsset
from tests.support import clip_inputs
from tests.support.clip_inputs import ENC, FPS, segment
from tests.support.media_gen import decode_frames, read_counter, video_asset, write_video


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    """The counter video, written once for this module."""
    return clip_inputs.counter_video(tmp_path_factory.mktemp("src"))


def test_frame_rate_conversion_samples_and_holds(counter_video: MediaAsset, tmp_path: Path) -> None:
    enc = EncodeSettings(width=320, height=180, fps=12, preset="ultrafast", crf=23)
    seg = segment(source_in=1000)
    frames = decode_frames(render_clip(seg, counter_video, tmp_path / "c.mp4", enc).path)
    assert [read_counter(f) for f in frames] == [24 + 2 * k for k in range(12)]


def test_short_video_holds_its_last_frame(tmp_path: Path) -> None:
    path = write_video(tmp_path / "short.mp4", frames=12, fps=FPS)  # 0.5 s
    asset = video_asset(path, "a", frames=12, fps=FPS)
    seg = segment(source_span=500)
    frames = decode_frames(render_clip(seg, asset, tmp_path / "c.mp4", ENC).path)
    assert len(frames) == 24
    assert [read_counter(f) for f in frames] == list(range(12)) + [11] * 12


def test_truncated_video_is_a_decode_error(counter_video: MediaAsset, tmp_path: Path) -> None:
    path = tmp_path / "cut.mp4"
    path.write_bytes(Path(counter_video.path).read_bytes()[:2000])
    asset = video_asset(path, "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "decode_error"


def test_pre_roll_skips_unreferenced_b_frames_but_not_the_frames_shown(tmp_path: Path) -> None:
    # veryfast uses B-frames (ultrafast does not): the pre-roll from the key frame at 0
    # to 1500 ms then has non-reference frames that nothing shows.
    path = write_video(tmp_path / "b.mp4", frames=120, fps=FPS, gop=96, preset="veryfast")
    asset = video_asset(path, "a", frames=120, fps=FPS)
    for source_in in (1500, 1000, 2042):
        seg = segment(source_in=source_in)
        result = render_clip(seg, asset, tmp_path / "c.mp4", ENC)
        first = round(source_in * FPS / 1000)
        assert [read_counter(f) for f in decode_frames(result.path)] == list(
            range(first, first + 24)
        )
        # Without skipping it would decode every frame from 0 up to the last one shown.
        assert result.decoded_frames < first + 24
