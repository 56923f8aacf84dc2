"""render_clip on generated media: frame accuracy, framing, Ken Burns, typed failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest

from engine import encoding
from engine.clip import ClipLayout, Timeouts, clip_layout, render_clip, segment_frames
from engine.edl import CUT, Effects, KenBurns, Segment, Transition
from engine.encoding import (
    EncodeSettings,
    add_video_stream,
    codec_threads,
    set_codec_threads,
    threads_for_parallelism,
    tune_allocator,
)
from engine.errors import EngineError
from engine.media import MediaAsset
from tests.support.media_gen import (
    count_frames,
    decode_clip_frames,
    decode_frames,
    image_asset,
    read_counter,
    solid_picture,
    square_picture,
    video_asset,
    write_still,
    write_video,
)

FPS = 24
ENC = EncodeSettings(width=320, height=180, fps=FPS, preset="ultrafast", crf=23)
XFADE = Transition(type="crossfade", duration_ms=250)


def segment(
    *,
    media_type: str = "video",
    timeline: tuple[int, int] = (1000, 2000),
    source_in: int = 0,
    t_in: Transition = CUT,
    t_out: Transition = CUT,
    effects: Effects | None = None,
    source_span: int | None = None,
) -> Segment:
    """A segment whose render duration and source range follow edl.py's rules."""
    before = t_in.duration_ms // 2 if t_in.type == "crossfade" else 0
    after = t_out.duration_ms - t_out.duration_ms // 2 if t_out.type == "crossfade" else 0
    render = timeline[1] - timeline[0] + before + after
    span = render if source_span is None else source_span
    return Segment(
        index=1,
        asset_id="a",
        media_type=media_type,  # type: ignore[arg-type]
        timeline_in_ms=timeline[0],
        timeline_out_ms=timeline[1],
        render_duration_ms=render,
        source_in_ms=source_in if media_type == "video" else 0,
        source_out_ms=(source_in if media_type == "video" else 0) + span,
        transition_in=t_in,
        transition_out=t_out,
        effects=effects or Effects(),
    )


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    """5 s of 24 fps counter frames with a key frame every 2 s (like phone footage)."""
    path = tmp_path_factory.mktemp("src") / "counter.mp4"
    write_video(path, frames=120, fps=FPS, gop=48, faststart=True)
    return video_asset(path, "a", frames=120, fps=FPS)


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


def test_still_is_rotated_then_filled_and_cropped(tmp_path: Path) -> None:
    # Left half red, right half blue; turned 90 degrees clockwise red is on top.
    pixels = solid_picture(400, 300, (220, 20, 20))
    pixels[:, 200:] = (20, 20, 220)
    asset = image_asset(write_still(tmp_path / "p.png", pixels), "a", 400, 300, rotation=90)
    seg = segment(media_type="image")
    frames = decode_frames(render_clip(seg, asset, tmp_path / "c.mp4", ENC).path)
    assert len(frames) == 24
    top, bottom = frames[0][:60].mean(axis=(0, 1)), frames[0][-60:].mean(axis=(0, 1))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def white_width(frame: np.ndarray) -> float:
    """Width in pixels of the white square along the middle row (sub-pixel by area)."""
    row = frame[frame.shape[0] // 2 - 2 : frame.shape[0] // 2 + 3].mean(axis=(0, 2))
    # Grey (100) is 0, white (255) is 1: the sum is the width, edges count fractionally.
    return float(np.clip((row - 100) / 155, 0, 1).sum())


def test_ken_burns_zooms_by_the_expected_scale_smoothly(tmp_path: Path) -> None:
    path = write_still(tmp_path / "sq.png", square_picture(640, 360, 80))
    asset = image_asset(path, "a", 640, 360)
    kb = KenBurns(start_zoom=1.0, end_zoom=1.5, start_x=0.5, start_y=0.5, end_x=0.5, end_y=0.5)
    seg = segment(media_type="image", effects=Effects(ken_burns=kb))
    frames = decode_frames(render_clip(seg, asset, tmp_path / "kb.mp4", ENC).path)
    widths = [white_width(f) for f in frames]
    # 80 px of 640 is 40 px of 320 at zoom 1, and 60 px at zoom 1.5.
    assert widths[0] == pytest.approx(40, abs=1.5)
    assert widths[-1] / widths[0] == pytest.approx(1.5, abs=0.04)
    steps = np.diff(widths)
    assert (steps > -0.3).all() and steps.max() < 2.0  # no jumps, no going back


def test_missing_source_is_not_found(tmp_path: Path) -> None:
    # What the user sees: the segment falls back and the job says "gone.mp4: file not found".
    asset = video_asset(tmp_path / "gone.mp4", "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "not_found"
    assert "gone.mp4" in str(info.value)
    assert not (tmp_path / "c.mp4").exists()


@pytest.mark.parametrize("content", [b"not a video at all" * 100, b""])
def test_corrupt_source_is_a_decode_error(tmp_path: Path, content: bytes) -> None:
    # What the user sees: "broken.mp4: not a readable picture or video (...)".
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    asset = video_asset(path, "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "decode_error"
    assert "broken.mp4" in str(info.value)


def test_truncated_video_is_a_decode_error(counter_video: MediaAsset, tmp_path: Path) -> None:
    path = tmp_path / "cut.mp4"
    path.write_bytes(Path(counter_video.path).read_bytes()[:2000])
    asset = video_asset(path, "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "decode_error"


# --- remote sources -----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    body: bytes = b""
    release = threading.Event()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/error"):
            self.send_error(500)
        elif self.path.startswith("/stall"):
            self.release.wait(10)  # say nothing, like a hung CDN edge
        elif self.path.startswith("/good"):
            self._send_range(self.body)
        else:
            self.send_error(404)

    def _send_range(self, body: bytes) -> None:
        # FFmpeg seeks with Range requests.
        start, end = 0, len(body) - 1
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            first, _, last = header[6:].partition("-")
            start = int(first or 0)
            end = int(last) if last else end
        self.send_response(206 if header else 200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if header:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        self.end_headers()
        self.wfile.write(body[start : end + 1])


@pytest.fixture(scope="module")
def server(counter_video: MediaAsset) -> Iterator[str]:
    _Handler.body = Path(counter_video.path).read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Handler.release.set()
    httpd.shutdown()
    httpd.server_close()


def test_remote_video_renders_like_a_local_one(
    server: str, counter_video: MediaAsset, tmp_path: Path
) -> None:
    seg = segment(source_in=2000)
    result = render_clip(seg, counter_video, tmp_path / "c.mp4", ENC, source=f"{server}/good.mp4")
    frames = decode_frames(result.path)
    assert [read_counter(f) for f in frames] == list(range(48, 72))


@pytest.mark.parametrize(
    ("path", "reason"), [("/error.mp4", "cdn_error"), ("/missing.mp4", "not_found")]
)
def test_remote_http_errors_map_to_reasons(
    server: str, counter_video: MediaAsset, tmp_path: Path, path: str, reason: str
) -> None:
    with pytest.raises(EngineError) as info:
        render_clip(segment(), counter_video, tmp_path / "c.mp4", ENC, source=server + path)
    assert info.value.reason == reason


def test_stalled_remote_times_out_within_the_timeout(
    server: str, counter_video: MediaAsset, tmp_path: Path
) -> None:
    began = time.monotonic()
    with pytest.raises(EngineError) as info:
        render_clip(
            segment(),
            counter_video,
            tmp_path / "c.mp4",
            ENC,
            source=f"{server}/stall.mp4?sig=secret",
            timeouts=Timeouts(connect_s=1.0, read_s=1.0),
        )
    assert info.value.reason == "timeout"
    assert time.monotonic() - began < 5
    assert "secret" not in str(info.value)  # signed URLs are not echoed


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


def test_codec_threads_setting_reaches_the_encoder(tmp_path: Path) -> None:
    before = codec_threads()
    try:
        set_codec_threads(1)
        with av.open(str(tmp_path / "x.mp4"), "w") as out:
            assert add_video_stream(out, ENC).codec_context.thread_count == 1
        set_codec_threads(0)
        with av.open(str(tmp_path / "y.mp4"), "w") as out:
            assert add_video_stream(out, ENC).codec_context.thread_count == 0
    finally:
        set_codec_threads(before)
    tune_allocator()
    tune_allocator()  # idempotent


def test_encoders_that_fill_the_cores_get_one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "_env_threads", "")
    assert threads_for_parallelism(2, cores=2) == 1
    assert threads_for_parallelism(4, cores=2) == 1
    # Fewer encoders than cores: each needs threads to use the machine.
    assert threads_for_parallelism(1, cores=2) == 0
    assert threads_for_parallelism(3, cores=8) == 0
    monkeypatch.setattr(encoding, "_env_threads", "3")
    assert threads_for_parallelism(4, cores=2) == 3  # the operator's setting wins


def test_yuv420p_frame_holds_the_array_and_its_planes_are_writable_views() -> None:
    """Frames built plane by plane carry exactly the I420 pixels, and writes reach them."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (72 * 3 // 2, 128), dtype=np.uint8)
    frame = encoding.yuv420p_frame(pixels)
    assert (frame.width, frame.height, frame.format.name) == (128, 72, "yuv420p")
    assert np.array_equal(frame.to_ndarray(), pixels)
    y, u, v = encoding.frame_planes(frame)
    assert (y.shape, u.shape, v.shape) == ((72, 128), (36, 64), (36, 64))
    u[:] = 200
    assert np.all(encoding.planes(frame.to_ndarray(), 128, 72)[1] == 200)
