"""build_edl, edl_hash and canonical EDL JSON, on hand-made beat grids."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.beat_grid import Beat, BeatGrid
from engine.edl import EDL, frame_at, render_window_ms, transition_window_ms
from engine.edl_checks import parse_edl, validate_edl
from engine.errors import EngineError
from engine.media import MediaAsset
from engine.render_settings import RenderSettings
from engine.timeline import (
    MIN_SEGMENT_MS,
    build_edl,
    cutting_rule,
    edl_hash,
    edl_to_json,
    ken_burns_move,
)


def grid(
    bpm: float = 120.0,
    duration_ms: int = 30_000,
    first_beat_ms: int = 0,
    first_downbeat: int = 0,
    checksum: str = "audio-sha",
) -> BeatGrid:
    """A steady grid: a beat every 60000/bpm ms from first_beat_ms, bars of four."""
    period = 60_000 / bpm
    times = []
    t = float(first_beat_ms)
    while t < duration_ms:
        times.append(round(t))
        t += period
    beats = [
        Beat(
            time_ms=ms,
            beat_number=(k - first_downbeat) % 4 + 1,
            is_downbeat=(k - first_downbeat) % 4 == 0,
            confidence=0.9,
        )
        for k, ms in enumerate(times)
    ]
    return BeatGrid(
        bpm=bpm,
        bpm_confidence=0.9,
        downbeat_confidence=0.8,
        beats=beats,
        measures=[],
        sample_rate=22_050,
        duration_ms=duration_ms,
        analyzer="test",
        audio_file_checksum=checksum,
    )


def image(asset_id: str, checksum: str | None = None) -> MediaAsset:
    return MediaAsset(
        id=asset_id,
        kind="image",
        path=f"/media/{asset_id}.jpg",
        checksum=checksum or f"sha-{asset_id}",
        width=4000,
        height=3000,
    )


def video(asset_id: str, duration_ms: int) -> MediaAsset:
    return MediaAsset(
        id=asset_id,
        kind="video",
        path=f"/media/{asset_id}.mp4",
        checksum=f"sha-{asset_id}",
        width=1920,
        height=1080,
        duration_ms=duration_ms,
        fps=30.0,
    )


def make_settings(**overrides: Any) -> RenderSettings:
    return RenderSettings.model_validate(overrides)


ASSETS = [image("a"), image("b"), video("v", 10_000)]


@pytest.mark.parametrize("bpc", [1, 2, 4, 8, 16])
def test_one_cut_every_beats_per_cut_beats(bpc: int) -> None:
    g = grid()  # 60 beats, 0..29500 ms
    edl = build_edl(make_settings(beats_per_cut=bpc), ASSETS, g)
    assert len(edl.segments) == math.ceil(60 / bpc)
    beat_times = [b.time_ms for b in g.beats]
    for seg in edl.segments[1:]:
        assert seg.timeline_in_ms in beat_times
        assert beat_times.index(seg.timeline_in_ms) % bpc == 0


def test_first_segment_covers_the_intro_and_last_ends_with_the_music() -> None:
    g = grid(first_beat_ms=700, duration_ms=30_123)
    edl = build_edl(make_settings(beats_per_cut=4), ASSETS, g)
    assert edl.segments[0].timeline_in_ms == 0
    assert edl.segments[0].timeline_out_ms == g.beats[4].time_ms
    assert edl.segments[-1].timeline_out_ms == 30_123
    assert edl.total_duration_ms == edl.audio.duration_ms == 30_123
    for prev, nxt in zip(edl.segments, edl.segments[1:], strict=False):
        assert prev.timeline_out_ms == nxt.timeline_in_ms


def test_cuts_count_from_the_first_downbeat() -> None:
    # Two pickup beats before the first bar: with 4 beats per cut, cuts land on bar lines.
    g = grid(first_downbeat=2)
    edl = build_edl(make_settings(beats_per_cut=4), ASSETS, g)
    downbeats = {b.time_ms for b in g.beats if b.is_downbeat}
    assert edl.segments[0].timeline_out_ms == g.beats[2].time_ms
    assert all(seg.timeline_in_ms in downbeats for seg in edl.segments[1:])


def test_a_beat_just_before_the_end_does_not_make_a_sliver() -> None:
    g = grid(duration_ms=29_540)  # last beat at 29500, 40 ms before the end
    edl = build_edl(make_settings(beats_per_cut=1), ASSETS, g)
    assert edl.segments[-1].timeline_in_ms == 29_000
    assert all(s.timeline_out_ms - s.timeline_in_ms >= MIN_SEGMENT_MS for s in edl.segments)


def test_segments_cycle_through_assets_in_order() -> None:
    edl = build_edl(make_settings(beats_per_cut=4), ASSETS, grid())
    ids = [s.asset_id for s in edl.segments]
    assert ids[:6] == ["a", "b", "v", "a", "b", "v"]
    assert [m.asset_id for m in edl.media] == ["a", "b", "v"]


def test_project_transition_at_every_internal_boundary() -> None:
    s = make_settings(beats_per_cut=4, transition={"type": "crossfade", "duration_ms": 400})
    edl = build_edl(s, ASSETS, grid())
    assert edl.segments[0].transition_in.type == "cut"
    assert edl.segments[-1].transition_out.type == "cut"
    for prev, nxt in zip(edl.segments, edl.segments[1:], strict=False):
        assert prev.transition_out == nxt.transition_in
        assert (nxt.transition_in.type, nxt.transition_in.duration_ms) == ("crossfade", 400)


def test_cut_has_zero_duration_even_if_settings_carry_one() -> None:
    s = make_settings(transition={"type": "cut", "duration_ms": 800})
    edl = build_edl(s, ASSETS, grid())
    assert all(seg.transition_out.duration_ms == 0 for seg in edl.segments)
    assert all(
        seg.render_duration_ms == seg.timeline_out_ms - seg.timeline_in_ms for seg in edl.segments
    )


def test_transition_is_clamped_to_half_the_shorter_neighbour() -> None:
    s = make_settings(beats_per_cut=1, transition={"type": "fade_black", "duration_ms": 2000})
    edl = build_edl(s, ASSETS, grid())  # 500 ms segments
    assert {seg.transition_in.duration_ms for seg in edl.segments[1:]} == {250}
    assert not validate_edl(edl)


def test_crossfade_render_windows_meet_on_the_same_frames() -> None:
    s = make_settings(
        beats_per_cut=2,
        transition={"type": "crossfade", "duration_ms": 333},
        output={"width": 1280, "height": 720, "fps": 30},
    )
    edl = build_edl(s, ASSETS, grid(first_beat_ms=120, duration_ms=20_017))
    fps = edl.output.fps
    for prev, nxt in zip(edl.segments, edl.segments[1:], strict=False):
        boundary = nxt.timeline_in_ms
        # The two clips overlap exactly over the transition window.
        assert (render_window_ms(nxt)[0], render_window_ms(prev)[1]) == transition_window_ms(
            boundary, nxt.transition_in
        )
    for seg in edl.segments:
        start, end = render_window_ms(seg)
        assert seg.render_duration_ms == end - start
    # Frame counts of the timeline ranges add up to the whole output.
    frames = [
        frame_at(s.timeline_out_ms, fps) - frame_at(s.timeline_in_ms, fps) for s in edl.segments
    ]
    assert sum(frames) == frame_at(edl.total_duration_ms, fps)
    assert min(frames) >= 1


def test_fades_do_not_extend_clips() -> None:
    s = make_settings(transition={"type": "fade_white", "duration_ms": 600})
    edl = build_edl(s, ASSETS, grid())
    for seg in edl.segments:
        assert render_window_ms(seg) == (seg.timeline_in_ms, seg.timeline_out_ms)


def test_ken_burns_on_stills_only_and_deterministic() -> None:
    edl = build_edl(make_settings(), ASSETS, grid())
    again = build_edl(make_settings(), ASSETS, grid())
    for seg, twin in zip(edl.segments, again.segments, strict=True):
        if seg.media_type == "image":
            kb = seg.effects.ken_burns
            assert kb is not None and kb == twin.effects.ken_burns
            assert kb == ken_burns_move(seg.asset_id, seg.index)
            for zoom, x, y in (
                (kb.start_zoom, kb.start_x, kb.start_y),
                (kb.end_zoom, kb.end_x, kb.end_y),
            ):
                half = 0.5 / zoom  # the visible window stays inside the picture
                assert half - 1e-4 <= x <= 1 - half + 1e-4
                assert half - 1e-4 <= y <= 1 - half + 1e-4
        else:
            assert seg.effects.ken_burns is None
    moves = {ken_burns_move("a", i) for i in range(20)}
    assert len(moves) == 20  # not the same move every time


def test_ken_burns_disabled() -> None:
    edl = build_edl(make_settings(ken_burns={"enabled": False}), ASSETS, grid())
    assert all(seg.effects.ken_burns is None for seg in edl.segments)


def test_video_sources_stay_inside_the_clip_and_advance_on_repeats() -> None:
    edl = build_edl(make_settings(beats_per_cut=4), [video("v", 5_000)], grid())
    ranges = [(s.source_in_ms, s.source_out_ms) for s in edl.segments]
    assert ranges[:3] == [(0, 2000), (2000, 4000), (0, 2000)]  # 4000+2000 > 5000: wrap
    assert all(0 <= a < b <= 5_000 for a, b in ranges)


def test_video_shorter_than_its_segment_plays_whole() -> None:
    edl = build_edl(make_settings(beats_per_cut=16), [video("short", 1_500)], grid())
    seg = edl.segments[0]
    assert (seg.source_in_ms, seg.source_out_ms) == (0, 1_500)
    assert seg.render_duration_ms == 8_000  # the clip holds its last frame for the rest
    assert not validate_edl(edl, asset_durations_ms={"short": 1_500})


def beatless(duration_ms: int) -> BeatGrid:
    """A grid in which the analyzer found no clear beat."""
    return grid(duration_ms=duration_ms).model_copy(
        update={"beats": [], "measures": [], "bpm": None, "bpm_confidence": 0.0}
    )


def test_music_without_a_clear_beat_gives_each_medium_an_equal_share() -> None:
    # 30 s over three media: 10 s each, held to the 8 s longest cut.
    edl = build_edl(make_settings(beats_per_cut=4), ASSETS, beatless(30_000))
    assert [s.timeline_in_ms for s in edl.segments] == [0, 8000, 16000, 24000]
    short = build_edl(make_settings(), ASSETS[:2], beatless(6_000))
    assert [s.timeline_in_ms for s in short.segments] == [0, 3000]


def test_a_long_beatless_song_is_not_cut_into_hundreds_of_two_second_shots() -> None:
    twenty_minutes = 20 * 60_000
    edl = build_edl(make_settings(), ASSETS, beatless(twenty_minutes))
    # Every 2 s (a guessed 120 BPM, every 4 beats) would be 600 segments.
    assert len(edl.segments) == 150
    assert cutting_rule(make_settings(), False, twenty_minutes, len(ASSETS)) == (
        "no clear beat found; cutting every 8 s"
    )


def test_many_media_over_a_short_beatless_song_are_cut_every_two_seconds() -> None:
    media = [image(f"p{i}") for i in range(50)]
    edl = build_edl(make_settings(), media, beatless(30_000))
    assert [s.timeline_in_ms for s in edl.segments[:3]] == [0, 2000, 4000]


def test_the_user_chooses_how_often_beatless_music_is_cut() -> None:
    settings = make_settings(beatless={"cut_ms": 5000})
    edl = build_edl(settings, ASSETS, beatless(30_000))
    assert [s.timeline_in_ms for s in edl.segments] == [0, 5000, 10000, 15000, 20000, 25000]
    assert cutting_rule(settings, False, 30_000, 3) == "no clear beat found; cutting every 5 s"


def test_music_with_beats_is_cut_on_them_and_says_so() -> None:
    assert cutting_rule(make_settings(beats_per_cut=4), True, 30_000, 3) == "cutting every 4 beats"
    assert cutting_rule(make_settings(beats_per_cut=1), True, 30_000, 3) == "cutting every 1 beat"


def test_bad_inputs_raise_invalid_input() -> None:
    with pytest.raises(EngineError) as no_media:
        build_edl(make_settings(), [], grid())
    assert no_media.value.reason == "invalid_input"
    with pytest.raises(EngineError) as no_music:
        build_edl(make_settings(), ASSETS, grid(duration_ms=0))
    assert no_music.value.reason == "invalid_input"


# --- hash and JSON ------------------------------------------------------------------


def test_same_inputs_same_hash_and_identical_json() -> None:
    s = make_settings(transition={"type": "crossfade", "duration_ms": 300})
    one, two = build_edl(s, ASSETS, grid()), build_edl(s, list(ASSETS), grid())
    assert one.edl_hash == two.edl_hash == edl_hash(s, ASSETS, grid())
    assert edl_to_json(one) == edl_to_json(two)


def test_json_is_canonical_and_round_trips() -> None:
    edl = build_edl(make_settings(), ASSETS, grid())
    raw = edl_to_json(edl)
    data = json.loads(raw)
    assert raw == json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    assert {"version", "edl_hash", "output", "audio", "total_duration_ms", "segments"} <= set(data)
    assert set(data["output"]) == {"width", "height", "fps"}
    parsed = parse_edl(raw)
    assert parsed == edl
    assert edl_to_json(parsed) == raw


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a, g: (make_settings(beats_per_cut=8), a, g),
        lambda s, a, g: (make_settings(transition={"type": "fade_black", "duration_ms": 0}), a, g),
        lambda s, a, g: (make_settings(transition={"type": "cut", "duration_ms": 10}), a, g),
        lambda s, a, g: (make_settings(ken_burns={"enabled": False}), a, g),
        lambda s, a, g: (make_settings(output={"width": 1920, "height": 1080, "fps": 30}), a, g),
        lambda s, a, g: (make_settings(output={"width": 1280, "height": 720, "fps": 25}), a, g),
        lambda s, a, g: (s, list(reversed(a)), g),
        lambda s, a, g: (s, [image("a", checksum="other"), *a[1:]], g),
        lambda s, a, g: (s, a[:2], g),
        lambda s, a, g: (s, a, grid(checksum="other-audio")),
        lambda s, a, g: (s, a, grid(first_beat_ms=10)),
    ],
    ids=[
        "beats_per_cut",
        "transition_type",
        "transition_duration",
        "ken_burns",
        "size",
        "fps",
        "asset_order",
        "asset_checksum",
        "asset_removed",
        "audio_checksum",
        "beat_grid",
    ],
)
def test_hash_changes_with_each_input(change: Any) -> None:
    base = (make_settings(), ASSETS, grid())
    assert edl_hash(*change(*base)) != edl_hash(*base)


def test_hash_ignores_where_a_file_lives() -> None:
    moved = [a.model_copy(update={"path": "/elsewhere/x"}) for a in ASSETS]
    assert edl_hash(make_settings(), moved, grid()) == edl_hash(make_settings(), ASSETS, grid())


# --- property -------------------------------------------------------------------------


@st.composite
def beat_grids(draw: st.DrawFn) -> BeatGrid:
    duration = draw(st.integers(min_value=1, max_value=240_000))
    times = draw(st.lists(st.integers(min_value=0, max_value=duration + 500), max_size=300))
    flags = draw(st.lists(st.booleans(), min_size=len(times), max_size=len(times)))
    beats = [
        Beat(time_ms=t, beat_number=k % 4 + 1, is_downbeat=f, confidence=0.5)
        for k, (t, f) in enumerate(zip(times, flags, strict=True))
    ]
    return grid(duration_ms=duration, bpm=draw(st.floats(40, 240))).model_copy(
        update={"beats": beats}
    )


render_settings = st.builds(
    lambda bpc, ttype, dur, kb, fps: make_settings(
        beats_per_cut=bpc,
        transition={"type": ttype, "duration_ms": dur},
        ken_burns={"enabled": kb},
        output={"width": 640, "height": 360, "fps": fps},
    ),
    st.sampled_from([1, 2, 4, 8, 16]),
    st.sampled_from(["cut", "crossfade", "fade_black", "fade_white"]),
    st.integers(0, 2000),
    st.booleans(),
    st.integers(12, 60),
)


@st.composite
def asset_lists(draw: st.DrawFn) -> list[MediaAsset]:
    # A pool of stills (None) and clips (a duration), then an order that may repeat them.
    pool = draw(st.lists(st.one_of(st.none(), st.integers(1, 20_000)), min_size=1, max_size=4))
    assets = [image(f"i{k}") if d is None else video(f"v{k}", d) for k, d in enumerate(pool)]
    return draw(st.lists(st.sampled_from(assets), min_size=1, max_size=6))


@settings(max_examples=150, deadline=None)
@given(g=beat_grids(), s=render_settings, assets=asset_lists())
def test_built_edls_always_validate_and_cover_the_music(
    g: BeatGrid, s: RenderSettings, assets: list[MediaAsset]
) -> None:
    edl: EDL = build_edl(s, assets, g)
    durations = {a.id: a.duration_ms for a in assets if a.duration_ms is not None}
    assert (
        validate_edl(edl, known_asset_ids={a.id for a in assets}, asset_durations_ms=durations)
        == []
    )
    segs = edl.segments
    assert segs[0].timeline_in_ms == 0
    assert segs[-1].timeline_out_ms == g.duration_ms
    assert all(a.timeline_out_ms == b.timeline_in_ms for a, b in zip(segs, segs[1:], strict=False))
    beat_times = {b.time_ms for b in g.beats}
    if beat_times:
        assert all(seg.timeline_in_ms in beat_times for seg in segs[1:])
    assert edl_to_json(build_edl(s, assets, g)) == edl_to_json(edl)


def test_a_beatless_cut_setting_keeps_the_edl_valid_and_its_hash() -> None:
    # A project that sets how music without a beat is cut must still render: the EDL keeps
    # the setting, so the planner's check of the hash agrees with the one made at building.
    settings = make_settings(beatless={"cut_ms": 5000})
    edl = build_edl(settings, [image("a"), image("b")], grid())
    assert not validate_edl(edl), validate_edl(edl)
    assert edl.settings == settings
    again = parse_edl(json.loads(edl_to_json(edl)))
    assert again.edl_hash == edl.edl_hash and again.settings.beatless.cut_ms == 5000
    # Left at its default, the EDL's JSON is as it always was: no beatless key.
    plain = build_edl(make_settings(), [image("a"), image("b")], grid())
    assert b"beatless" not in edl_to_json(plain)
