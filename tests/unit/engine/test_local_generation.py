"""The offline `local` provider: real clips of the requested size, rate and length, the same
bytes for the same spec, motion that follows the spec, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from engine.errors import EngineError
from engine.generation.local import render_local_clip
from engine.generation.spec import ClipSpec, LocalKind
from engine.probe import probe
from tests.support.media_gen import decode_frames, square_picture, write_still

SMALL = {"width": 320, "height": 180, "fps": 12, "duration_s": 2.0}


def spec(kind: LocalKind, **fields: object) -> ClipSpec:
    return ClipSpec.model_validate(
        {"kind": kind, "prompt": "Summer at the lake", **SMALL, **fields}
    )


def luma(path: Path) -> list[np.ndarray]:
    return [f.mean(axis=2) if f.ndim == 3 else f for f in decode_frames(path)]


@pytest.mark.parametrize("kind", list(LocalKind))
def test_each_kind_makes_a_clip_of_the_requested_shape(kind: LocalKind, tmp_path: Path) -> None:
    still = write_still(tmp_path / "p.png", square_picture(640, 360, 120))
    shares: list[float] = []
    out = render_local_clip(spec(kind, image=still), tmp_path / "clip.mp4", shares.append)
    info = probe(out)
    assert (info.width, info.height) == (320, 180)
    assert abs((info.duration_ms or 0) - 2000) <= 1000 / 12
    assert len(decode_frames(out)) == 24
    # Real progress: rising shares that end at 1.
    assert shares == sorted(shares) and shares[-1] == 1.0 and len(shares) >= 5


@pytest.mark.parametrize("kind", list(LocalKind))
def test_the_same_spec_gives_the_same_bytes_and_another_seed_does_not(
    kind: LocalKind, tmp_path: Path
) -> None:
    still = write_still(tmp_path / "p.png", square_picture(640, 360, 120))
    one = render_local_clip(spec(kind, image=still, seed=7), tmp_path / "a.mp4").read_bytes()
    two = render_local_clip(spec(kind, image=still, seed=7), tmp_path / "b.mp4").read_bytes()
    assert one == two
    if kind is not LocalKind.IMAGE_MOVE:  # a picture's move does not draw anything random
        other = render_local_clip(spec(kind, image=still, seed=8), tmp_path / "c.mp4")
        assert other.read_bytes() != one


def test_a_title_card_shows_its_words(tmp_path: Path) -> None:
    frames = luma(render_local_clip(spec(LocalKind.TITLE_CARD), tmp_path / "t.mp4"))
    middle = frames[12][60:120, 20:300]
    # Light type on a dark ground: some pixels are far brighter than the ground.
    assert middle.max() - np.median(middle) > 80


def test_zoom_in_enlarges_the_picture_over_the_clip(tmp_path: Path) -> None:
    still = write_still(tmp_path / "p.png", square_picture(640, 360, 120))
    clip = render_local_clip(
        spec(LocalKind.IMAGE_MOVE, image=still, camera_motion="zoom_in", motion_level=1.0),
        tmp_path / "z.mp4",
    )
    frames = luma(clip)
    first, last = (int((f > 128).sum()) for f in (frames[0], frames[-1]))
    assert last > first * 1.3  # the white square covers more of the last frame


def test_a_beat_pulse_flashes_on_the_beats(tmp_path: Path) -> None:
    beats = (0.25, 0.75, 1.25, 1.75)
    clip = render_local_clip(spec(LocalKind.BEAT_PULSE, beat_times_s=beats), tmp_path / "b.mp4")
    frames = luma(clip)
    on = [frames[round(b * 12)].mean() for b in beats]
    off = [frames[round((b + 0.25) * 12) - 1].mean() for b in beats]
    assert min(on) > max(off)


def test_refusals_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as long_clip:
        spec(LocalKind.TITLE_CARD, duration_s=60.0)
    assert "must be a value between 0.5 and 20.0, got 60.0" in str(long_clip.value)
    with pytest.raises(ValidationError):
        spec(LocalKind.TITLE_CARD, camera_motion="spin")
    out = tmp_path / "o.mp4"
    with pytest.raises(EngineError) as missing:
        render_local_clip(spec(LocalKind.IMAGE_MOVE, image=tmp_path / "gone.jpg"), out)
    assert missing.value.reason == "not_found" and "gone.jpg" in missing.value.message
    (tmp_path / "fake.jpg").write_bytes(b"%PDF-1.4 not a picture")
    with pytest.raises(EngineError) as fake:
        render_local_clip(spec(LocalKind.IMAGE_MOVE, image=tmp_path / "fake.jpg"), out)
    assert fake.value.reason == "decode_error" and "not a picture we can read" in fake.value.message
    assert not out.exists()  # nothing half-written is left behind
