"""render_clip and segment_frames on generated media: the clip's layout, frame accuracy,
and the head and tail frames transition pieces render apart from the clip."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.clip import ClipLayout, clip_layout, render_clip, segment_frames
from engine.edl import CUT, Effects, KenBurns, Transition
from engine.errors import EngineError
from engine.media import MediaAsset
from tests.support import clip_inputs
from tests.support.clip_inputs import ENC, FPS, XFADE, segment
from tests.support.media_gen import (
    count_frames,
    decode_clip_frames,
    image_asset,
    read_counter,
    square_picture,
    write_still,
)


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    """The counter video, written once for this module."""
    return clip_inputs.counter_video(tmp_path_factory.mktemp("src"))


def keyframes(path: Path, track: int = 0) -> list[int]:
    with av.open(str(path)) as c:
        s = c.streams.video[track]
        tb = s.time_base or Fraction(1, FPS)
        return sorted(
            round((p.pts or 0) * tb * FPS) for p in c.demux(s) if p.is_keyframe and p.size
        )


def track_frames(path: Path) -> list[int]:
    """Decoded frames per video track."""
    counts = []
    with av.open(str(path)) as c:
        tracks = len(c.streams.video)
    for track in range(tracks):
        with av.open(str(path)) as c:
            counts.append(sum(1 for _ in c.decode(c.streams.video[track])))
    return counts


def test_layout_of_a_clip_with_crossfades_on_both_sides() -> None:
    seg = segment(t_in=XFADE, t_out=XFADE)
    # Window [875, 2125) ms -> frames [21, 51); transitions [875, 1125) and [1875, 2125).
    assert clip_layout(seg, FPS) == ClipLayout(start_frame=21, frames=30, head=6, tail=6)


def test_video_clip_is_frame_accurate_with_idrs_at_the_cuts(
    counter_video: MediaAsset, tmp_path: Path
) -> None:
    seg = segment(source_in=1500, t_in=XFADE, t_out=XFADE)
    result = render_clip(seg, counter_video, tmp_path / "clip.mp4", ENC)
    layout = clip_layout(seg, FPS)
    assert result.frames == layout.frames == 30
    # 1500 ms at 24 fps is source frame 36; seeking started at the key frame at 0. The
    # file holds the body only: clip frames [6, 24), one track, starting on an IDR.
    frames = decode_clip_frames(result.path, layout, FPS)
    assert [read_counter(f) for f in frames] == list(range(42, 60))
    assert track_frames(result.path) == [18]
    assert keyframes(result.path)[0] == 0
    assert frames[0].shape == (180, 320, 3)
    # The head and tail (the pieces' part) render from the source at the same frames.
    window = segment_frames(seg, counter_video, ENC, 0, layout.frames).frames
    assert [read_counter(rgb(f)) for f in window] == list(range(36, 66))


def rgb(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(
        av.VideoFrame.from_ndarray(pixels, format="yuv420p").to_ndarray(format="rgb24")
    )


def test_segment_frames_are_the_frames_the_clip_would_show(
    counter_video: MediaAsset, tmp_path: Path
) -> None:
    # Crossfade in only: a head and no tail; fade out: a tail and no head frames after it.
    fade = Transition(type="fade_black", duration_ms=250)
    kb = KenBurns(start_zoom=1.0, end_zoom=1.5, start_x=0.3, start_y=0.5, end_x=0.7, end_y=0.5)
    for t_in, t_out, effects in (
        (XFADE, CUT, None),
        (CUT, fade, None),
        (XFADE, fade, Effects(ken_burns=kb)),
    ):
        seg = segment(source_in=1000, t_in=t_in, t_out=t_out, effects=effects)
        layout = clip_layout(seg, FPS)
        path = render_clip(seg, counter_video, tmp_path / "c.mp4", ENC).path
        assert track_frames(path) == [layout.body_frames]
        body = decode_clip_frames(path, layout, FPS)
        head = segment_frames(seg, counter_video, ENC, 0, layout.head).frames
        tail_from = layout.frames - layout.tail
        tail = segment_frames(seg, counter_video, ENC, tail_from, layout.tail).frames
        assert len(head) == layout.head and len(tail) == layout.tail
        frames = [rgb(f) for f in head] + body + [rgb(f) for f in tail]
        if effects is None:  # a moving window hides the counter pattern
            assert [read_counter(f) for f in frames] == list(range(24, 24 + layout.frames))
        # Rendered apart (seeking to the body), the body's frames differ from the clip's
        # only by the clip's encoding: same source frames, framing and Ken Burns.
        first, end = layout.body
        apart = segment_frames(seg, counter_video, ENC, first, end - first).frames
        assert (
            float(
                np.mean(
                    [
                        np.abs(rgb(a).astype(int) - b).mean()
                        for a, b in zip(apart, body, strict=True)
                    ]
                )
            )
            < 3.0
        )


def test_clip_without_transitions_holds_its_whole_window(
    counter_video: MediaAsset, tmp_path: Path
) -> None:
    path = render_clip(segment(), counter_video, tmp_path / "c.mp4", ENC).path
    assert track_frames(path) == [24]
    with pytest.raises(EngineError):
        segment_frames(segment(), counter_video, ENC, 20, 5)  # past the window's 24 frames


def test_clip_whose_body_is_empty_holds_no_frames(tmp_path: Path) -> None:
    still = image_asset(
        write_still(tmp_path / "s.png", square_picture(300, 300, 50)), "a", 300, 300
    )
    long_fade = Transition(type="fade_white", duration_ms=1000)
    seg = segment(media_type="image", t_in=long_fade, t_out=long_fade, timeline=(1000, 2000))
    layout = clip_layout(seg, FPS)
    assert layout.body_frames == 0 and layout.head == layout.tail == 12
    path = render_clip(seg, still, tmp_path / "s.mp4", ENC).path
    assert decode_clip_frames(path, layout, FPS) == []
    assert len(segment_frames(seg, still, ENC, 0, 24).frames) == 24


def test_clip_frame_count_matches_layout_for_every_kind(
    counter_video: MediaAsset, tmp_path: Path
) -> None:
    still = image_asset(
        write_still(tmp_path / "s.png", square_picture(300, 300, 50)), "a", 300, 300
    )
    seg = segment(media_type="image", t_in=XFADE, timeline=(1000, 1500))
    layout = clip_layout(seg, FPS)
    path = render_clip(seg, still, tmp_path / "s.mp4", ENC).path
    assert count_frames(path) == layout.body_frames == layout.frames - layout.head
    assert len(decode_clip_frames(path, layout, FPS)) == layout.body_frames
