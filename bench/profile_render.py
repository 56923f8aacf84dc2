"""Where the engine's time goes on the bench case (bench.render), stage by stage.

    .venv/bin/python -m bench.profile_render [--proxy] [--cprofile]

Runs the whole render serially in one process with one codec thread, so each stage's
CPU seconds can be read from the thread's CPU clock: per clip, decode / scale and Ken
Burns / encode (body at the delivery preset); per transition
piece, decode of both sides from their sources / their scale and Ken Burns / blend /
encode; the music; the mux. It also counts the frames each encoder sees against the
output's frame count.
Wall time of the real (parallel) render is what bench.render measures.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time

# Set before the engine is imported: one codec thread, so a thread's CPU clock is a stage's.
os.environ["BEATSTITCH_CODEC_THREADS"] = "1"

from bench.render import (  # noqa: E402
    FPS,
    HEIGHT,
    WIDTH,
    WORK,
    bench_edl,
    ensure_media,
    ensure_music_proxy,
    ensure_proxy_assets,
)
from engine import assemble, clip, music  # noqa: E402
from engine.encoding import EncodeSettings  # noqa: E402


def main() -> None:
    """Render the bench case serially and print CPU seconds per stage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy", action="store_true", help="render from upload-time proxies")
    parser.add_argument("--cprofile", action="store_true", help="also print the top functions")
    args = parser.parse_args()
    enc = EncodeSettings(WIDTH, HEIGHT, FPS)
    assets, song = ensure_media()
    if args.proxy:
        assets = ensure_proxy_assets(assets)
    music_proxy = ensure_music_proxy(song) if args.proxy else None
    by_id = {a.id: a for a in assets}
    edl = bench_edl(assets)
    plan = assemble.plan_assembly(edl, FPS)
    work = WORK / ("profile-proxy" if args.proxy else "profile")
    work.mkdir(parents=True, exist_ok=True)
    # One codec thread: encoders and decoders run in the calling thread, so its CPU
    # clock measures each stage, and the engine's own stage timers read CPU too.
    clip.time.perf_counter = time.thread_time
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    cpu0, wall0 = time.process_time(), time.monotonic()
    stages = {"decode": 0.0, "process": 0.0, "encode": 0.0}
    decoded = from_proxy = 0
    clips = []
    for seg in edl.segments:
        r = clip.render_clip(seg, by_id[seg.asset_id], work / f"clip-{seg.index:03d}.mp4", enc)
        for k in stages:
            stages[k] += r.timings[k]
        decoded += r.decoded_frames
        from_proxy += r.from_proxy
        clips.append(r.path)
    cpu_clips = time.process_time() - cpu0
    t_decode = t_process = t_blend = t_write = 0.0
    piece_decoded = 0
    for b in plan.boundaries:
        out_seg, in_seg = edl.segments[b.index], edl.segments[b.index + 1]
        first, tail_n, head_n = assemble.transition_frames(b, FPS, out_seg, in_seg)
        t0 = time.thread_time()
        tail = clip.segment_frames(out_seg, by_id[out_seg.asset_id], enc, first, tail_n)
        head = clip.segment_frames(in_seg, by_id[in_seg.asset_id], enc, 0, head_n)
        t1 = time.thread_time()
        for side in (tail, head):
            t_decode += side.timings["decode"]
            piece_decoded += side.decoded_frames
        t_process += t1 - t0 - tail.timings["decode"] - head.timings["decode"]
        frames = assemble.blend_transition(b.transition, tail.frames, head.frames)
        t2 = time.thread_time()
        assemble.write_frames(frames, work / f"piece-{b.index:03d}.mp4", enc)
        t3 = time.thread_time()
        t_blend, t_write = t_blend + t2 - t1, t_write + t3 - t2
    pieces = {b.index: work / f"piece-{b.index:03d}.mp4" for b in plan.boundaries}
    t0 = time.thread_time()
    audio = music.encode_audio(song, edl.total_duration_ms, work / "music.m4a", music_proxy)
    t1 = time.thread_time()
    assemble.mux_output(plan, clips, pieces, audio, work / "out.mp4")
    t2 = time.thread_time()
    cpu_total, wall_total = time.process_time() - cpu0, time.monotonic() - wall0
    if profiler:
        profiler.disable()
    body = sum(lay.body_frames for lay in plan.layouts)
    trans = sum(b.end - b.start for b in plan.boundaries)
    report = {
        "source": "proxy" if args.proxy else "original",
        "clips_from_proxy": from_proxy,
        "cpu_s": {
            "clip_decode": round(stages["decode"], 2),
            "clip_scale_kenburns": round(stages["process"], 2),
            "clip_encode_body": round(stages["encode"], 2),
            "clips_total": round(cpu_clips, 2),
            "transition_decode_sources": round(t_decode, 2),
            "transition_scale_kenburns": round(t_process, 2),
            "transition_blend": round(t_blend, 2),
            "transition_encode": round(t_write, 2),
            "audio_encode": round(t1 - t0, 2),
            "mux": round(t2 - t1, 2),
            "total_process_cpu": round(cpu_total, 2),
        },
        "wall_s_serial": round(wall_total, 2),
        "frames": {
            "output": plan.total_frames,
            "body_delivery_preset": body,
            "transition_pieces_delivery_preset": trans,
            "encoded_total": body + trans,
            "source_frames_decoded_clips": decoded,
            "source_frames_decoded_pieces": piece_decoded,
        },
    }
    print(json.dumps(report, indent=1))
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
