"""Filling the gaps: with fill_gaps on and fewer media than segments, the segments that would
show a photo again show a generated beat-pulse clip instead; off, the timeline is as before."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from engine.edl import canonical_json, render_window_ms
from engine.edl_checks import check_edl, parse_edl
from engine.errors import EngineError
from engine.generated_fill import MAX_FILL_BEATS, FillStyle, GeneratedFill
from engine.generation.filler import as_video_segment, filler_clip, filler_spec
from engine.generation.spec import Style
from engine.render_settings import RenderSettings
from engine.timeline import build_edl, edl_to_json
from tests.unit.engine.test_timeline import grid, image

PHOTOS = [image("a"), image("b")]
ON = RenderSettings(beats_per_cut=4, fill_gaps=True)


def test_two_photos_over_a_song_show_each_photo_once_then_generated_fillers() -> None:
    """The user sees both photos, then a different pulsing picture on every later cut."""
    edl = check_edl(build_edl(ON, PHOTOS, grid()))
    assert len(edl.segments) > 2 and edl.fill_gaps
    first, second, *rest = edl.segments
    assert [first.asset_id, second.asset_id] == ["a", "b"]
    assert first.effects.generated is None and first.effects.ken_burns is not None
    assert all(s.effects.generated is not None and s.effects.ken_burns is None for s in rest)
    fills = [s.effects.generated for s in rest if s.effects.generated is not None]
    # Neighbouring fillers differ in look and each has its own seed.
    assert all(a.style != b.style for a, b in zip(fills, fills[1:], strict=False))
    assert len({f.seed for f in fills}) == len(fills)
    for seg in rest:
        fill = seg.effects.generated
        assert fill is not None
        start, end = render_window_ms(seg)
        song_beats = [b.time_ms - start for b in grid().beats if start <= b.time_ms < end]
        # It pulses on the song's beats inside its window (4 per segment at beats_per_cut 4).
        assert fill.beat_times_ms == song_beats and len(song_beats) == 4


def test_the_filled_timeline_is_the_same_every_time_and_survives_its_json() -> None:
    one, two = build_edl(ON, PHOTOS, grid()), build_edl(ON, PHOTOS, grid())
    assert edl_to_json(one) == edl_to_json(two)
    assert parse_edl(edl_to_json(one)) == one
    assert one.edl_hash != build_edl(RenderSettings(beats_per_cut=4), PHOTOS, grid()).edl_hash


def test_off_by_default_the_timeline_repeats_the_photos_as_before() -> None:
    """The user who never turns it on gets the same video, EDL bytes and hash as before."""
    off = build_edl(RenderSettings(beats_per_cut=4), PHOTOS, grid())
    data = json.loads(edl_to_json(off))
    assert "fill_gaps" not in data
    assert all("generated" not in s["effects"] for s in data["segments"])
    assert [s.asset_id for s in off.segments[:4]] == ["a", "b", "a", "b"]
    # The hash is over the settings as they were before fill_gaps existed.
    settings = RenderSettings(beats_per_cut=4).model_dump(mode="json")
    del settings["fill_gaps"]
    inputs = {
        "version": 1,
        "settings": settings,
        "media": [{"asset_id": m.asset_id, "checksum": m.checksum} for m in off.media],
        "audio_checksum": off.audio.checksum,
        "beat_grid_checksum": off.audio.beat_grid_checksum,
    }
    assert off.edl_hash == hashlib.sha256(canonical_json(inputs)).hexdigest()


def test_enough_media_for_every_segment_need_no_filler() -> None:
    many = [image(f"m{k}") for k in range(40)]
    edl = build_edl(ON, many, grid())
    assert all(s.effects.generated is None for s in edl.segments)


def test_a_segment_longer_than_the_generator_draws_repeats_its_photo() -> None:
    """Fillers are at most 20 s long: a longer shot shows its photo again."""
    edl = build_edl(
        RenderSettings(beats_per_cut=16, fill_gaps=True), PHOTOS, grid(bpm=40, duration_ms=120_000)
    )
    long_ones = [s for s in edl.segments[2:] if s.render_duration_ms > 20_000]
    assert long_ones and all(s.effects.generated is None for s in long_ones)


def test_filler_styles_are_the_generators_styles() -> None:
    assert set(get_args(FillStyle)) == set(get_args(Style))


def test_a_filler_from_an_event_is_bounded() -> None:
    with pytest.raises(ValidationError):
        GeneratedFill(style="neon", seed=1, motion_level=0.5, beat_times_ms=[0] * 257)
    with pytest.raises(ValidationError):
        GeneratedFill(style="neon", seed=1, motion_level=0.5, beat_times_ms=[20_001])
    with pytest.raises(ValidationError):
        GeneratedFill(style="../x", seed=1, motion_level=0.5, beat_times_ms=[])  # type: ignore[arg-type]
    assert MAX_FILL_BEATS == 256


def test_a_crafted_filler_longer_than_the_generator_draws_is_refused_with_a_sentence() -> None:
    seg = build_edl(ON, PHOTOS, grid()).segments[2]
    crafted = seg.model_copy(update={"render_duration_ms": 60_000})
    with pytest.raises(EngineError) as caught:
        filler_spec(crafted, 320, 240, 12)
    assert "segment 2's filler" in caught.value.message


def test_a_filler_is_drawn_once_into_a_file_named_by_its_content(tmp_path: Path) -> None:
    seg = build_edl(ON, PHOTOS, grid()).segments[2]
    spec = filler_spec(seg, 320, 240, 12)
    clip = filler_clip(spec, tmp_path)
    stamp = clip.stat().st_mtime_ns
    assert filler_clip(spec, tmp_path) == clip and clip.stat().st_mtime_ns == stamp
    video = as_video_segment(seg)
    assert video.media_type == "video" and video.effects.generated is None
    assert (video.source_in_ms, video.source_out_ms) == (0, seg.render_duration_ms)
