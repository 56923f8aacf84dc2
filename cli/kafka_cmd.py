"""`beatstitch kafka start|stop|status`: the local Kafka broker (or cluster) from the command line.

`start --brokers 1` (the default) runs the single broker in <data>/kafka; `--brokers 3` runs
a three-node cluster in <data>/kafka-cluster. `stop` and `status` act on both, whichever
runs; with `--data-dir`, on the broker or cluster that directory holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from events.kafka_credentials import client_credentials, local_ca_path
from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.broker import DEFAULT_START_TIMEOUT_S, DEFAULT_STOP_TIMEOUT_S, LocalKafka
from local_stack.kafka.cluster import (
    DEFAULT_CLUSTER_BASE_PORT,
    DEFAULT_CLUSTER_START_TIMEOUT_S,
    LocalKafkaCluster,
)
from local_stack.kafka.cluster_layout import ClusterStartInfo, ClusterStatus
from local_stack.kafka.node import node_ids_on_disk
from local_stack.kafka.probe import check_cluster
from local_stack.kafka.properties import replication_properties

kafka_app = typer.Typer(
    help=(
        "Run the project's own Apache Kafka (KRaft, 127.0.0.1 only): one broker, or a "
        "cluster of several with --brokers. Set BEATSTITCH_KAFKA_BOOTSTRAP to use an "
        "existing cluster instead."
    ),
    no_args_is_help=True,
)

console = Console()
err_console = Console(stderr=True)

PortOpt = Annotated[
    int | None,
    typer.Option(
        help=(
            "Broker (client listener) port; default BEATSTITCH_LOCAL_KAFKA_PORT or 19092. With "
            f"--brokers N, node i listens on PORT+2(i-1) and its controller on the next "
            f"port; default {DEFAULT_CLUSTER_BASE_PORT}."
        )
    ),
]
ControllerPortOpt = Annotated[
    int | None, typer.Option(help="KRaft controller port; default broker port + 1.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        help=(
            "Broker state directory; default <BEATSTITCH_DATA_DIR>/kafka, or "
            "<BEATSTITCH_DATA_DIR>/kafka-cluster for a cluster."
        )
    ),
]
BrokersOpt = Annotated[
    int,
    typer.Option(
        min=1,
        help=(
            "Number of brokers. 1: one JVM, topics with one replica. 3: a KRaft cluster of "
            "three JVMs (each broker and controller), topics with three replicas of which "
            "acks=all writes need two."
        ),
    ),
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
        info = check_cluster(bootstrap, credentials=client_credentials())
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    console.print(
        f"[green]Kafka cluster at {bootstrap} is reachable[/]: "
        f"{len(info.brokers)} broker(s) ({', '.join(info.brokers)}), "
        f"cluster id {info.cluster_id}.",
        highlight=False,
    )


def _cluster(
    settings: KafkaSettings,
    brokers: int | None,
    port: int | None,
    data_dir: Path | None,
    libs_dir: Path | None,
) -> LocalKafkaCluster:
    """Build the LocalKafkaCluster the settings describe, with any options overriding them."""
    overrides = {"base_port": port, "data_dir": data_dir, "libs_dir": libs_dir}
    return LocalKafkaCluster.from_settings(
        settings, brokers, **{key: value for key, value in overrides.items() if value is not None}
    )


def _local_kafkas(
    settings: KafkaSettings, data_dir: Path | None
) -> tuple[LocalKafka | None, LocalKafkaCluster | None]:
    """The single broker and the cluster that `stop` and `status` act on.

    Without --data-dir: the default broker, and the default cluster if it exists. With it:
    whichever of the two that directory holds."""
    if data_dir is None:
        default_cluster = _cluster(settings, None, None, None, None)
        has_cluster = bool(node_ids_on_disk(default_cluster.data_dir))
        return _broker(settings, None, None, None, None), default_cluster if has_cluster else None
    if node_ids_on_disk(data_dir.resolve()):
        return None, _cluster(settings, None, None, data_dir, None)
    return _broker(settings, None, None, data_dir, None), None


def _is_cluster_bootstrap(bootstrap: str | None, cluster: LocalKafkaCluster | None) -> bool:
    """True if `bootstrap` names exactly the nodes of this local cluster."""
    if not bootstrap or cluster is None:
        return False
    return {a.strip() for a in bootstrap.split(",")} == set(cluster.running_bootstrap.split(","))


@kafka_app.command()
def start(
    port: PortOpt = None,
    controller_port: ControllerPortOpt = None,
    data_dir: DataDirOpt = None,
    libs_dir: LibsDirOpt = None,
    brokers: BrokersOpt = 1,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help=(
                "Clients speak TLS (SASL_SSL) with a self-signed certificate for 127.0.0.1, "
                "made on the first start; also BEATSTITCH_LOCAL_KAFKA_TLS=true."
            ),
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            help=(
                f"Seconds to wait for Kafka to answer; default {DEFAULT_START_TIMEOUT_S:.0f} "
                f"(one broker) or {DEFAULT_CLUSTER_START_TIMEOUT_S:.0f} (a cluster)."
            )
        ),
    ] = None,
) -> None:
    """Start the local Kafka broker (or cluster) in the background and wait until it answers."""
    settings = KafkaSettings()
    if tls:
        settings = settings.model_copy(update={"local_kafka_tls": True})
    if brokers > 1:
        if controller_port is not None:
            raise _fail(
                KafkaBrokerError(
                    "--controller-port is for a single broker; a cluster's nodes take the "
                    "ports after --port (node i: PORT+2(i-1) and the next one)."
                )
            )
        cluster = _cluster(settings, brokers, port, data_dir, libs_dir)
        _start_cluster(settings, cluster, timeout or DEFAULT_CLUSTER_START_TIMEOUT_S)
        return
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
            info = broker.start(timeout_s=timeout or DEFAULT_START_TIMEOUT_S)
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
    _print_login(broker.secrets_file)


def _print_login(secrets_file: Path) -> None:
    """Say who may log in: anonymous clients are refused."""
    console.print(
        f"Only authenticated clients: BeatStitch logs in as `service` (password in "
        f"{secrets_file}); `beatstitch kafka users add NAME --role producer|analytics|auditor` "
        "makes a principal for anyone else.",
        highlight=False,
    )
    ca = local_ca_path(secrets_file.parent)
    if ca.exists():
        console.print(f"Clients speak TLS (SASL_SSL) and trust {ca}.", highlight=False)


def _start_cluster(settings: KafkaSettings, cluster: LocalKafkaCluster, timeout: float) -> None:
    """Start the cluster (unless BEATSTITCH_KAFKA_BOOTSTRAP names another) and say how to use it."""
    external = settings.kafka_bootstrap
    if external and not _is_cluster_bootstrap(external, cluster):
        console.print(
            f"BEATSTITCH_KAFKA_BOOTSTRAP is set to another cluster ({external}); nothing is "
            "started locally. Unset it to start the local cluster.",
            highlight=False,
        )
        _report_external(external)
        return
    try:
        with console.status(
            f"Starting a Kafka cluster of {cluster.size} on {cluster.bootstrap} ..."
        ):
            info = cluster.start(timeout_s=timeout)
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    _print_cluster_started(cluster, info)
    _print_login(cluster.secrets_file)


def _print_cluster_started(cluster: LocalKafkaCluster, info: ClusterStartInfo) -> None:
    """Say where the cluster runs and which settings make BeatStitch use it."""
    if info.already_running:
        console.print(
            f"[green]A Kafka cluster of {cluster.size} is already running[/] at "
            f"[bold]{info.bootstrap}[/].",
            highlight=False,
        )
    else:
        console.print(
            f"[green]A Kafka{_version(info.kafka_version)} cluster of {cluster.size} is "
            f"running[/] at [bold]{info.bootstrap}[/]; start-up took {info.seconds:.1f} s.",
            highlight=False,
        )
    for node in cluster.nodes:
        console.print(
            f"  node {node.node_id}: pid {info.pids.get(node.node_id)}, log {node.log_file}",
            highlight=False,
        )
    replicas = replication_properties(cluster.size)
    # The services find Kafka and the replication factor in their environment; `demo`
    # and friends keep using the single broker unless told otherwise.
    console.print(
        f"Topics on this cluster need {replicas['default.replication.factor']} replicas "
        f"(writes with acks=all need {replicas['min.insync.replicas']}). To run BeatStitch "
        "on it, export in the shell that starts the services:",
        highlight=False,
    )
    console.print(
        f"  export BEATSTITCH_KAFKA_BOOTSTRAP={info.bootstrap}\n"
        f"  export BEATSTITCH_TOPIC_REPLICATION_FACTOR={replicas['default.replication.factor']}",
        highlight=False,
        soft_wrap=True,
    )


@kafka_app.command()
def stop(
    data_dir: DataDirOpt = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a clean shutdown before SIGKILL.")
    ] = DEFAULT_STOP_TIMEOUT_S,
) -> None:
    """Stop the local Kafka broker and cluster (SIGTERM, then SIGKILL after the timeout)."""
    settings = KafkaSettings()
    broker, cluster = _local_kafkas(settings, data_dir)
    managed_here = _is_cluster_bootstrap(settings.kafka_bootstrap, cluster)
    try:
        if broker is not None:
            _stop_broker(broker, timeout)
        if cluster is not None:
            _stop_cluster(cluster, timeout)
    except KafkaBrokerError as exc:
        raise _fail(exc) from None
    if settings.kafka_bootstrap and not managed_here:
        console.print(
            f"The cluster at {settings.kafka_bootstrap} (BEATSTITCH_KAFKA_BOOTSTRAP) is not "
            "managed here and was left alone.",
            highlight=False,
        )


def _stop_broker(broker: LocalKafka, timeout: float) -> None:
    """Stop the single broker and say what happened."""
    if broker.stop(timeout_s=timeout):
        console.print(f"Kafka stopped (data kept in {broker.data_dir}).", highlight=False)
    else:
        console.print(f"No local Kafka broker was running for {broker.data_dir}.", highlight=False)


def _stop_cluster(cluster: LocalKafkaCluster, timeout: float) -> None:
    """Stop every node of the cluster and say what happened."""
    stopped = cluster.stop(timeout_s=timeout)
    if stopped:
        console.print(
            f"Kafka cluster stopped (nodes {', '.join(map(str, stopped))}; data kept in "
            f"{cluster.data_dir}).",
            highlight=False,
        )
    else:
        console.print(f"No node of the Kafka cluster in {cluster.data_dir} was running.")


@kafka_app.command()
def status(data_dir: DataDirOpt = None) -> None:
    """Say whether Kafka runs and answers; exit code 1 if it does not."""
    settings = KafkaSettings()
    broker, cluster = _local_kafkas(settings, data_dir)
    external = settings.kafka_bootstrap
    if external and not _is_cluster_bootstrap(external, cluster):
        console.print(
            f"BEATSTITCH_KAFKA_BOOTSTRAP is set: checking [bold]{external}[/].",
            highlight=False,
        )
        _report_external(external)
        return
    cluster_state = cluster.status() if cluster is not None else None
    cluster_ok = cluster_state is not None and _print_cluster_status(cluster_state)
    cluster_runs = cluster_state is not None and cluster_state.running
    # The port comes from the running broker's server.properties, not from an option.
    broker_ok = broker is not None and _print_broker_status(broker, quiet=cluster_runs)
    if not (broker_ok or cluster_ok):
        raise typer.Exit(1)


def _print_broker_status(broker: LocalKafka, *, quiet: bool) -> bool:
    """Report the single broker; True if it runs and answers. `quiet`: say nothing if it
    is simply not running (a cluster runs instead, whole or not)."""
    state = broker.status()
    if state.running and state.responsive:
        console.print(
            f"[green]Kafka{_version(state.kafka_version)} is running[/] at "
            f"[bold]{state.bootstrap}[/] (pid {state.pid}). Log: {state.log_file}",
            highlight=False,
        )
        return True
    if state.running:
        console.print(
            f"[yellow]Kafka (pid {state.pid}) is running but does not answer on "
            f"{state.bootstrap}[/]; it may still be starting. See {state.log_file}.",
            highlight=False,
        )
    elif not quiet:
        console.print(
            f"Kafka is not running (data dir {state.data_dir}). "
            "Start it with `beatstitch kafka start`.",
            highlight=False,
        )
    return False


def _version(kafka_version: str | None) -> str:
    """' 4.4.0' for a sentence, or nothing when the jars are not where we looked."""
    return f" {kafka_version}" if kafka_version else ""


def _print_cluster_status(state: ClusterStatus) -> bool:
    """Report every node of the cluster; True if all run, answer and see each other."""
    if state.healthy:
        console.print(
            f"[green]A Kafka{_version(state.kafka_version)} cluster of {len(state.nodes)} is "
            f"running[/] at [bold]{state.bootstrap}[/].",
            highlight=False,
        )
    elif state.running:
        console.print(
            f"[yellow]The Kafka cluster in {state.data_dir} is degraded[/]: "
            f"{sum(n.responsive for n in state.nodes)} of {len(state.nodes)} nodes answer; "
            f"brokers the cluster reports: {', '.join(state.brokers) or 'none'}. "
            "`beatstitch kafka start --brokers N` starts the missing ones.",
            highlight=False,
        )
    else:
        console.print(
            f"The Kafka cluster in {state.data_dir} is not running. Start it with "
            f"`beatstitch kafka start --brokers {len(state.nodes)}`.",
            highlight=False,
        )
    if state.running:
        for node in state.nodes:
            what = "answers" if node.responsive else ("runs" if node.running else "stopped")
            pid = f", pid {node.pid}" if node.pid else ""
            console.print(
                f"  node {node.node_id} at {node.bootstrap}: {what}{pid}; log {node.log_file}",
                highlight=False,
            )
    return state.healthy
