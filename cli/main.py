"""`beatstitch`: the one entry point for people."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.analytics_cmd import analytics
from cli.audit_cmd import audit_app
from cli.config_cmd import config_app
from cli.export_cmd import export_app
from cli.gc_cmd import gc
from cli.kafka_cmd import kafka_app
from cli.kafka_users_cmd import users_app as kafka_users_app
from cli.logging_setup import configure_logging
from cli.replay_as_of import cutoff_of, print_as_of
from cli.runtime import CliError, friendly_errors, kafka_bootstrap
from cli.storage_cmd import storage_app
from cli.users_cmd import users_app
from events.schema_export import write_schemas
from events.settings import KafkaSettings
from projections.db import make_engine
from projections.projector import Projector
from projections.replay import replay as replay_log
from projections.settings import DatabaseSettings

if TYPE_CHECKING:  # the API client and PyAV load only for the commands that use them
    from cli.api_generate import GenerationAsk
    from cli.api_render import ApiClient

app = typer.Typer(
    help="BeatStitch: beat-synchronised video renders on Apache Kafka.", no_args_is_help=True
)
events_app = typer.Typer(help="The event catalog.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
kafka_app.add_typer(kafka_users_app, name="users")
app.add_typer(events_app, name="events")
app.add_typer(storage_app, name="storage")
app.add_typer(config_app, name="config")
app.add_typer(export_app, name="export")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.command("gc")(friendly_errors(gc))
app.command("analytics")(analytics)
console = Console()


@app.callback()
def main(
    log_level: Annotated[str, typer.Option(help="Log level of the JSON logs on stderr.")] = "INFO",
) -> None:
    """Configure logging for every command."""
    configure_logging(log_level)


@events_app.command("schema")
def events_schema(
    out: Annotated[Path, typer.Option(help="Directory to write the schemas into.")] = Path(
        "schemas"
    ),
) -> None:
    """Write a JSON Schema per event type and version."""
    written = write_schemas(out)
    console.print(f"wrote {len(written)} schemas to {out}/")


@app.command()
@friendly_errors
def projector(
    until_end: Annotated[bool, typer.Option(help="Stop once caught up with the log.")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="If another projector folds into this database, wait for it to stop "
            "(a standby) instead of exiting with an error."
        ),
    ] = True,
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="BEATSTITCH_PROJECTOR_METRICS_PORT", help="Serve Prometheus metrics (0: off)."
        ),
    ] = 0,
) -> None:
    """Fold every event topic into the read models (runs until Ctrl-C)."""
    kafka, db = KafkaSettings(), DatabaseSettings()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    bootstrap = kafka_bootstrap(kafka)
    engine = make_engine(db.database_url)
    runner = Projector(
        bootstrap=bootstrap,
        prefix=kafka.topic_prefix,
        engine=engine,
        name=db.projector_name,
        batch_size=db.projector_batch_size,
        wait_for_lock=wait,
    )
    console.print(f"projecting {bootstrap} → {engine.url.render_as_string()}", highlight=False)
    try:
        stats = asyncio.run(runner.run(until_end=until_end))
    except KeyboardInterrupt:
        stats = runner.stats
    console.print(f"folded {stats.events} events ({stats.dead_letters} dead-lettered)")


@app.command()
@friendly_errors
def demo(
    keep_kafka: Annotated[bool, typer.Option(help="Leave the local Kafka running.")] = False,
    with_generated: Annotated[
        bool, typer.Option(help="Open the video with a title card the local provider makes.")
    ] = False,
) -> None:
    """Render a generated song and generated media end to end: API, Kafka, worker, projector."""
    from engine.sample_media import write_sample_media, write_song

    work = Path(".data/demo")
    console.print("making a sample song and sample media in .data/demo/…")
    song = write_song(work / "song", bpm=120.0, bars=16)
    media = write_sample_media(work / "media")
    settings = {
        "beats_per_cut": 4,
        "transition": {"type": "crossfade", "duration_ms": 250},
        "output": {"width": 640, "height": 360, "fps": 24},
    }
    from cli.api_generate import DEMO_TITLE

    title = DEMO_TITLE if with_generated else None
    _render_locally(
        song, media, settings, "final", Path("artifacts/demo.mp4"), keep_kafka, 1, title
    )
    console.print("to look at it in the studio: .venv/bin/beatstitch up (then sign up)")


@app.command()
@friendly_errors
def up(
    port: Annotated[
        int, typer.Option(help="The port of the API and the studio (0: any free one).")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=8, help="Render workers to start.")] = 1,
    keep_kafka: Annotated[bool, typer.Option(help="Leave the local Kafka running.")] = False,
) -> None:
    """Start the local stack (Kafka, projector, API, workers) and keep it running, with the
    studio's address printed; Ctrl-C stops it."""
    from local_stack.ports import LOOPBACK, port_free
    from local_stack.services import run_services

    if port and not port_free(LOOPBACK, port):
        raise CliError(f"port {port} is in use on this machine; pass --port N, or --port 0")
    logs = Path(".data/logs")
    configure_logging("WARNING")
    with _kafka_for_demo(keep_kafka) as bootstrap:
        console.print(f"starting the projector, the API and {workers} worker(s); logs in {logs}/")
        with run_services(bootstrap, logs, workers, port) as stack:
            console.print(f"studio at {stack.api_url}/", soft_wrap=True)
            console.print(f"API docs at {stack.api_url}/docs; Ctrl-C stops everything")
            try:
                while True:
                    stack.check()
                    time.sleep(1)
            except KeyboardInterrupt:
                console.print("stopping…")


@app.command()
@friendly_errors
def generate(
    prompt: Annotated[str, typer.Option(help="What the clip shows; a title card sets it in type.")],
    image: Annotated[
        Path | None, typer.Option(help="A photo to move over (image_move, or a remote provider).")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(help="local, runway, openai, pika or custom (default: the setting)."),
    ] = None,
    kind: Annotated[
        str, typer.Option(help="local only: title_card, image_move or beat_pulse.")
    ] = "title_card",
    duration: Annotated[float, typer.Option(help="Seconds, 0.5 to 20.")] = 4.0,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT.")] = "1280x720",
    fps: Annotated[int, typer.Option(help="Frames per second, 1 to 60.")] = 24,
    style: Annotated[str, typer.Option(help="plain, warm, cool, neon or mono.")] = "plain",
    seed: Annotated[int, typer.Option(help="The same seed and request give the same clip.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the MP4.")] = Path(
        "artifacts/generated.mp4"
    ),
    keep_kafka: Annotated[bool, typer.Option(help="Leave the local Kafka running.")] = False,
) -> None:
    """Generate a clip from a prompt through the whole service, with a progress bar."""
    from cli.api_generate import GenerationAsk, generate_with_api, print_generated
    from local_stack.services import run_services

    if image is not None and not image.is_file():
        raise CliError(f"the image {image} does not exist")
    if image is not None and kind == "title_card":
        kind = "image_move"
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise CliError(f"--size must look like 1280x720, got {size!r}")
    ask = GenerationAsk(
        prompt, provider, kind, duration, (int(width), int(height)), fps, style, seed, image
    )
    logs = Path(".data/logs")
    configure_logging("WARNING")
    with _kafka_for_demo(keep_kafka) as bootstrap, run_services(bootstrap, logs, 1) as stack:
        console.print(f"API at {stack.api_url}; logs in {logs}/")
        record = generate_with_api(stack, ask, out)
    print_generated(record, out)


@app.command()
@friendly_errors
def render(
    audio: Annotated[Path, typer.Option(help="The music: WAV, MP3, FLAC, Ogg or M4A.")],
    media: Annotated[Path, typer.Option(help="A folder of photos and clips, used in name order.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the MP4.")],
    beats_per_cut: Annotated[int, typer.Option(help="Cut every N beats: 1, 2, 4, 8 or 16.")] = 4,
    transition: Annotated[
        str, typer.Option(help="cut, crossfade, fade_black or fade_white.")
    ] = "crossfade",
    transition_ms: Annotated[int, typer.Option(help="Transition length, 0 to 2000 ms.")] = 250,
    size: Annotated[str, typer.Option(help="Output WIDTHxHEIGHT (even numbers).")] = "1280x720",
    fps: Annotated[int, typer.Option(help="Output frame rate, 12 to 60.")] = 30,
    beatless_cut_ms: Annotated[
        int | None,
        typer.Option(
            help="If the music has no clear beat: cut every N ms, 1000 to 60000 "
            "(default: each photo or clip an equal share of the song, 2 to 8 s)."
        ),
    ] = None,
    preview: Annotated[bool, typer.Option(help="Half size, fastest encoder settings.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes to start.")] = 1,
    keep_kafka: Annotated[bool, typer.Option(help="Leave the local Kafka running.")] = False,
) -> None:
    """Render your own music and media into a beat-synced MP4, through the whole service."""
    from domain.request_from_files import MEDIA_SUFFIXES, media_files

    if not audio.is_file():
        raise CliError(f"the audio file {audio} does not exist")
    if not media.is_dir():
        raise CliError(f"{media} is not a folder; --media takes a folder of photos and clips")
    files = media_files(media)
    if not files:
        raise CliError(
            f"{media} has no photos or clips (looked for {', '.join(sorted(MEDIA_SUFFIXES))})"
        )
    settings = _render_settings(beats_per_cut, transition, transition_ms, size, fps)
    if beatless_cut_ms is not None:
        settings = _validated({**settings, "beatless": {"cut_ms": beatless_cut_ms}})
    kind = "preview" if preview else "final"
    _render_locally(audio, files, settings, kind, out, keep_kafka, workers)


def _render_settings(
    beats_per_cut: int, transition: str, transition_ms: int, size: str, fps: int
) -> dict[str, Any]:
    """The project settings from the command's options, validated before anything starts."""
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise CliError(f"--size must look like 1280x720, got {size!r}")
    settings = {
        "beats_per_cut": beats_per_cut,
        "transition": {
            "type": transition,
            "duration_ms": 0 if transition == "cut" else transition_ms,
        },
        "output": {"width": int(width), "height": int(height), "fps": fps},
    }
    return _validated(settings)


def _validated(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings if RenderSettings accepts them, else a CliError naming each problem."""
    from pydantic import ValidationError

    from engine.render_settings import RenderSettings

    try:
        RenderSettings.model_validate(settings)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])} {e['msg']}" for e in exc.errors()
        )
        raise CliError(f"the render settings are not valid: {problems}") from None
    return settings


def _render_locally(
    audio: Path,
    media: list[Path],
    settings: dict[str, Any],
    kind: str,
    out: Path,
    keep_kafka: bool,
    workers: int,
    title: GenerationAsk | None = None,
) -> None:
    """Start Kafka (if needed), the projector, the API and workers; render through the API
    (opening with a generated `title` card when given)."""
    from cli.api_generate import generate_in_project
    from cli.api_render import print_outcome, render_with_api
    from local_stack.services import run_services

    logs = Path(".data/logs")
    # The console tells this story in sentences; the services' JSON logs go to their files.
    configure_logging("WARNING")
    with _kafka_for_demo(keep_kafka) as bootstrap:
        console.print(f"starting the projector, the API and {workers} worker(s); logs in {logs}/")
        with run_services(bootstrap, logs, workers) as stack:
            console.print(f"API at {stack.api_url} (docs at {stack.api_url}/docs)")
            first = None
            if title is not None:
                ask = title

                def first(api: ApiClient, pid: str) -> None:
                    generate_in_project(api, stack, pid, ask)
                    # Reading the media makes the clip the project's first medium.
                    api.call("GET", f"/api/v1/projects/{pid}/media", "read the media")

            outcome = render_with_api(stack, audio, media, settings, kind, out, first)
    print_outcome(outcome)


@contextlib.contextmanager
def _kafka_for_demo(keep: bool) -> Iterator[str]:
    """Use the configured cluster or the local broker, starting it (and stopping it) if needed."""
    kafka = KafkaSettings()
    if kafka.kafka_bootstrap:
        yield kafka.kafka_bootstrap
        return
    from local_stack.kafka.broker import LocalKafka

    local = LocalKafka.from_settings(kafka)
    was_running = local.status().responsive
    info = local.start()
    if not was_running:
        console.print(
            f"Kafka {info.kafka_version} started at {info.bootstrap} in {info.seconds:.1f} s",
            highlight=False,
        )
    try:
        yield info.bootstrap
    finally:
        if not was_running and not keep:
            local.stop()


@app.command()
@friendly_errors
def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) until Ctrl-C."""
    import uvicorn

    from api.app import create_app
    from api.db import upgrade_all
    from api.settings import ApiSettings
    from events.kafka_io import ensure_topics

    settings, kafka, db = ApiSettings(), KafkaSettings(), DatabaseSettings()
    bootstrap = kafka_bootstrap(kafka)
    # The app does these again at start-up; here a failure becomes a sentence, not a traceback.
    asyncio.run(ensure_topics(bootstrap, kafka.topic_prefix, kafka.topic_replication_factor))
    upgrade_all(make_engine(db.database_url))
    app_ = create_app(bootstrap, settings, kafka, db)
    uvicorn.run(
        app_,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_config=None,  # our JSON logging, configured by the callback
        access_log=False,  # the app logs each request with its trace_id
    )


@app.command()
@friendly_errors
def worker() -> None:
    """Run a render worker (Faust agents, config watcher, metrics) until Ctrl-C."""
    from agents.settings import WorkerSettings
    from agents.worker import run_worker

    kafka = KafkaSettings()
    run_worker(kafka_bootstrap(kafka), kafka, WorkerSettings(), configure_logging)


@app.command()
@friendly_errors
def replay(
    into: Annotated[str, typer.Option(help="URL of a fresh database to rebuild into.")],
    until: Annotated[
        str | None,
        typer.Option(
            help="Rebuild the read models as they stood at this event time (ISO 8601 with a "
            "zone, e.g. 2026-11-30T12:00:00Z): each partition up to its first event stamped "
            "later. No comparison with the live ones."
        ),
    ] = None,
    until_offsets: Annotated[
        str | None,
        typer.Option(
            help="Rebuild up to these next offsets, e.g. render.jobs:0=12,clip.events:1=40 "
            "(as a replay with --until prints them); a partition not named is not folded."
        ),
    ] = None,
) -> None:
    """Rebuild every read model from offset 0 and compare its digests with the live ones."""
    kafka, db = KafkaSettings(), DatabaseSettings()
    cutoff = cutoff_of(until, until_offsets, kafka.topic_prefix)
    report = asyncio.run(
        replay_log(
            bootstrap=kafka_bootstrap(kafka),
            prefix=kafka.topic_prefix,
            into=make_engine(into),
            live=None if cutoff is not None else make_engine(db.database_url),
            projector_name=db.projector_name,
            cutoff=cutoff,
        )
    )
    if cutoff is not None:
        print_as_of(console, report, cutoff, kafka.topic_prefix)
        return
    table = Table(title=f"replay of {report.stats.events} events in {report.stats.seconds:.2f} s")
    for col in ("table", "rows", "replayed sha256", "live sha256", ""):
        table.add_column(col)
    live = {d.table: d for d in report.live or []}
    for d in report.replayed:
        other = live.get(d.table)
        same = other is not None and other == d
        table.add_row(
            d.table,
            str(d.rows),
            d.sha256[:16],
            other.sha256[:16] if other else "-",
            "[green]equal[/green]" if same else "[red]differs[/red]",
        )
    console.print(table)
    if not report.live_caught_up:
        raise CliError("the live projector did not reach the replayed offsets; is it running?")
    if not report.equal:
        raise CliError("the replayed read models differ from the live ones")
    console.print("[green]replayed read models are identical to the live ones[/green]")
