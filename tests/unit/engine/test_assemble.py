"""Assembly on generated media: frame counts, transitions, audio, cache, placeholder."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.assemble import assemble, output_spans, plan_assembly
from engine.beat_grid import Beat, BeatGrid
from engine.clip import render_clip
from engine.clip_cache import ClipCache
from engine.edl import EDL, Effects, KenBurns, frame_at
from engine.encoding import EncodeSettings, encode_settings
from engine.media import MediaAsset
from engine.placeholder import write_placeholder
from engine.render import RenderReport, render_edl
from engine.render_settings import (
    OutputSettings,
    RenderSettings,
    TransitionSettings,
    TransitionType,
)
from engine.sample_media import uniform_edl, write_tone
from engine.timeline import build_edl
from tests.support.media_gen import (
    count_frames,
    decode_frames,
    image_asset,
    read_counter,
    solid_picture,
    video_asset,
    write_still,
    write_video,
)

FPS = 24
ENC = EncodeSettings(width=320, height=180, fps=FPS, preset="ultrafast", crf=23)
RED, BLUE = (200, 30, 30), (30, 30, 200)
TRANSITIONS: tuple[TransitionType, ...] = ("cut", "crossfade", "fade_black", "fade_white")


@dataclass(frozen=True)
class Media:
    video: MediaAsset
    red: MediaAsset
    blue: MediaAsset
    song: Path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    d = tmp_path_factory.mktemp("media")
    return Media(
        video=video_asset(write_video(d / "v.mp4", frames=96, fps=FPS), "v", frames=96, fps=FPS),
        red=image_asset(write_still(d / "r.png", solid_picture(320, 180, RED)), "r", 320, 180),
        blue=image_asset(write_still(d / "b.png", solid_picture(320, 180, BLUE)), "b", 320, 180),
        song=write_tone(d / "song.wav", 8.0),
    )


def render_all(edl: EDL, assets: list[MediaAsset], song: Path, tmp: Path) -> Path:
    by_id = {a.id: a for a in assets}
    clips = [
        render_clip(s, by_id[s.asset_id], tmp / f"c{s.index}.mp4", ENC).path for s in edl.segments
    ]
    return assemble(edl, clips, song, tmp / "out.mp4", ENC, tmp / "work", assets=assets).path


def stream_facts(path: Path) -> dict[str, tuple[float, float]]:
    """(start, duration) in seconds of the video and audio streams."""
    facts: dict[str, tuple[float, float]] = {}
    with av.open(str(path)) as c:
        for s in c.streams:
            assert s.time_base is not None and s.duration is not None
            facts[s.type] = (
                float((s.start_time or 0) * s.time_base),
                float(s.duration * s.time_base),
            )
    return facts


def test_crossfade_timeline_has_exact_frames_duration_and_content(
    media: Media, tmp_path: Path
) -> None:
    video, red = media.video, media.red
    edl = uniform_edl(
        [video, red], count=4, segment_ms=1250, transition="crossfade", transition_ms=250, fps=FPS
    )
    out = render_all(edl, [video, red], media.song, tmp_path)
    frames = decode_frames(out)
    assert len(frames) == frame_at(5000, FPS) == 120
    facts = stream_facts(out)
    assert facts["video"][0] == 0 and facts["audio"][0] == 0  # start together
    assert abs(facts["video"][1] - 5.0) <= 1 / FPS
    assert abs(facts["audio"][1] - facts["video"][1]) < 1 / FPS  # no drift
    # Segment 0's body is stream-copied: source frame k at output frame k.
    plan = plan_assembly(edl, FPS)
    body_end = plan.layouts[0].frames - plan.layouts[0].tail
    assert [read_counter(f) for f in frames[:body_end]] == list(range(body_end))
    # Segment 2 is the same video again, continuing where segment 0 stopped.
    seg2 = edl.segments[2]
    lay2 = plan.layouts[2]
    first = lay2.start_frame + lay2.head
    expected = frame_at(seg2.source_in_ms, FPS) + lay2.head
    assert read_counter(frames[first]) == expected


def middle_mean(edl: EDL, out: Path) -> tuple[np.ndarray, float]:
    plan = plan_assembly(edl, FPS)
    (boundary,) = plan.boundaries
    frames = decode_frames(out)
    middle = (boundary.start + boundary.end) // 2
    count = boundary.end - boundary.start
    weight = (middle - boundary.start + 0.5) / count
    return frames[middle].reshape(-1, 3).mean(axis=0), weight


def test_crossfade_middle_frame_is_a_blend(media: Media, tmp_path: Path) -> None:
    red, blue = media.red, media.blue
    edl = uniform_edl([red, blue], count=2, transition="crossfade", transition_ms=250, fps=FPS)
    out = render_all(edl, [red, blue], media.song, tmp_path)
    mean, weight = middle_mean(edl, out)
    frames = decode_frames(out)
    # Compare with the decoded neighbours: RGB -> YUV -> RGB shifts colours a little.
    red_seen = frames[0].reshape(-1, 3).mean(axis=0)
    blue_seen = frames[-1].reshape(-1, 3).mean(axis=0)
    assert np.abs(red_seen - RED).max() < 20 and np.abs(blue_seen - BLUE).max() < 20
    assert 0.5 <= weight < 0.6  # 6 frames: the middle one is 3.5/6 blue
    assert np.abs(mean - ((1 - weight) * red_seen + weight * blue_seen)).max() < 4


@pytest.mark.parametrize(("kind", "level"), [("fade_black", 0), ("fade_white", 255)])
def test_fade_middle_frame_is_the_colour(
    media: Media, tmp_path: Path, kind: TransitionType, level: int
) -> None:
    red, blue = media.red, media.blue
    edl = uniform_edl([red, blue], count=2, transition=kind, transition_ms=500, fps=FPS)
    out = render_all(edl, [red, blue], media.song, tmp_path)
    mean, _ = middle_mean(edl, out)
    assert np.abs(mean - level).max() < 4
    assert count_frames(out) == 48


def test_audio_is_the_timeline_long_and_fades_out(media: Media, tmp_path: Path) -> None:
    red = media.red
    edl = uniform_edl([red], count=3, segment_ms=1000, fps=FPS)
    out = render_all(edl, [red], media.song, tmp_path)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
        samples = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    assert abs(len(samples) - 3 * 48_000) <= 48_000 // FPS
    loud = np.sqrt(np.mean(samples[48_000:60_000] ** 2))
    tail = np.sqrt(np.mean(samples[-2_000:] ** 2))
    assert loud > 0.1 and tail < loud / 5


def test_render_edl_reuses_clips_and_rerenders_one_after_an_edit(
    media: Media, tmp_path: Path
) -> None:
    video, red, blue = media.video, media.red, media.blue
    assets = [video, red, blue]
    edl = uniform_edl(
        assets,
        count=6,
        segment_ms=500,
        transition="crossfade",
        transition_ms=200,
        fps=FPS,
    )
    cache = ClipCache(tmp_path / "cache")

    def render(e: EDL, name: str) -> RenderReport:
        return render_edl(
            e,
            assets,
            media.song,
            tmp_path / name,
            tmp_path / f"w-{name}",
            workers=2,
            enc=ENC,
            cache=cache,
        )

    first = render(edl, "a.mp4")
    assert first.clips_rendered == list(range(6)) and first.transitions_rendered == list(range(5))
    assert count_frames(first.path) == 72

    again = render(edl, "b.mp4")
    assert again.clips_rendered == [] and again.clips_cached == list(range(6))
    assert again.transitions_rendered == []
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()

    # The user changes the Ken Burns move of segment 4 (a still): one clip, two pieces.
    kb = KenBurns(start_zoom=1.0, end_zoom=1.3, start_x=0.5, start_y=0.5, end_x=0.4, end_y=0.6)
    segments = list(edl.segments)
    segments[4] = segments[4].model_copy(update={"effects": Effects(ken_burns=kb)})
    edited = edl.model_copy(update={"segments": segments})
    third = render(edited, "c.mp4")
    assert third.clips_rendered == [4]
    assert third.transitions_rendered == [3, 4]
    assert count_frames(third.path) == 72


def test_missing_source_becomes_a_placeholder(media: Media, tmp_path: Path) -> None:
    red = media.red
    gone = red.model_copy(
        update={"id": "gone", "path": str(tmp_path / "gone.png"), "checksum": "sha-gone"}
    )
    edl = uniform_edl([red, gone], count=3, transition="fade_black", transition_ms=250, fps=FPS)
    report = render_edl(
        edl,
        [red, gone],
        media.song,
        tmp_path / "o.mp4",
        tmp_path / "w",
        enc=ENC,
    )
    assert report.placeholders == {1: "not_found"}
    frames = decode_frames(report.path)
    assert len(frames) == 72
    assert frames[36].max() < 30  # the missing photo shows black, the timeline stays whole


def test_write_placeholder_is_three_seconds_of_black(tmp_path: Path) -> None:
    out = write_placeholder(
        tmp_path / "media/fallback/clip_placeholder.mp4",
        OutputSettings(width=320, height=180, fps=FPS),
    )
    frames = decode_frames(out)
    assert len(frames) == 3 * FPS and frames[0].shape == (180, 320, 3)
    assert max(int(f.max()) for f in frames) < 25


def test_preview_is_half_size_and_fast(media: Media, tmp_path: Path) -> None:
    output = OutputSettings(width=640, height=360, fps=FPS)
    preview, final = encode_settings(output, "preview"), encode_settings(output, "final")
    assert (preview.width, preview.height) == (320, 180)
    assert preview.preset == "ultrafast" and preview.crf > final.crf
    red = media.red
    edl = uniform_edl([red], count=2, width=640, height=360, fps=FPS)
    report = render_edl(
        edl,
        [red],
        media.song,
        tmp_path / "p.mp4",
        tmp_path / "w",
        quality="preview",
    )
    assert decode_frames(report.path)[0].shape == (180, 320, 3)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(200, 3000), min_size=1, max_size=8),
    kind=st.sampled_from(list(TRANSITIONS)),
    duration=st.integers(1, 2000),
    fps=st.sampled_from([12, 24, 25, 30, 60]),
)
def test_clip_bodies_and_pieces_tile_the_output(
    lengths: list[int], kind: TransitionType, duration: int, fps: int
) -> None:
    red = MediaAsset(id="r", kind="image", path="r.png", checksum="c", width=64, height=64)

    times, t = [], 0
    for length in lengths:
        times.append(t)
        t += length
    grid = BeatGrid(
        bpm=120,
        bpm_confidence=1,
        downbeat_confidence=1,
        beats=[Beat(time_ms=x, beat_number=1, is_downbeat=True, confidence=1) for x in times],
        measures=[],
        sample_rate=44_100,
        duration_ms=t,
        analyzer="t",
        audio_file_checksum="m",
    )
    settings_ = RenderSettings(
        beats_per_cut=1,
        transition=TransitionSettings(type=kind, duration_ms=0 if kind == "cut" else duration),
        output=OutputSettings(width=320, height=180, fps=fps),
    )
    edl = build_edl(settings_, [red], grid)
    plan = plan_assembly(edl, fps)
    clips = [Path(f"c{i}") for i in range(len(plan.layouts))]
    pieces = {b.index: Path(f"p{b.index}") for b in plan.boundaries}
    spans = output_spans(plan, clips, pieces)  # raises on any gap or overlap
    assert sum(s.end - s.first for s in spans) == frame_at(edl.total_duration_ms, fps)
    for layout in plan.layouts:
        assert 0 <= layout.head <= layout.head + layout.tail <= layout.frames


def test_short_pieces_without_b_frames_join_bodies_with_them(media: Media, tmp_path: Path) -> None:
    # 166 ms crossfades at 12 fps make 2-frame pieces, which x264 encodes without B-frames,
    # between bodies encoded with them (the delivery preset). The muxer refused such a join
    # ("Invalid argument") before output DTS allowed for the deepest reorder delay.
    assets = [media.video, media.red]
    edl = uniform_edl(
        assets, count=8, segment_ms=600, transition="crossfade", transition_ms=166, fps=12
    )
    report = render_edl(edl, assets, media.song, tmp_path / "o.mp4", tmp_path / "work")
    assert count_frames(report.path) == frame_at(edl.total_duration_ms, 12) == 58
    with av.open(str(report.path)) as c:
        packets = [p for p in c.demux(c.streams.video[0]) if p.size]
    dts = [p.dts for p in packets]
    assert all(a < b for a, b in itertools.pairwise(dts)), "DTS must strictly increase"
    assert all(p.dts <= p.pts for p in packets)
