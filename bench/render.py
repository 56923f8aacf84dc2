"""Benchmark: a 60-segment, 60 s, 720p30 timeline with 250 ms crossfades, several ways.

    .venv/bin/python -m bench.render [--skip moviepy] [--skip proxy] [--preset veryfast]

(a) our engine (render_edl, process pool, all cores), (b) one ffmpeg command line
(Debian's ffmpeg: trim, scale/crop, zoompan, xfade), (c) MoviePy written the plain
way, (d) our engine again after editing one segment (cache hits for the rest), and
(e) our engine on upload-time proxies (engine.proxy: 720p short-GOP videos,
pre-scaled stills; engine.music: the song as AAC, so only its fade-out is encoded again;
their creation time is printed apart, as uploads pay it), and (f) the bound: libx264
alone encoding the finished output's frames from raw YUV, which says how fast the
machine is today and how much of each method's time is its pipeline.
Every method uses libx264 with the same preset and CRF. Each method runs in its own
subprocess; wall time, CPU time (user + sys of the whole process tree) and peak memory
(sum of the tree's RSS, sampled every 50 ms) are measured from outside. Media is
generated once into .data/bench-media/. The machine is shared: repeats vary by 15-20 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path

import av
import cv2
import numpy as np

from engine.edl import EDL, Effects, KenBurns, Segment, render_window_ms
from engine.encoding import EncodeSettings, encode_settings
from engine.media import MediaAsset
from engine.render_settings import OutputSettings
from engine.sample_media import uniform_edl, write_tone

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / ".data" / "bench-media"
WORK = ROOT / ".data" / "bench-work"
SECONDS, SEGMENTS, FPS, WIDTH, HEIGHT = 60, 60, 30, 1280, 720
SOURCES = 12
EDITED = 31  # the segment the re-render changes (a still)


# --- media ------------------------------------------------------------------------


def _texture(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 40 + 2, width // 40 + 2, 3), dtype=np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def make_video(path: Path, seed: int) -> None:
    """10 s of 1080p30 with motion everywhere and a 2 s key frame interval (phone-like)."""
    tex = _texture(2400, 1400, seed)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "veryfast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.codec_context.gop_size = 60
        for i in range(300):
            x, y = (i * 3) % 400, (i * 2) % 300
            frame_rgb = np.ascontiguousarray(tex[y : y + 1080, x : x + 1920])
            cv2.putText(frame_rgb, f"{seed}:{i}", (80, 200), 0, 5, (255, 255, 255), 12)
            frame = av.VideoFrame.from_ndarray(frame_rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 30)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


def make_still(path: Path, seed: int) -> None:
    """A 3000x2000 JPEG with detail (a texture and a grid)."""
    pixels = _texture(3000, 2000, 100 + seed)
    pixels[::100, :] = 255
    pixels[:, ::100] = 255
    cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])


def ensure_media() -> tuple[list[MediaAsset], Path]:
    """Generate (once) 12 videos, 12 stills and a 60 s song; return assets and song."""
    MEDIA.mkdir(parents=True, exist_ok=True)
    assets = []
    for k in range(SOURCES):
        video, still = MEDIA / f"video{k:02d}.mp4", MEDIA / f"still{k:02d}.jpg"
        if not video.exists():
            print(f"generating {video.name}", flush=True)
            make_video(video.with_suffix(".tmp.mp4"), k)
            video.with_suffix(".tmp.mp4").rename(video)
        if not still.exists():
            make_still(still, k)
        assets.append(
            MediaAsset(
                id=f"v{k}",
                kind="video",
                path=str(video),
                checksum=f"bench-video-{k}",
                width=1920,
                height=1080,
                duration_ms=10_000,
                fps=30.0,
            )
        )
        assets.append(
            MediaAsset(
                id=f"s{k}",
                kind="image",
                path=str(still),
                checksum=f"bench-still-{k}",
                width=3000,
                height=2000,
            )
        )
    song = MEDIA / "song.wav"
    if not song.exists():
        write_tone(song, SECONDS + 1.0, freq=220.0)
    return assets, song


def proxy_dir() -> Path:
    """Where the bench keeps its proxies (per proxy recipe and output size)."""
    from engine.proxy import PROXY_VERSION

    return MEDIA / f"proxies-v{PROXY_VERSION}-{WIDTH}x{HEIGHT}"


def ensure_proxy_assets(assets: list[MediaAsset]) -> list[MediaAsset]:
    """The assets with proxy_path set, making missing proxies as an upload would."""
    from engine.proxy import make_proxy

    output = OutputSettings(width=WIDTH, height=HEIGHT, fps=FPS)
    result = []
    for asset in assets:
        suffix = ".mp4" if asset.kind == "video" else ".jpg"
        proxy = proxy_dir() / f"{Path(asset.path).stem}.proxy{suffix}"
        _make_timed(proxy, asset.kind, partial(make_proxy, Path(asset.path), proxy, output))
        result.append(asset.model_copy(update={"proxy_path": str(proxy)}))
    return result


def ensure_music_proxy(song: Path) -> Path:
    """The song's upload-time AAC proxy (engine.music), made once and timed like the others."""
    from engine.music import make_music_proxy

    proxy = proxy_dir() / f"{song.stem}.proxy.m4a"
    _make_timed(proxy, "music", partial(make_music_proxy, song, proxy))
    return proxy


def _make_timed(proxy: Path, kind: str, make: Callable[[], object]) -> None:
    """Make `proxy` if it is missing, timing it (wall and CPU) into times.json beside it.

    Proxies are made at upload time, so their cost is reported apart from the render.
    """
    if proxy.exists():
        return
    proxy.parent.mkdir(parents=True, exist_ok=True)
    times_file = proxy.parent / "times.json"
    times = json.loads(times_file.read_text()) if times_file.exists() else {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    make()
    times[proxy.name] = {
        "kind": kind,
        "wall_s": round(time.perf_counter() - wall0, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "bytes": proxy.stat().st_size,
    }
    times_file.write_text(json.dumps(times, indent=1))


def proxy_summary() -> str:
    """Proxy creation cost (upload time, not render time) from times.json."""
    times_file = proxy_dir() / "times.json"
    if not times_file.exists():
        return "proxies: none made"
    times = json.loads(times_file.read_text())
    parts = []
    for kind in ("video", "image", "music"):
        rows = [t for t in times.values() if t["kind"] == kind]
        if rows:
            wall = sum(t["wall_s"] for t in rows)
            cpu = sum(t["cpu_s"] for t in rows)
            size = sum(t["bytes"] for t in rows) / 2**20
            noun = "proxy" if len(rows) == 1 else "proxies"
            parts.append(
                f"{len(rows)} {kind} {noun} {wall:.1f} s wall / {cpu:.1f} s CPU "
                f"({wall / len(rows):.2f} s each, {size:.0f} MB)"
            )
    return "proxy creation at upload time (not in the render figures): " + "; ".join(parts)


def bench_edl(assets: list[MediaAsset]) -> EDL:
    """60 one-second segments over videos and stills, 250 ms crossfades, Ken Burns."""
    return uniform_edl(
        assets,
        count=SEGMENTS,
        segment_ms=1000,
        transition="crossfade",
        transition_ms=250,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        ken_burns=True,
    )


def edited_edl(edl: EDL) -> EDL:
    """The user changes one photo's pan and zoom."""
    kb = KenBurns(start_zoom=1.0, end_zoom=1.25, start_x=0.5, start_y=0.5, end_x=0.3, end_y=0.6)
    segments = list(edl.segments)
    segments[EDITED] = segments[EDITED].model_copy(update={"effects": Effects(ken_burns=kb)})
    return edl.model_copy(update={"segments": segments})


# --- the methods (each runs in a child process) --------------------------------------


def run_engine(enc: EncodeSettings, out: Path, *, edit: bool, proxy: bool) -> dict[str, object]:
    """Render with our engine; prints its own profile."""
    from engine.clip_cache import ClipCache
    from engine.render import render_edl

    assets, song = ensure_media()
    edl = bench_edl(assets)
    if edit:
        edl = edited_edl(edl)
    music_proxy = None
    if proxy:
        assets = ensure_proxy_assets(assets)
        music_proxy = ensure_music_proxy(song)
    cache = ClipCache(WORK / ("cache-proxy" if proxy else "cache"))
    report = render_edl(
        edl,
        assets,
        song,
        out,
        WORK / "engine",
        workers=os.cpu_count() or 2,
        enc=enc,
        cache=cache,
        music_proxy=music_proxy,
    )
    stages: dict[str, float] = {"decode": 0.0, "process": 0.0, "encode": 0.0}
    decoded = used = from_proxy = 0
    for r in report.clip_results:
        from_proxy += r.from_proxy
        for k in stages:
            stages[k] += r.timings.get(k, 0.0)
        decoded += r.decoded_frames
        used += r.frames
    return {
        "clips_rendered": len(report.clips_rendered),
        "transitions_rendered": len(report.transitions_rendered),
        "wall": {k: round(v, 2) for k, v in report.timings.items()},
        "clip_cpu_s": {k: round(v, 2) for k, v in stages.items()},
        "decoded_frames": decoded,
        "clip_frames": used,
        "clips_from_proxy": from_proxy,
    }


def _kb_expr(seg: Segment, frames: int) -> tuple[str, str, str]:
    kb = seg.effects.ken_burns or KenBurns(
        start_zoom=1, end_zoom=1, start_x=0.5, start_y=0.5, end_x=0.5, end_y=0.5
    )
    t = f"(on/{max(frames - 1, 1)})"
    z = f"{kb.start_zoom}*pow({kb.end_zoom / kb.start_zoom},{t})"
    cx = f"({kb.start_x}+({kb.end_x - kb.start_x})*{t})"
    cy = f"({kb.start_y}+({kb.end_y - kb.start_y})*{t})"
    x = f"max(0,min(iw-iw/zoom,{cx}*iw-iw/zoom/2))"
    y = f"max(0,min(ih-ih/zoom,{cy}*ih-ih/zoom/2))"
    return z, x, y


def ffmpeg_command(enc: EncodeSettings, out: Path) -> list[str]:
    """One ffmpeg command line with an equivalent filter graph."""
    assets, song = ensure_media()
    by_id = {a.id: a for a in assets}
    edl = bench_edl(assets)
    args = ["ffmpeg", "-y", "-hide_banner", "-loglevel", "error"]
    graph = []
    for seg in edl.segments:
        start, end = render_window_ms(seg)
        dur = (end - start) / 1000
        asset = by_id[seg.asset_id]
        k = seg.index
        fit = f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=increase,crop={WIDTH}:{HEIGHT}"
        if seg.media_type == "video":
            args += ["-ss", f"{seg.source_in_ms / 1000:.3f}", "-t", f"{dur:.3f}", "-i", asset.path]
            graph.append(
                f"[{k}:v]fps={FPS},{fit},setsar=1,format=yuv420p,setpts=PTS-STARTPTS[v{k}]"
            )
        else:
            frames = round(dur * FPS)
            args += ["-loop", "1", "-framerate", str(FPS), "-t", f"{dur:.3f}", "-i", asset.path]
            z, x, y = _kb_expr(seg, frames)
            pre = f"scale={WIDTH * 2}:{HEIGHT * 2}:force_original_aspect_ratio=increase,"
            pre += f"crop={WIDTH * 2}:{HEIGHT * 2}"
            graph.append(
                f"[{k}:v]{pre},zoompan=z='{z}':x='{x}':y='{y}':d=1:s={WIDTH}x{HEIGHT}:fps={FPS},"
                f"setsar=1,format=yuv420p,setpts=PTS-STARTPTS[v{k}]"
            )
    last = "v0"
    for seg in edl.segments[1:]:
        offset = render_window_ms(seg)[0] / 1000
        k = seg.index
        graph.append(f"[{last}][v{k}]xfade=transition=fade:duration=0.25:offset={offset:.3f}[x{k}]")
        last = f"x{k}"
    audio_index = len(edl.segments)
    total = edl.total_duration_ms / 1000
    graph.append(f"[{audio_index}:a]atrim=0:{total},afade=t=out:st={total - 0.5}:d=0.5[a]")
    args += ["-i", str(song)]
    args += ["-filter_complex", ";".join(graph), "-map", f"[{last}]", "-map", "[a]"]
    args += ["-c:v", "libx264", "-preset", enc.preset, "-crf", str(enc.crf), "-pix_fmt", "yuv420p"]
    args += ["-r", str(FPS), "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"]
    args += ["-t", f"{total}", str(out)]
    return args


def run_ffmpeg(enc: EncodeSettings, out: Path) -> dict[str, object]:
    """Run the ffmpeg command line (in this child, so the parent measures its tree)."""
    cmd = ffmpeg_command(enc, out)
    subprocess.run(cmd, check=True)
    return {"filter_graph_chars": len(cmd[cmd.index("-filter_complex") + 1])}


def raw_frames_path() -> Path:
    """Where the parent leaves the engine output's frames, raw, for the encode-only run."""
    return WORK / "frames.yuv"


def run_encode_only(enc: EncodeSettings, out: Path) -> dict[str, object]:
    """Only libx264 (same preset and CRF, ffmpeg's threads): the machine's bound today.

    Encodes the finished output's 1800 frames from raw YUV, so nothing is decoded,
    scaled or blended: what any method spends beyond this is its pipeline.
    """
    cmd = ["ffmpeg", "-y", "-hide_banner", "-loglevel", "error", "-f", "rawvideo"]
    cmd += ["-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS)]
    cmd += ["-i", str(raw_frames_path()), "-c:v", "libx264", "-preset", enc.preset]
    cmd += ["-crf", str(enc.crf), "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True)
    return {}


def write_raw_frames(video: Path) -> None:
    """Decode `video` to raw yuv420p for run_encode_only (not timed)."""
    cmd = ["ffmpeg", "-y", "-hide_banner", "-loglevel", "error", "-i", str(video)]
    cmd += ["-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw_frames_path())]
    subprocess.run(cmd, check=True)


def run_moviepy(enc: EncodeSettings, out: Path) -> dict[str, object]:
    """MoviePy 2 written the plain way: subclips, resized stills, CrossFadeIn, composite."""
    from moviepy import (
        AudioFileClip,
        CompositeVideoClip,
        ImageClip,
        VideoFileClip,
        afx,
        vfx,
    )

    assets, song = ensure_media()
    by_id = {a.id: a for a in assets}
    edl = bench_edl(assets)
    clips = []
    for seg in edl.segments:
        start, end = render_window_ms(seg)
        dur = (end - start) / 1000
        asset = by_id[seg.asset_id]
        if seg.media_type == "video":
            clip = VideoFileClip(asset.path, audio=False).subclipped(
                seg.source_in_ms / 1000, seg.source_in_ms / 1000 + dur
            )
            clip = clip.resized(height=HEIGHT)
        else:
            kb = seg.effects.ken_burns
            assert kb is not None
            base = HEIGHT / 2000 * 1.0  # 3000x2000 -> height 720 at zoom 1

            def zoom(t: float, kb: KenBurns = kb, dur: float = dur, base: float = base) -> float:
                return base * kb.start_zoom * (kb.end_zoom / kb.start_zoom) ** (t / dur)

            clip = ImageClip(asset.path).with_duration(dur).resized(zoom).with_position("center")
            clip = CompositeVideoClip([clip], size=(WIDTH, HEIGHT))
        clip = clip.with_start(start / 1000)
        if seg.index > 0:
            clip = clip.with_effects([vfx.CrossFadeIn(0.25)])
        clips.append(clip)
    video = CompositeVideoClip(clips, size=(WIDTH, HEIGHT)).with_duration(SECONDS)
    music = AudioFileClip(str(song)).subclipped(0, SECONDS).with_effects([afx.AudioFadeOut(0.5)])
    video = video.with_audio(music)
    video.write_videofile(
        str(out),
        fps=FPS,
        codec="libx264",
        preset=enc.preset,
        ffmpeg_params=["-crf", str(enc.crf), "-pix_fmt", "yuv420p"],
        audio_codec="aac",
        audio_bitrate="192k",
        threads=os.cpu_count() or 2,
        logger=None,
    )
    return {}


# --- measuring --------------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Sum of RSS (bytes) of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user).
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    """One method's run, measured from the parent."""

    name: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    frames: int
    profile: dict[str, object]
    others_cpu_s: float = 0.0  # CPU the rest of the machine used meanwhile (shared box)

    @property
    def rtf(self) -> float:
        """Realtime factor: seconds of output per second of wall time."""
        return SECONDS / self.wall_s


def measure(name: str, argv: list[str], out: Path) -> Measured:
    """Run one method in a child process and measure wall, CPU and peak tree RSS."""
    out.unlink(missing_ok=True)
    busy0 = _busy_cpu_s()
    began = time.perf_counter()
    # From the repository root, where `-m bench.render` finds the packages.
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak = 0
    while True:
        peak = max(peak, _tree_rss(child.pid))
        try:
            _, status, usage = os.wait4(child.pid, os.WNOHANG)
        except ChildProcessError:
            break
        if _ or status:
            break
        time.sleep(0.05)
    wall = time.perf_counter() - began
    others = max(0.0, _busy_cpu_s() - busy0 - (usage.ru_utime + usage.ru_stime))
    stdout = child.stdout.read() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed: {stdout[-2000:]}")
    profile = {}
    for line in stdout.splitlines():
        if line.startswith("PROFILE "):
            profile = json.loads(line[8:])
    return Measured(
        name=name,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mb=peak / 2**20,
        frames=count_video_frames(out),
        profile=profile,
        others_cpu_s=others,
    )


def count_video_frames(path: Path) -> int:
    """Video packets in the output (one per frame for H.264 here)."""
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(video=0) if p.size)


def main() -> None:
    """Parse arguments; as a child run one method, as the parent run and report all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    final = encode_settings(OutputSettings(width=WIDTH, height=HEIGHT, fps=FPS), "final")
    parser.add_argument("--preset", default=final.preset)
    parser.add_argument("--crf", type=int, default=final.crf)
    parser.add_argument(
        "--skip", action="append", default=[], help="moviepy, ffmpeg, proxy, encode_only"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    enc = EncodeSettings(WIDTH, HEIGHT, FPS, preset=args.preset, crf=args.crf)

    if args.child:
        out = Path(args.out)
        runners = {
            "engine": lambda: run_engine(enc, out, edit=False, proxy=False),
            "rerender": lambda: run_engine(enc, out, edit=True, proxy=False),
            "engine_proxy": lambda: run_engine(enc, out, edit=False, proxy=True),
            "ffmpeg": lambda: run_ffmpeg(enc, out),
            "moviepy": lambda: run_moviepy(enc, out),
            "encode_only": lambda: run_encode_only(enc, out),
        }
        print("PROFILE " + json.dumps(runners[args.child]()), flush=True)
        return

    assets, song = ensure_media()
    if "proxy" not in args.skip:
        ensure_proxy_assets(assets)
        ensure_music_proxy(song)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    expected = SECONDS * FPS
    print(
        f"libx264 preset={enc.preset} crf={enc.crf}, {WIDTH}x{HEIGHT}@{FPS}, {SEGMENTS} "
        f"segments, 250 ms crossfades, {os.cpu_count()} cores (shared: timings are noisy)"
    )
    plan = [("engine", "engine"), ("rerender", "rerender")]
    if "proxy" not in args.skip:
        plan.append(("engine_proxy", "engine_proxy"))
    for method in ("ffmpeg", "moviepy"):
        if method not in args.skip:
            plan.append((method, method))
    if "encode_only" not in args.skip:
        plan.append(("encode_only", "encode_only"))
    results: dict[str, Measured] = {}
    for name, child in plan:
        out = WORK / f"{name}.mp4"
        if name == "encode_only":
            write_raw_frames(WORK / "engine.mp4")
        argv = [sys.executable, "-m", "bench.render", "--child", child, "--out", str(out)]
        argv += ["--preset", enc.preset, "--crf", str(enc.crf)]
        print(f"running {name} (load average {os.getloadavg()[0]:.2f}) ...", flush=True)
        results[name] = measure(name, argv, out)
    raw_frames_path().unlink(missing_ok=True)
    print()
    # "others": CPU seconds other processes used during the method (from /proc/stat), and
    # that as a share of the machine's cores over the method's wall time.
    print(
        f"{'method':<14}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'rtf':>7}{'frames':>8}"
        f"{'others s':>10}{'others %':>9}  ok"
    )
    cores = os.cpu_count() or 1
    for m in results.values():
        ok = "yes" if m.frames == expected else f"NO (want {expected})"
        share = 100 * m.others_cpu_s / (m.wall_s * cores)
        print(
            f"{m.name:<14}{m.wall_s:>8.1f}{m.cpu_s:>8.1f}{m.peak_mb:>9.0f}{m.rtf:>7.2f}"
            f"{m.frames:>8}{m.others_cpu_s:>10.1f}{share:>8.0f}%  {ok}"
        )
    print()
    for m in results.values():
        if m.profile:
            print(f"{m.name} profile: {json.dumps(m.profile)}")
    engine, rerender = results["engine"], results["rerender"]

    def rtf(name: str) -> str:
        return f"{results[name].rtf:.2f}" if name in results else "skipped"

    if "proxy" not in args.skip:
        print(proxy_summary())
    if "ffmpeg" in results:
        for name in ("engine", "engine_proxy"):
            if name in results:
                ratio = results["ffmpeg"].wall_s / results[name].wall_s
                print(f"{name} vs ffmpeg command line: {ratio:.2f}x")
    if "encode_only" in results:
        # The baseline the targets were set against: libx264 alone encoded this much 720p at
        # 4.3x. This run's figure says how fast the machine is today, and how close each
        # method gets to it.
        bound = results["encode_only"]
        for name in ("engine", "engine_proxy", "ffmpeg"):
            if name in results:
                share = 100 * bound.wall_s / results[name].wall_s
                print(f"{name} runs at {share:.0f}% of the encode-only bound ({bound.rtf:.2f}x)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")
    print(
        f"RESULT engine_rtf={engine.rtf:.2f} ffmpeg_rtf={rtf('ffmpeg')} "
        f"moviepy_rtf={rtf('moviepy')} rerender_fraction={rerender.wall_s / engine.wall_s:.3f} "
        f"engine_proxy_rtf={rtf('engine_proxy')} encode_only_rtf={rtf('encode_only')}"
    )


if __name__ == "__main__":
    main()
