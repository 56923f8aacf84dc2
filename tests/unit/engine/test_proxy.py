"""Upload-time proxies: their shape, and clips rendered from them match the source's."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.clip import clip_layout, render_clip
from engine.clip_cache import clip_key
from engine.edl import CUT, Effects, KenBurns, Segment, Transition
from engine.encoding import EncodeSettings
from engine.media import MediaAsset
from engine.probe import probe
from engine.proxy import PROXY_GOP, make_proxy, proxy_checksum
from engine.render_settings import OutputSettings
from engine.sample_media import uniform_edl
from engine.sources import open_source
from engine.timeline import edl_to_json
from tests.support.media_gen import (
    count_frames,
    counter_picture,
    decode_clip_frames,
    decode_frames,
    image_asset,
    read_counter,
    square_picture,
    video_asset,
    write_still,
    write_video,
)

FPS = 24
OUTPUT = OutputSettings(width=320, height=180, fps=FPS)
ENC = EncodeSettings(width=320, height=180, fps=FPS, preset="ultrafast", crf=18)
XFADE = Transition(type="crossfade", duration_ms=250)


def segment(
    *,
    media_type: str = "video",
    source_in: int = 0,
    effects: Effects | None = None,
    t_in: Transition = CUT,
    t_out: Transition = CUT,
) -> Segment:
    before = t_in.duration_ms // 2 if t_in.type == "crossfade" else 0
    after = t_out.duration_ms - t_out.duration_ms // 2 if t_out.type == "crossfade" else 0
    render = 1000 + before + after
    return Segment(
        index=1,
        asset_id="a",
        media_type=media_type,  # type: ignore[arg-type]
        timeline_in_ms=1000,
        timeline_out_ms=2000,
        render_duration_ms=render,
        source_in_ms=source_in if media_type == "video" else 0,
        source_out_ms=(source_in if media_type == "video" else 0) + render,
        transition_in=t_in,
        transition_out=t_out,
        effects=effects or Effects(),
    )


@pytest.fixture(scope="module")
def wide_video(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    """4 s of 24 fps counter frames at 480x270 (larger than the output), GOP 2 s."""
    path = tmp_path_factory.mktemp("src") / "wide.mp4"
    write_video(path, width=480, height=270, frames=96, fps=FPS, gop=48)
    return video_asset(path, "a", frames=96, fps=FPS, width=480, height=270)


@pytest.fixture(scope="module")
def wide_proxy(wide_video: MediaAsset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("proxy") / "wide.proxy.mp4"
    return make_proxy(Path(wide_video.path), out, OUTPUT)


def mean_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    assert len(a) == len(b)
    return float(
        np.mean(
            [np.abs(x.astype(float) - y.astype(float)).mean() for x, y in zip(a, b, strict=True)]
        )
    )


def test_video_proxy_has_the_output_size_duration_and_frames(
    wide_video: MediaAsset, wide_proxy: Path
) -> None:
    src, proxy = probe(wide_video.path), probe(wide_proxy)
    assert (proxy.width, proxy.height, proxy.rotation) == (320, 180, 0)
    assert proxy.kind == "video" and proxy.codec == "h264"
    assert proxy.duration_ms is not None and src.duration_ms is not None
    assert abs(proxy.duration_ms - src.duration_ms) <= 1000 / FPS
    assert abs(count_frames(wide_proxy) - count_frames(Path(wide_video.path))) <= 1
    # Same timestamps, same frames: frame k of the proxy is frame k of the source.
    frames = decode_frames(wide_proxy)
    assert [read_counter(f) for f in frames[:5]] == [0, 1, 2, 3, 4]
    assert read_counter(frames[-1]) == 95


def test_video_proxy_has_short_gops_and_no_b_frames(wide_proxy: Path) -> None:
    with av.open(str(wide_proxy)) as c:
        stream = c.streams.video[0]
        packets = [p for p in c.demux(stream) if p.size]
        keys = [i for i, p in enumerate(packets) if p.is_keyframe]
        assert keys == list(range(0, len(packets), PROXY_GOP))
        # Without B-frames, decode order is presentation order.
        pts = [p.pts or 0 for p in packets]
        assert pts == sorted(pts)


def test_clip_from_video_proxy_matches_clip_from_source(
    wide_video: MediaAsset, wide_proxy: Path, tmp_path: Path
) -> None:
    seg = segment(source_in=1500, t_in=XFADE, t_out=XFADE)
    with_proxy = wide_video.model_copy(update={"proxy_path": str(wide_proxy)})
    original = render_clip(seg, wide_video, tmp_path / "orig.mp4", ENC)
    proxied = render_clip(seg, with_proxy, tmp_path / "proxy.mp4", ENC)
    assert not original.from_proxy and proxied.from_proxy
    layout = clip_layout(seg, FPS)
    a = decode_clip_frames(original.path, layout, FPS)
    b = decode_clip_frames(proxied.path, layout, FPS)
    # Same source times: the same frames, in the same order.
    assert [read_counter(f) for f in a] == [read_counter(f) for f in b]
    # source_in 1500 ms is source frame 36; the clip file holds the body from clip frame 6.
    assert read_counter(b[0]) == 36 + layout.head
    assert mean_diff(a, b) < 3.0
    # The short GOP: the proxy decodes fewer frames before the cut than the 2 s source.
    assert proxied.decoded_frames < original.decoded_frames


def test_rotated_video_proxy_is_upright(tmp_path: Path) -> None:
    # Stored 320x180, shown turned 90 degrees clockwise: 180 wide, 320 tall.
    path = write_video(tmp_path / "rot.mp4", width=320, height=180, frames=24, rotation=-90)
    info = probe(path)
    assert info.rotation == 90
    asset = video_asset(path, "a", frames=24, fps=FPS, width=320, height=180)
    asset = asset.model_copy(update={"rotation": 90})
    output = OutputSettings(width=180, height=320, fps=FPS)
    proxy = make_proxy(path, tmp_path / "rot.proxy.mp4", output)
    got = probe(proxy)
    assert (got.width, got.height, got.rotation) == (180, 320, 0)
    enc = EncodeSettings(width=180, height=320, fps=FPS, preset="ultrafast", crf=18)
    seg = segment(source_in=0)
    seg = seg.model_copy(update={"source_out_ms": 1000, "render_duration_ms": 1000})
    a = decode_frames(render_clip(seg, asset, tmp_path / "a.mp4", enc).path)
    result = render_clip(
        seg, asset.model_copy(update={"proxy_path": str(proxy)}), tmp_path / "b.mp4", enc
    )
    assert result.from_proxy
    b = decode_frames(result.path)
    assert a[0].shape == b[0].shape == (320, 180, 3)
    assert mean_diff(a, b) < 3.0


@pytest.fixture(scope="module")
def big_still(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    path = tmp_path_factory.mktemp("still") / "big.png"
    pixels = square_picture(1600, 1000, 200)
    pixels[::50, :] = 255  # a grid, so resampling differences would show
    pixels[:, ::50] = 255
    return image_asset(write_still(path, pixels), "a", 1600, 1000)


def test_still_proxy_is_what_ken_burns_needs_at_the_output_size(
    big_still: MediaAsset, tmp_path: Path
) -> None:
    proxy = make_proxy(Path(big_still.path), tmp_path / "big.proxy.jpg", OUTPUT)
    info = probe(proxy)
    assert info.kind == "image" and info.rotation == 0
    # Zoom 2 at 320x180 needs 640x360 inside the picture; the aspect (1.6) is kept.
    assert info.width == 640 and info.height == 400


def test_small_still_is_not_upscaled(tmp_path: Path) -> None:
    path = write_still(tmp_path / "small.png", square_picture(400, 300, 50))
    proxy = make_proxy(path, tmp_path / "small.proxy.jpg", OUTPUT)
    info = probe(proxy)
    assert (info.width, info.height) == (400, 300)


def test_ken_burns_clip_from_still_proxy_matches_the_source(
    big_still: MediaAsset, tmp_path: Path
) -> None:
    proxy = make_proxy(Path(big_still.path), tmp_path / "big.proxy.jpg", OUTPUT)
    kb = KenBurns(start_zoom=1.0, end_zoom=2.0, start_x=0.4, start_y=0.5, end_x=0.6, end_y=0.45)
    seg = segment(media_type="image", effects=Effects(ken_burns=kb))
    original = render_clip(seg, big_still, tmp_path / "orig.mp4", ENC)
    proxied = render_clip(
        seg, big_still.model_copy(update={"proxy_path": str(proxy)}), tmp_path / "p.mp4", ENC
    )
    assert proxied.from_proxy
    a, b = decode_frames(original.path), decode_frames(proxied.path)
    assert len(a) == len(b) == 24
    assert mean_diff(a, b) < 4.0


def test_proxy_for_another_output_aspect_is_passed_over(
    wide_video: MediaAsset, wide_proxy: Path, tmp_path: Path
) -> None:
    # A 4:3 output: the 16:9 proxy has lost the sides it needs, so the source is used.
    enc = EncodeSettings(width=240, height=180, fps=FPS, preset="ultrafast", crf=18)
    asset = wide_video.model_copy(update={"proxy_path": str(wide_proxy)})
    result = render_clip(segment(), asset, tmp_path / "c.mp4", enc)
    assert not result.from_proxy


def test_missing_proxy_falls_back_to_the_source_and_its_cache_key(
    wide_video: MediaAsset, tmp_path: Path
) -> None:
    seg = segment()
    asset = wide_video.model_copy(update={"proxy_path": str(tmp_path / "gone.mp4")})
    result = render_clip(seg, asset, tmp_path / "c.mp4", ENC)
    assert not result.from_proxy and result.frames == 24
    assert clip_key(seg, asset, ENC) == clip_key(seg, wide_video, ENC)


def test_cache_key_names_the_proxy_and_is_unchanged_without_one(
    wide_video: MediaAsset, wide_proxy: Path, tmp_path: Path
) -> None:
    seg = segment()
    plain = clip_key(seg, wide_video, ENC)
    explicit_none = clip_key(seg, wide_video.model_copy(update={"proxy_path": None}), ENC)
    assert plain == explicit_none
    with_proxy = wide_video.model_copy(update={"proxy_path": str(wide_proxy)})
    assert clip_key(seg, with_proxy, ENC) != plain
    # Another proxy (other bytes) is another clip.
    other = tmp_path / "other.mp4"
    other.write_bytes(wide_proxy.read_bytes() + b"\0")
    assert proxy_checksum(other) != proxy_checksum(wide_proxy)
    assert clip_key(seg, with_proxy.model_copy(update={"proxy_path": str(other)}), ENC) != (
        clip_key(seg, with_proxy, ENC)
    )
    # Rewriting a proxy in place is seen (the memo is keyed by size and mtime).
    other.write_bytes(wide_proxy.read_bytes() + b"\1\1")
    os.utime(other, ns=(1, 1))
    assert proxy_checksum(other) != proxy_checksum(wide_proxy)


def test_edl_and_its_hash_do_not_depend_on_proxies(
    wide_video: MediaAsset, wide_proxy: Path
) -> None:
    still = image_asset(Path("/m/s.png"), "s", 640, 360)
    assets = [wide_video, still]
    proxied = [
        wide_video.model_copy(update={"proxy_path": str(wide_proxy)}),
        still.model_copy(update={"proxy_path": "/m/s.proxy.jpg"}),
    ]
    a = uniform_edl(assets, count=4, ken_burns=True)
    b = uniform_edl(proxied, count=4, ken_burns=True)
    assert a.edl_hash == b.edl_hash
    assert edl_to_json(a) == edl_to_json(b)


def test_video_proxy_keeps_variable_frame_timing(tmp_path: Path) -> None:
    # Frames at uneven times: the proxy must keep each frame's time, not renumber them.
    path = tmp_path / "vfr.mp4"
    times = [0, 1, 2, 4, 5, 8, 9, 10, 14, 15]  # in 1/24 s
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i, t in enumerate(times):
            frame = av.VideoFrame.from_ndarray(counter_picture(i, 320, 180), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    proxy = make_proxy(path, tmp_path / "vfr.proxy.mp4", OUTPUT)

    def stamps(p: Path) -> list[float]:
        with av.open(str(p)) as c:
            s = c.streams.video[0]
            origin, tb = s.start_time or 0, s.time_base or Fraction(1, FPS)
            return [float(((f.pts or 0) - origin) * tb) for f in c.decode(s)]

    assert stamps(proxy) == pytest.approx(stamps(path), abs=1e-3)


def test_clip_key_without_a_proxy_is_the_key_of_before_proxies() -> None:
    # Pinned: computed with clip_cache.py as it was before proxies existed (apart from
    # CACHE_VERSION, bumped to 3 when clips lost their edge tracks: clips cached before
    # must not be reused), so an accidental change to the key shows here.
    seg = Segment(
        index=1,
        asset_id="a",
        media_type="video",
        timeline_in_ms=1000,
        timeline_out_ms=2000,
        render_duration_ms=1000,
        source_in_ms=500,
        source_out_ms=1500,
        transition_in=CUT,
        transition_out=CUT,
        effects=Effects(),
    )
    asset = MediaAsset(
        id="a",
        kind="video",
        path="/m/a.mp4",
        checksum="sha-a",
        width=480,
        height=270,
        duration_ms=4000,
        fps=24.0,
    )
    assert clip_key(seg, asset, ENC) == (
        "f76e8b8debbc5f3a86661f5f83ac8e545dbbe29f05c67c19bbc122f139ef1464"
    )


def test_proxy_opened_without_probe_decoding_gives_the_same_pictures(wide_proxy: Path) -> None:
    """Skipping FFmpeg's probe decode (own_proxy) changes the cost of opening, not pixels."""
    pictures = []
    for own in (False, True):
        with open_source(str(wide_proxy), own_proxy=own) as container:
            stream = container.streams.video[0]
            pictures.append([f.to_ndarray() for f in container.decode(stream)])
    plain, own = pictures
    assert len(own) == len(plain) > 0
    assert all(np.array_equal(a, b) for a, b in zip(plain, own, strict=True))
