"""Benchmark: the engine bench's case as a user of the service gets it.

    .venv/bin/python -m bench.service [--logs DIR]

The case of `bench.render` (12 phone-like 1080p clips and 12 large photos, a 60 s song cut
every second: 60 segments, 720p30, 250 ms crossfades, Ken Burns) goes through a throwaway
stack (a local Kafka broker, the projector, the API and one worker, on SQLite and the folder
store) the way a user sends it: sign up, create the project, upload the song and the media
through the API. The worker makes the upload-time proxies (their cost is printed apart, as
`bench.render` does: uploads pay it, not renders). Then the clock runs from
`POST …/render` (final) to the MP4 answering on `GET …/download`.

Beside it, in the same run and after the stack has stopped: (a) the engine alone
(`render_edl`, all cores) on the same EDL, the same proxies and the same music proxy, and
(b) libx264 alone encoding the service's output frames from raw YUV: the machine's bound
today. Wall and CPU of both are measured from outside, as in `bench.render`.

CPU during the render is added up per process by role (`bench.process_cpu`): the worker's
pool renders; the broker, the worker's event loop (Faust, aiokafka, our handlers) and the
projector are the event machinery; the API (the bench's polling) is printed apart.

Last line: `RESULT service_rtf=N engine_proxy_rtf=N encode_only_rtf=N service_of_bound=N
event_cpu_share=N` (service_of_bound = encode-only wall / service wall; the aims are
>= 0.85 and <= 0.05).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from bench.load_stack import Throwaway, throwaway_stack
from bench.process_cpu import ProcessCpu, cpu_by_role, listening_pid, snapshot
from bench.render import (
    FPS,
    HEIGHT,
    MEDIA,
    SECONDS,
    SEGMENTS,
    WIDTH,
    WORK,
    Measured,
    ensure_media,
    measure,
    raw_frames_path,
    write_raw_frames,
)
from bench.support import read_until
from domain.render_request import media_asset
from engine.edl import EDL
from engine.encoding import encode_settings
from engine.render_settings import OutputSettings
from engine.sample_media import write_tone
from events.consumer_groups import end_offsets
from events.kafka_credentials import aiokafka_options, client_credentials
from events.payloads import RenderRequested
from events.topics import Topic

PASSWORD = "correct horse 42"
SETTINGS = {
    "beats_per_cut": 2,
    "transition": {"type": "crossfade", "duration_ms": 250},
    "ken_burns": {"enabled": True},
    # The song is a steady tone: no beat, so the timeline is cut every second.
    "beatless": {"cut_ms": 1000},
    "output": {"width": WIDTH, "height": HEIGHT, "fps": FPS},
}
INPUTS = WORK / "service-inputs"
PLAN = INPUTS / "plan.json"
MACHINERY = ("broker", "worker event loop", "projector")


# --- the user's side ---------------------------------------------------------------


def signed_in(url: str) -> tuple[httpx.Client, str]:
    """A client of a fresh account, and its workspace id."""
    email = f"bench-service-{os.getpid()}-{time.time_ns()}@example.com"
    anonymous = httpx.Client(base_url=url, timeout=120)
    body = {"email": email, "password": PASSWORD}
    anonymous.post("/api/v1/auth/register", json=body).raise_for_status()
    session = anonymous.post("/api/v1/auth/login", json=body).json()
    anonymous.close()
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    return httpx.Client(base_url=url, headers=headers, timeout=120), session["workspace_id"]


def upload(client: httpx.Client, route: str, file: Path) -> dict[str, Any]:
    """POST one file as multipart form data; the created row."""
    with file.open("rb") as f:
        answer = client.post(route, files={"file": (file.name, f)})
    if answer.status_code not in (201, 202):
        raise SystemExit(f"upload of {file.name} refused: {answer.status_code} {answer.text}")
    return dict(answer.json())


def wait_for(what: str, ready: Callable[[], bool], timeout_s: float = 900.0) -> None:
    """Poll `ready` every 0.25 s; stop the bench with a sentence when time runs out."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.25)


def all_proxies_made(client: httpx.Client, project: str) -> bool:
    """Every upload's proxies made, and the song analysed (a failure stops the bench)."""
    audio = client.get(f"/api/v1/projects/{project}/audio").json()
    media = client.get(f"/api/v1/projects/{project}/media").json()
    proxies = [p for row in [audio, *media] for p in row["proxies"]]
    if any(p["status"] == "failed" for p in proxies) or audio["analysis_status"] == "failed":
        raise SystemExit(f"a proxy or the analysis failed: {audio} {media}")
    made = all(row["proxies"] and row["proxies"][0]["status"] == "completed" for row in media)
    music = any(p["variant"] == "music" and p["status"] == "completed" for p in audio["proxies"])
    return made and music and audio["analysis_status"] == "completed"


def render(client: httpx.Client, workspace: str, project: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds from POST …/render to the MP4 answering GET …/download, and the job."""
    began = time.perf_counter()
    answer = client.post(
        f"/api/v1/video/workspaces/{workspace}/render/{project}", json={"kind": "final"}
    )
    answer.raise_for_status()
    status_url = answer.json()["status_url"]
    job: dict[str, Any] = {}

    def ended() -> bool:
        job.update(client.get(status_url).json())
        return job["status"] in ("complete", "failed", "cancelled")

    wait_for("the render's end", ended)
    if job["status"] != "complete":
        raise SystemExit(f"the render ended {job['status']}: {job['error_message']}")
    out = INPUTS / "service.mp4"
    with client.stream("GET", f"{status_url}/download") as download:
        download.raise_for_status()
        wall = time.perf_counter() - began
        with out.open("wb") as f:
            for chunk in download.iter_bytes():
                f.write(chunk)
    return wall, job


# --- what the engine needs to render the same thing alone --------------------------


def save_plan(stack: Throwaway, song: Path) -> None:
    """The render's request as the worker got it, with its files copied out of the stack:
    the EDL and every asset with the proxy the worker used, for the engine's run."""
    events = read_until_request(stack)
    request = events[-1].payload
    assert isinstance(request, RenderRequested)
    copied = INPUTS / "media"
    shutil.copytree(stack.media, copied, dirs_exist_ok=True)
    assets = []
    for source in request.media:
        proxy = next(
            p for p in source.proxies if (p.width, p.height) == (WIDTH, HEIGHT)
        )  # the bench waited for every proxy before rendering
        # On the folder store every worker shares, events name originals by path.
        if source.stored:
            original = copied / source.stored.key
        else:
            original = copied / Path(source.local_path or "").relative_to(stack.media)
        asset = media_asset(source, str(original))
        assets.append(asset.model_copy(update={"proxy_path": str(copied / proxy.key)}))
    music = request.audio.proxy
    PLAN.write_text(
        json.dumps(
            {
                "edl": request.edl.model_dump(mode="json"),
                "assets": [a.model_dump(mode="json") for a in assets],
                "song": str(song),
                "music_proxy": str(copied / music.key) if music else None,
            }
        )
    )


def read_until_request(stack: Throwaway) -> list[Any]:
    """The render-jobs topic up to the (one) RenderRequested."""
    return asyncio.run(
        read_until(
            stack.bootstrap,
            stack.prefix,
            Topic.RENDER_JOBS,
            lambda seen: bool(seen) and seen[-1].type == "RenderRequested",
        )
    )


def run_engine(out: Path) -> dict[str, object]:
    """As a child: the engine alone on the saved plan (all cores, no clip cache)."""
    from engine.media import MediaAsset
    from engine.render import render_edl

    plan = json.loads(PLAN.read_text())
    edl = EDL.model_validate(plan["edl"])
    assets = [MediaAsset.model_validate(a) for a in plan["assets"]]
    enc = encode_settings(OutputSettings(width=WIDTH, height=HEIGHT, fps=FPS), "final")
    report = render_edl(
        edl,
        assets,
        plan["song"],
        out,
        INPUTS / "engine-work",
        workers=os.cpu_count() or 2,
        enc=enc,
        music_proxy=plan["music_proxy"],
    )
    return {
        "clips_rendered": len(report.clips_rendered),
        "clips_from_proxy": sum(r.from_proxy for r in report.clip_results),
        "wall": {k: round(v, 2) for k, v in report.timings.items()},
    }


# --- measuring ---------------------------------------------------------------------


def role_of(pids: dict[str, int], bootstrap: str) -> Callable[[ProcessCpu], str]:
    """A process's part: a service by its pid, the worker's pool by its parent, the broker by
    the port it listens on (other brokers on the machine are "other")."""
    names = {pid: name.split("-")[0] for name, pid in pids.items()}
    broker = listening_pid(int(bootstrap.rsplit(":", 1)[1]))

    def role(p: ProcessCpu) -> str:
        if names.get(p.pid) == "worker":
            return "worker event loop"
        if p.pid in names:
            return names[p.pid]
        if names.get(p.ppid) == "worker":
            return "worker pool"
        return "broker" if p.pid == broker else "other"

    return role


def cpu_line(cpu: dict[str, float]) -> str:
    """CPU seconds by role, largest first."""
    ranked = sorted(cpu.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in ranked if seconds >= 0.05)


def through_the_service(logs: Path | None) -> tuple[float, float, int]:
    """Upload, make proxies, render; the render's wall, its event CPU share, and its tasks."""
    videos = sorted(MEDIA.glob("video*.mp4"))
    stills = sorted(MEDIA.glob("still*.jpg"))
    song = write_tone(INPUTS / "song-60s.wav", float(SECONDS), freq=220.0)
    with throwaway_stack(1, logs) as stack:
        role = role_of(stack.pids, stack.bootstrap)
        client, workspace = signed_in(stack.api_url)
        made = client.post("/api/v1/projects", json={"name": "bench", "settings": SETTINGS})
        made.raise_for_status()
        project = made.json()["id"]
        before, began = snapshot(), time.perf_counter()
        upload(client, f"/api/v1/projects/{project}/audio", song)
        for video, still in zip(videos, stills, strict=True):
            upload(client, f"/api/v1/projects/{project}/media", video)
            upload(client, f"/api/v1/projects/{project}/media", still)
        uploaded = time.perf_counter() - began
        wait_for("every proxy and the analysis", lambda: all_proxies_made(client, project))
        print(
            f"uploads: {len(videos) + len(stills) + 1} files in {uploaded:.1f} s; proxies and "
            f"beat analysis done {time.perf_counter() - began:.1f} s after the first upload "
            f"(upload time, not in the render figures); CPU s: "
            + cpu_line(cpu_by_role(before, snapshot(), role))
        )
        timeline = client.post(f"/api/v1/projects/{project}/timeline")
        timeline.raise_for_status()
        segments = timeline.json()["segment_count"]
        if segments != SEGMENTS:
            raise SystemExit(f"the timeline has {segments} segments, not {SEGMENTS}")
        print(f"timeline: {segments} segments, {timeline.json()['cutting']}")
        idle = idle_cpu(role)
        records = records_by_topic(stack.bootstrap)
        before = snapshot()
        wall, job = render(client, workspace, project)
        cpu = cpu_by_role(before, snapshot(), role)
        written = written_line(records, records_by_topic(stack.bootstrap), stack.prefix, segments)
        client.close()
        save_plan(stack, song)
    machinery = sum(cpu.get(r, 0.0) for r in MACHINERY)
    share = machinery / (machinery + cpu.get("worker pool", 0.0))
    stats = job.get("clip_stats") or {}
    print(
        f"service render (final, 1 worker): {wall:.1f} s from POST …/render to the MP4 "
        f"answering; CPU s: {cpu_line(cpu)}"
    )
    print(
        f"  event machinery ({' + '.join(MACHINERY)}): {machinery:.2f} CPU s, "
        f"{1000 * machinery / segments:.0f} CPU ms per clip task, {share:.1%} of the render's "
        f"CPU; clip_stats: {json.dumps(stats)[:300]}"
    )
    print(written)
    upkeep = sum(idle.get(r, 0.0) for r in MACHINERY) * wall
    print(
        f"  of which the stack's idle upkeep {upkeep:.2f} CPU s; the tasks' own "
        f"{1000 * (machinery - upkeep) / segments:.0f} CPU ms per clip task"
    )
    return wall, share, segments


async def _records_by_topic(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **aiokafka_options(client_credentials())
    )
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if not n.startswith("__")]
    finally:
        await admin.close()
    counts: dict[str, int] = {}
    for tp, end in (await end_offsets(bootstrap, names)).items():
        counts[tp.topic] = counts.get(tp.topic, 0) + end
    return counts


def records_by_topic(bootstrap: str) -> dict[str, int]:
    """Records written so far to each topic (ours and Faust's changelogs): the difference of two
    calls says what a render wrote, and so what the broker stored and served for it."""
    return asyncio.run(_records_by_topic(bootstrap))


def written_line(before: dict[str, int], after: dict[str, int], prefix: str, tasks: int) -> str:
    """Records a render wrote per topic, and per clip task in all."""
    grew = {t.removeprefix(f"{prefix}."): n - before.get(t, 0) for t, n in after.items()}
    grew = {t: n for t, n in sorted(grew.items(), key=lambda i: -i[1]) if n}
    listed = ", ".join(f"{t} {n}" for t, n in grew.items())
    return f"  records written: {listed} ({sum(grew.values()) / tasks:.1f} per clip task)"


def idle_cpu(role: Callable[[ProcessCpu], str], seconds: float = 10.0) -> dict[str, float]:
    """CPU seconds per second each part spends with nothing to do: the stack's fixed upkeep
    (heartbeats, long polls, commits), printed and returned."""
    before = snapshot()
    time.sleep(seconds)
    spent = {r: s / seconds for r, s in cpu_by_role(before, snapshot(), role).items()}
    shown = ", ".join(f"{r} {spent.get(r, 0.0):.3f}" for r in (*MACHINERY, "api"))
    print(f"idle for {seconds:.0f} s, CPU s per s: {shown}")
    return spent


def main() -> None:
    """As a child run the engine; as the parent run the service, the engine and the bound."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, default=None, help="keep the services' logs here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("PROFILE " + json.dumps(run_engine(Path(args.out))), flush=True)
        return

    if shutil.which("ffmpeg") is None:
        raise SystemExit(
            "bench.service needs Debian's ffmpeg for the encode-only bound: apt-get install ffmpeg"
        )
    ensure_media()
    shutil.rmtree(INPUTS, ignore_errors=True)
    INPUTS.mkdir(parents=True)
    print(
        f"{SEGMENTS} segments, {WIDTH}x{HEIGHT}@{FPS}, 250 ms crossfades, Ken Burns; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
    )
    service_s, share, _ = through_the_service(args.logs)
    alone = INPUTS / "engine.mp4"
    argv = [sys.executable, "-m", "bench.service", "--child", "engine", "--out", str(alone)]
    engine = measure("engine_proxy", argv, alone)
    write_raw_frames(INPUTS / "service.mp4")
    enc = encode_settings(OutputSettings(width=WIDTH, height=HEIGHT, fps=FPS), "final")
    bound = encode_only(enc.preset, enc.crf)
    raw_frames_path().unlink(missing_ok=True)
    shutil.rmtree(INPUTS, ignore_errors=True)
    service_rtf = SECONDS / service_s
    print(
        f"engine alone on the same proxies: {engine.wall_s:.1f} s ({engine.cpu_s:.1f} CPU s, "
        f"{engine.frames} frames); profile {json.dumps(engine.profile)}"
    )
    print(
        f"libx264 alone on the output's frames (preset {enc.preset}, crf {enc.crf}): "
        f"{bound.wall_s:.1f} s; the service runs at {bound.wall_s / service_s:.0%} of it, the "
        f"engine at {bound.wall_s / engine.wall_s:.0%}; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"RESULT service_rtf={service_rtf:.2f} engine_proxy_rtf={engine.rtf:.2f} "
        f"encode_only_rtf={bound.rtf:.2f} service_of_bound={bound.wall_s / service_s:.2f} "
        f"event_cpu_share={share:.3f}"
    )


def encode_only(preset: str, crf: int) -> Measured:
    """libx264 alone on the raw frames write_raw_frames left (bench.render's child)."""
    out = INPUTS / "bound.mp4"
    argv = [sys.executable, "-m", "bench.render", "--child", "encode_only", "--out", str(out)]
    return measure("encode_only", [*argv, "--preset", preset, "--crf", str(crf)], out)


if __name__ == "__main__":
    main()
