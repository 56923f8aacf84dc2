"""A video cut short keeps what can be decoded: the probe's duration is where the last
decodable frame ends, not where the file's index says the video ends."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from engine.errors import MediaProbeError
from engine.probe import probe
from tests.support.media_gen import write_video


def _decoded_end_ms(path: Path) -> int:
    """Decode every frame that decodes; where the last one ends."""
    end = Fraction(0)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        step = 1 / Fraction(stream.average_rate or 24)
        try:
            for frame in container.decode(stream):
                end = max(end, Fraction(frame.pts) * frame.time_base + step)
        except av.error.FFmpegError:
            pass
    return round(end * 1000)


def _cut(source: Path, fraction: float, name: str) -> Path:
    data = source.read_bytes()
    target = source.with_name(name)
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


@pytest.mark.parametrize("preset", ["ultrafast", "medium"])  # medium: with B-frames
@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95, 0.999])
def test_a_faststart_mp4_cut_short_lasts_as_long_as_its_decodable_part(
    tmp_path: Path, preset: str, fraction: float
) -> None:
    whole = write_video(
        tmp_path / "whole.mp4", frames=240, fps=24, gop=24, preset=preset, faststart=True
    )
    assert probe(whole).duration_ms == 10_000
    cut = _cut(whole, fraction, "holiday.mp4")
    # What the timeline gets: only the seconds that decode, never a promise of ten.
    info = probe(cut)
    assert info.kind == "video"
    assert info.duration_ms is not None and info.duration_ms < 10_000
    assert abs(info.duration_ms - _decoded_end_ms(cut)) <= 42  # within one frame


def test_a_faststart_mp4_with_almost_nothing_left_is_refused_with_a_sentence(
    tmp_path: Path,
) -> None:
    whole = write_video(tmp_path / "whole.mp4", frames=240, fps=24, gop=24, faststart=True)
    cut = _cut(whole, 0.05, "holiday.mp4")
    with pytest.raises(MediaProbeError) as caught:
        probe(cut)
    assert caught.value.reason == "decode_error"
    assert caught.value.message.startswith("holiday.mp4: the file is cut short: only 0."), (
        caught.value.message
    )
    assert caught.value.message.endswith("of its 10.0 s of video can be decoded")


def test_a_whole_video_keeps_its_stated_duration(tmp_path: Path) -> None:
    for faststart in (False, True):
        clip = write_video(tmp_path / f"c{faststart}.mp4", frames=60, fps=30, faststart=faststart)
        assert probe(clip).duration_ms == 2000
