"""`beatstitch storage start|stop|status`: the local S3 server (S3Proxy) from the command line.

`start` writes the settings that point BeatStitch at it as `export` lines on stdout and
everything else on stderr, so `eval "$(beatstitch storage start)"` configures a shell."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from events.settings import KafkaSettings
from local_stack.s3proxy.config import DEFAULT_BUCKET, DEFAULT_PORT, S3ProxyError
from local_stack.s3proxy.server import DEFAULT_START_TIMEOUT_S, LocalS3Proxy

storage_app = typer.Typer(
    help=(
        "Run the project's own S3 server (S3Proxy over a local folder, 127.0.0.1 only) for "
        "BEATSTITCH_STORAGE_URL=s3://… . Any S3-compatible store (MinIO, AWS) works instead."
    ),
    no_args_is_help=True,
)

# Settings lines go to stdout alone; messages and errors to stderr.
out = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)

PortOpt = Annotated[
    int,
    typer.Option(envvar="BEATSTITCH_LOCAL_S3_PORT", help="Port on 127.0.0.1 to serve S3 on."),
]
BucketOpt = Annotated[str, typer.Option(help="Bucket to create on start if it is missing.")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="State directory (objects in its blobs/); default <BEATSTITCH_DATA_DIR>/s3proxy."
    ),
]
LibsDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="S3Proxy jars from `make install`; default <BEATSTITCH_DATA_DIR>/s3proxy-libs."
    ),
]


def _server(port: int, bucket: str, data_dir: Path | None, libs_dir: Path | None) -> LocalS3Proxy:
    """The local S3 server the options describe, under BEATSTITCH_DATA_DIR by default."""
    root = KafkaSettings().data_dir
    return LocalS3Proxy(
        libs_dir or root / "s3proxy-libs",
        data_dir or root / "s3proxy",
        port,
        bucket=bucket,
    )


def _fail(error: Exception) -> typer.Exit:
    """Print an error as a sentence (no traceback) and return the Exit to raise."""
    err_console.print(f"[red]error:[/red] {error}")
    return typer.Exit(1)


@storage_app.command()
def start(
    port: PortOpt = DEFAULT_PORT,
    bucket: BucketOpt = DEFAULT_BUCKET,
    data_dir: DataDirOpt = None,
    libs_dir: LibsDirOpt = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for S3Proxy to answer.")
    ] = DEFAULT_START_TIMEOUT_S,
) -> None:
    """Start the local S3 server in the background, wait until it answers, print its settings."""
    server = _server(port, bucket, data_dir, libs_dir)
    try:
        with err_console.status(f"Starting S3Proxy on {server.endpoint_url} ..."):
            info = server.start(timeout_s=timeout)
    except S3ProxyError as exc:
        raise _fail(exc) from None
    if info.already_running:
        err_console.print(
            f"[green]S3Proxy is already running[/] at [bold]{info.endpoint_url}[/] "
            f"(pid {info.pid})."
        )
    else:
        err_console.print(
            f"[green]S3Proxy is running[/] at [bold]{info.endpoint_url}[/] (pid {info.pid}); "
            f"start-up took {info.seconds:.1f} s."
        )
    err_console.print(
        f"Objects: {server.blobs_dir}   Log: {info.log_file}   Keys: {server.secrets_file}"
    )
    err_console.print("To use it, export these settings (or `eval` this command's output):")
    for name, value in info.settings_env().items():
        out.print(f"export {name}={shlex.quote(value)}", markup=False)


@storage_app.command()
def stop(
    port: PortOpt = DEFAULT_PORT,
    data_dir: DataDirOpt = None,
) -> None:
    """Stop the local S3 server; its objects stay in its folder."""
    server = _server(port, DEFAULT_BUCKET, data_dir, None)
    try:
        stopped = server.stop()
    except S3ProxyError as exc:
        raise _fail(exc) from None
    if stopped:
        err_console.print("[green]S3Proxy stopped.[/]")
    else:
        err_console.print("S3Proxy was not running.")


@storage_app.command()
def status(
    port: PortOpt = DEFAULT_PORT,
    data_dir: DataDirOpt = None,
) -> None:
    """Say whether the local S3 server runs and answers; exit 1 when it does not."""
    state = _server(port, DEFAULT_BUCKET, data_dir, None).status()
    if state.running and state.responsive:
        err_console.print(
            f"[green]S3Proxy is running[/] at [bold]{state.endpoint_url}[/] (pid {state.pid})."
        )
        err_console.print(f"Objects under {state.data_dir}   Log: {state.log_file}")
        return
    if state.running:
        err_console.print(
            f"[yellow]S3Proxy (pid {state.pid}) runs but does not answer[/] on "
            f"{state.endpoint_url}; see {state.log_file}."
        )
    else:
        err_console.print("S3Proxy is not running. Start it with `beatstitch storage start`.")
    raise typer.Exit(1)
