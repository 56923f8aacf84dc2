"""`beatstitch kafka start|stop|status`: the local Kafka broker from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.broker import DEFAULT_START_TIMEOUT_S, DEFAULT_STOP_TIMEOUT_S, LocalKafka
from local_stack.kafka.probe import check_cluster

kafka_app = typer.Typer(
    help=(
        "Run the project's own single-node Apache Kafka broker (KRaft, 127.0.0.1 only). "
        "Set BEATSTITCH_KAFKA_BOOTSTRAP to use an existing cluster instead."
    ),
    no_args_is_help=True,
)

console = Console()
err_console = Console(stderr=True)

PortOpt = Annotated[
    int | None,
    typer.Option(help="Broker (PLAINTEXT) port; default BEATSTITCH_LOCAL_KAFKA_PORT or 19092."),
]
ControllerPortOpt = Annotated[
    int | None, typer.Option(help="KRaft controller port; default broker port + 1.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(help="Broker state directory; default <BEATSTITCH_DATA_DIR>/kafka."),
]
LibsDirOpt = Annotated[
    Path | None,
    typer.Option(help="Kafka jars from `make install`; default <BEATSTITCH_DATA_DIR>/kafka-libs."),
]


def _broker(
    settings: KafkaSettings,
    port: int | None,
    controller_port: int | None,
    data_dir: Path | None,
    libs_dir: Path | None,
) -> LocalKafka:
    """Build the LocalKafka the settings describe, with any options overriding them."""
    overrides = {
        "port": port,
        "controller_port": controller_port,
        "data_dir": data_dir,
        "libs_dir": libs_dir,
    }
    return LocalKafka.from_settings(
        settings, **{key: value for key, value in overrides.items() if value is not None}
    )


def _fail(error: Exception) -> typer.Exit:
    """Print an error as a sentence (no traceback) and return the Exit to raise."""
    err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _report_external(bootstrap: str) -> None:
    """Check the cluster named by BEATSTITCH_KAFKA_BOOTSTRAP and say what answered."""
    try:
        info = check_cluster(bootstrap)
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    console.print(
        f"[green]Kafka cluster at {bootstrap} is reachable[/]: "
        f"{len(info.brokers)} broker(s) ({', '.join(info.brokers)}), "
        f"cluster id {info.cluster_id}.",
        highlight=False,
    )


@kafka_app.command()
def start(
    port: PortOpt = None,
    controller_port: ControllerPortOpt = None,
    data_dir: DataDirOpt = None,
    libs_dir: LibsDirOpt = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the broker to answer.")
    ] = DEFAULT_START_TIMEOUT_S,
) -> None:
    """Start the local Kafka broker in the background and wait until it answers."""
    settings = KafkaSettings()
    if settings.kafka_bootstrap:
        console.print(
            f"BEATSTITCH_KAFKA_BOOTSTRAP is set: using the Kafka cluster at "
            f"[bold]{settings.kafka_bootstrap}[/]; nothing is started locally.",
            highlight=False,
        )
        _report_external(settings.kafka_bootstrap)
        return
    broker = _broker(settings, port, controller_port, data_dir, libs_dir)
    try:
        with console.status(f"Starting Kafka on {broker.bootstrap} ..."):
            info = broker.start(timeout_s=timeout)
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    if info.already_running:
        console.print(
            f"[green]Kafka is already running[/] at [bold]{info.bootstrap}[/] (pid {info.pid}).",
            highlight=False,
        )
    else:
        console.print(
            f"[green]Kafka {info.kafka_version} is running[/] at [bold]{info.bootstrap}[/] "
            f"(pid {info.pid}); start-up took {info.seconds:.1f} s.",
            highlight=False,
        )
    console.print(f"Data: {info.data_dir}   Log: {info.log_file}", highlight=False)


@kafka_app.command()
def stop(
    data_dir: DataDirOpt = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a clean shutdown before SIGKILL.")
    ] = DEFAULT_STOP_TIMEOUT_S,
) -> None:
    """Stop the local Kafka broker (SIGTERM, then SIGKILL after the timeout)."""
    settings = KafkaSettings()
    broker = _broker(settings, None, None, data_dir, None)
    try:
        stopped = broker.stop(timeout_s=timeout)
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    if stopped:
        console.print(f"Kafka stopped (data kept in {broker.data_dir}).", highlight=False)
    else:
        console.print(f"No local Kafka broker was running for {broker.data_dir}.", highlight=False)
    if settings.kafka_bootstrap:
        console.print(
            f"The cluster at {settings.kafka_bootstrap} (BEATSTITCH_KAFKA_BOOTSTRAP) is not "
            "managed here and was left alone.",
            highlight=False,
        )


@kafka_app.command()
def status(data_dir: DataDirOpt = None) -> None:
    """Say whether Kafka runs and answers; exit code 1 if it does not."""
    settings = KafkaSettings()
    if settings.kafka_bootstrap:
        console.print(
            f"BEATSTITCH_KAFKA_BOOTSTRAP is set: checking [bold]{settings.kafka_bootstrap}[/].",
            highlight=False,
        )
        _report_external(settings.kafka_bootstrap)
        return
    # The port comes from the running broker's server.properties, not from an option.
    broker = _broker(settings, None, None, data_dir, None)
    state = broker.status()
    if state.running and state.responsive:
        console.print(
            f"[green]Kafka {state.kafka_version or ''} is running[/] at "
            f"[bold]{state.bootstrap}[/] (pid {state.pid}). Log: {state.log_file}",
            highlight=False,
        )
        return
    if state.running:
        console.print(
            f"[yellow]Kafka (pid {state.pid}) is running but does not answer on "
            f"{state.bootstrap}[/]; it may still be starting. See {state.log_file}.",
            highlight=False,
        )
    else:
        console.print(
            f"Kafka is not running (data dir {state.data_dir}). "
            "Start it with `beatstitch kafka start`.",
            highlight=False,
        )
    raise typer.Exit(1)
