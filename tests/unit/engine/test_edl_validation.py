"""EDL and render-settings validation: each broken rule names the segment and the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from engine.beat_grid import Beat, BeatGrid
from engine.edl import EDL, Segment, Transition
from engine.edl_checks import EdlProblem, check_edl, parse_edl, validate_edl
from engine.errors import EdlValidationError, EngineError
from engine.media import MediaAsset
from engine.render_settings import RenderSettings
from engine.timeline import build_edl, edl_to_json

GRID = BeatGrid(
    bpm=120.0,
    bpm_confidence=0.9,
    downbeat_confidence=0.9,
    beats=[
        Beat(time_ms=500 * k, beat_number=k % 4 + 1, is_downbeat=k % 4 == 0, confidence=0.9)
        for k in range(20)
    ],
    measures=[],
    sample_rate=22_050,
    duration_ms=10_000,
    analyzer="test",
    audio_file_checksum="audio-sha",
)
ASSETS = [
    MediaAsset(id="img", kind="image", path="/m/img.jpg", checksum="c1", width=800, height=600),
    MediaAsset(
        id="vid",
        kind="video",
        path="/m/vid.mp4",
        checksum="c2",
        width=1280,
        height=720,
        duration_ms=4_000,
        fps=25.0,
    ),
]
SETTINGS = RenderSettings.model_validate(
    {"beats_per_cut": 4, "transition": {"type": "crossfade", "duration_ms": 400}}
)


@pytest.fixture
def edl() -> EDL:
    return build_edl(SETTINGS, ASSETS, GRID)  # 5 segments of 2000 ms: img vid img vid img


def with_segment(edl: EDL, position: int, /, **changes: Any) -> EDL:
    segments = list(edl.segments)
    segments[position] = segments[position].model_copy(update=changes)
    return edl.model_copy(update={"segments": segments})


def find(problems: list[EdlProblem], code: str, index: int | None, field: str) -> EdlProblem:
    hits = [p for p in problems if (p.code, p.segment_index, p.field) == (code, index, field)]
    assert hits, f"no {code} at segment {index} {field} in {[str(p) for p in problems]}"
    return hits[0]


def parse_problems(data: dict[str, Any]) -> list[EdlProblem]:
    with pytest.raises(EdlValidationError) as err:
        parse_edl(data)
    return list(err.value.problems)


def as_dict(edl: EDL) -> dict[str, Any]:
    return json.loads(edl_to_json(edl))


def test_a_built_edl_is_valid(edl: EDL) -> None:
    assert (
        validate_edl(edl, known_asset_ids={"img", "vid"}, asset_durations_ms={"vid": 4_000}) == []
    )
    assert check_edl(edl) is edl


def test_gap_between_segments(edl: EDL) -> None:
    bad = with_segment(edl, 2, timeline_in_ms=edl.segments[2].timeline_in_ms + 40)
    problem = find(validate_edl(bad), "gap", 2, "timeline_in_ms")
    assert str(problem) == "segment 2: timeline_in_ms: gap of 40 ms after segment 1"


def test_overlap_between_segments(edl: EDL) -> None:
    bad = with_segment(edl, 3, timeline_in_ms=edl.segments[3].timeline_in_ms - 25)
    problem = find(validate_edl(bad), "overlap", 3, "timeline_in_ms")
    assert "overlaps segment 2 by 25 ms" in str(problem)


def test_timeline_must_start_at_zero_and_end_with_the_music(edl: EDL) -> None:
    bad = with_segment(edl, 0, timeline_in_ms=100)
    find(validate_edl(bad), "gap", 0, "timeline_in_ms")
    short = with_segment(edl, 4, timeline_out_ms=9_900)
    assert "ends at 9900 ms, the music at 10000 ms" in str(
        find(validate_edl(short), "gap", 4, "timeline_out_ms")
    )


def test_segment_must_move_forward(edl: EDL) -> None:
    seg = edl.segments[1]
    bad = with_segment(edl, 1, timeline_out_ms=seg.timeline_in_ms)
    find(validate_edl(bad), "timing", 1, "timeline_out_ms")


def test_indices_follow_positions(edl: EDL) -> None:
    bad = with_segment(edl, 1, index=7)
    assert "position 1 has index 7" in str(find(validate_edl(bad), "index", 7, "index"))


def test_render_duration_must_match_timeline_and_overlap(edl: EDL) -> None:
    bad = with_segment(edl, 1, render_duration_ms=2_000)
    problem = find(validate_edl(bad), "render_duration", 1, "render_duration_ms")
    assert "2400" in problem.message


def test_source_past_the_end_of_the_asset(edl: EDL) -> None:
    bad = with_segment(edl, 3, source_in_ms=2_000, source_out_ms=4_400)
    assert validate_edl(bad) == []  # without asset durations this cannot be known
    problem = find(
        validate_edl(bad, asset_durations_ms={"vid": 4_000}), "source_range", 3, "source_out_ms"
    )
    assert "past the end of asset 'vid' (4000 ms)" in problem.message


def test_source_range_backwards_or_too_long(edl: EDL) -> None:
    backwards = with_segment(edl, 1, source_in_ms=500, source_out_ms=100)
    find(validate_edl(backwards), "source_range", 1, "source_out_ms")
    too_long = with_segment(edl, 1, source_in_ms=0, source_out_ms=3_000)
    assert (
        "never sped up" in find(validate_edl(too_long), "source_range", 1, "source_out_ms").message
    )


def test_transition_longer_than_half_a_segment(edl: EDL) -> None:
    wide = Transition(type="crossfade", duration_ms=1_500)
    bad = with_segment(with_segment(edl, 1, transition_out=wide), 2, transition_in=wide)
    problem = find(validate_edl(bad), "transition_too_long", 2, "transition_in.duration_ms")
    assert "1500 ms is longer than half the segment's 2000 ms (at most 1000)" in problem.message
    find(validate_edl(bad), "transition_too_long", 1, "transition_out.duration_ms")


def test_neighbours_must_agree_on_their_transition(edl: EDL) -> None:
    bad = with_segment(edl, 2, transition_in=Transition(type="fade_black", duration_ms=400))
    find(validate_edl(bad), "transition_mismatch", 2, "transition_in")


def test_timeline_ends_are_plain_cuts(edl: EDL) -> None:
    fade = Transition(type="fade_black", duration_ms=200)
    find(
        validate_edl(with_segment(edl, 0, transition_in=fade)),
        "transition_mismatch",
        0,
        "transition_in",
    )
    find(
        validate_edl(with_segment(edl, 4, transition_out=fade)),
        "transition_mismatch",
        4,
        "transition_out",
    )


def test_unknown_asset_ids(edl: EDL) -> None:
    bad = with_segment(edl, 1, asset_id="ghost")
    assert "'ghost' is not in the EDL's media list" in str(
        find(validate_edl(bad), "unknown_asset", 1, "asset_id")
    )
    problems = validate_edl(edl, known_asset_ids={"img"})
    assert {p.segment_index for p in problems if p.code == "unknown_asset"} == {1, 3}


def test_media_type_must_match_the_asset(edl: EDL) -> None:
    bad = with_segment(edl, 0, media_type="video")
    find(validate_edl(bad), "asset_mismatch", 0, "media_type")


def test_edited_settings_no_longer_match_the_hash(edl: EDL) -> None:
    bad = edl.model_copy(update={"beats_per_cut": 8})
    find(validate_edl(bad), "hash_mismatch", None, "edl_hash")


def test_total_duration_must_be_the_music(edl: EDL) -> None:
    bad = edl.model_copy(update={"total_duration_ms": 9_000})
    find(validate_edl(bad), "coverage", None, "total_duration_ms")


# --- ranges enforced by the models, reported by parse_edl -----------------------------


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (
            ("effects", "ken_burns", "start_zoom"),
            2.5,
            "effects.ken_burns.start_zoom",
            "between 1.0 and 2.0, got 2.5",
        ),
        (
            ("effects", "ken_burns", "end_zoom"),
            0.5,
            "effects.ken_burns.end_zoom",
            "between 1.0 and 2.0, got 0.5",
        ),
        (
            ("effects", "ken_burns", "start_x"),
            1.2,
            "effects.ken_burns.start_x",
            "between 0.0 and 1.0, got 1.2",
        ),
        (
            ("effects", "ken_burns", "end_y"),
            -0.1,
            "effects.ken_burns.end_y",
            "between 0.0 and 1.0, got -0.1",
        ),
        (
            ("transition_out", "duration_ms"),
            2_500,
            "transition_out.duration_ms",
            "between 0 and 2000, got 2500",
        ),
        (("timeline_in_ms",), -5, "timeline_in_ms", "greater than or equal to 0"),
        (("render_duration_ms",), "long", "render_duration_ms", "valid integer"),
        (("transition_in", "type"), "wipe", "transition_in.type", "'cut', 'crossfade'"),
        (("media_type",), "audio", "media_type", "'image' or 'video'"),
    ],
)
def test_out_of_range_values_name_segment_and_field(
    edl: EDL, path: tuple[str, ...], value: Any, field: str, expected: str
) -> None:
    data = as_dict(edl)
    target = data["segments"][2]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    problem = find(parse_problems(data), "schema", 2, field)
    assert expected in problem.message


def test_a_cut_cannot_take_time(edl: EDL) -> None:
    data = as_dict(edl)
    data["segments"][0]["transition_out"] = {"type": "cut", "duration_ms": 300}
    problem = find(parse_problems(data), "schema", 0, "transition_out")
    assert "a cut takes 0 ms, got 300" in problem.message


def test_parse_reports_cross_segment_problems_too(edl: EDL) -> None:
    data = as_dict(edl)
    data["segments"][1]["asset_id"] = "ghost"
    with pytest.raises(EdlValidationError) as err:
        parse_edl(data, known_asset_ids={"img", "vid"})
    assert err.value.reason == "invalid_input"
    assert isinstance(err.value, EngineError)
    assert "segment 1: asset_id: 'ghost' is not in the EDL's media list" in str(err.value)


def test_not_json_at_all() -> None:
    with pytest.raises(EdlValidationError) as err:
        parse_edl(b"{not json")
    assert err.value.problems[0].code == "schema"
    assert err.value.message.startswith("invalid EDL: ")


def test_error_message_lists_problems_and_counts_the_rest(edl: EDL) -> None:
    bad = edl.model_copy(
        update={"segments": [s.model_copy(update={"index": s.index + 1}) for s in edl.segments]}
    )
    with pytest.raises(EdlValidationError) as err:
        check_edl(bad)
    assert len(err.value.problems) == 5
    assert "segment 1: index: segment at position 0 has index 1" in err.value.message
    many = EdlValidationError([err.value.problems[0]] * 12)
    assert many.message.endswith("; and 2 more")


def test_segment_model_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Segment.model_validate({"index": 0, "colour": "red"})


# --- project render settings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"beats_per_cut": 3}, "beats_per_cut", "1, 2, 4, 8 or 16"),
        ({"beats_per_cut": True}, "beats_per_cut", "1, 2, 4, 8 or 16"),
        (
            {"transition": {"type": "crossfade", "duration_ms": 2001}},
            "transition.duration_ms",
            "between 0 and 2000, got 2001",
        ),
        ({"transition": {"type": "spin"}}, "transition.type", "'cut', 'crossfade', 'fade_black'"),
        ({"output": {"width": 100}}, "output.width", "even number between 160 and 3840"),
        ({"output": {"width": 1281}}, "output.width", "even number between 160 and 3840"),
        ({"output": {"height": 4320}}, "output.height", "even number between 120 and 2160"),
        ({"output": {"fps": 120}}, "output.fps", "between 12 and 60, got 120"),
        ({"output": {"fps": "30"}}, "output.fps", "valid integer"),
        ({"ken_burns": {"enabled": "yes"}}, "ken_burns.enabled", "valid boolean"),
    ],
)
def test_render_settings_errors_name_field_and_range(
    data: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as err:
        RenderSettings.model_validate(data)
    errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in err.value.errors()}
    assert field in errors, errors
    assert expected in errors[field]


def test_render_settings_defaults_and_json() -> None:
    s = RenderSettings.model_validate_json(
        '{"beats_per_cut": 2, "output": {"width": 1920, "height": 1080, "fps": 24}}'
    )
    assert s.transition.type == "cut" and s.ken_burns.enabled
    assert (s.output.width, s.output.height, s.output.fps) == (1920, 1080, 24)


def test_engine_errors_survive_pickling_for_process_pools() -> None:
    import pickle

    from engine.errors import EngineError, MediaProbeError

    back = pickle.loads(pickle.dumps(MediaProbeError("timeout", "no answer from the CDN in 15 s")))
    assert isinstance(back, MediaProbeError) and isinstance(back, EngineError)
    assert (back.reason, back.message) == ("timeout", "no answer from the CDN in 15 s")
