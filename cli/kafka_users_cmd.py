"""`beatstitch kafka users add|remove`: Kafka principals for the log's other users.

A producer emitting render requests, an analytics team's consumers and an auditor each get
a SCRAM user with the ACLs of their role (local_stack/kafka/principals.py), and the
settings that let their client log in."""

from __future__ import annotations

import re
import secrets
import shlex
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.console import Console

from cli.runtime import CliError, friendly_errors, kafka_bootstrap
from events.kafka_credentials import (
    SERVICE_PRINCIPAL,
    KafkaCredentials,
    client_credentials,
    credentials_env,
    librdkafka_options,
)
from events.settings import KafkaSettings
from events.topics import Topic, physical_name
from local_stack.kafka.principals import (
    Grant,
    Role,
    add_principal,
    admin_client,
    group_prefix,
    remove_principal,
)
from local_stack.kafka.secrets import BROKER_PRINCIPAL
from local_stack.kcat_library import librdkafka_dir

users_app = typer.Typer(
    help=(
        "Kafka principals for producers, analytics consumers and auditors: a SCRAM user "
        "with its role's ACLs, and the settings its client needs."
    ),
    no_args_is_help=True,
)
console = Console(soft_wrap=True)

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
_RESERVED = {BROKER_PRINCIPAL, SERVICE_PRINCIPAL}


def principal_name(name: str) -> str:
    """Check a principal's name: lower-case letters, digits and dashes, not one of ours."""
    if not _NAME.fullmatch(name):
        raise CliError(
            f"{name!r} is not a principal name: use 2 to 41 lower-case letters, digits and "
            "dashes, starting with a letter."
        )
    if name in _RESERVED:
        raise CliError(f"{name!r} is the cluster's own principal; choose another name.")
    return name


@users_app.command()
@friendly_errors
def add(
    name: Annotated[str, typer.Argument(help="The principal's name (User:NAME).")],
    role: Annotated[Role, typer.Option(help="What the principal may do.")],
    password: Annotated[
        str | None,
        typer.Option(help="Its password; default a new random one, printed once."),
    ] = None,
) -> None:
    """Create a principal (or give an existing one a new password and role)."""
    name = principal_name(name)
    settings = KafkaSettings()
    bootstrap = kafka_bootstrap(settings)
    secret = password or secrets.token_urlsafe(24)
    service = client_credentials(settings)
    admin = admin_client(bootstrap, service)
    grants = add_principal(admin, name, secret, role, settings.topic_prefix)
    # Reached the way the service reaches the cluster (TLS and its certificate included).
    credentials = KafkaCredentials(
        username=name,
        password=SecretStr(secret),
        security_protocol=service.security_protocol if service else "SASL_PLAINTEXT",
        ssl_cafile=service.ssl_cafile if service else None,
    )
    _print_principal(bootstrap, credentials, role, grants, settings)


@users_app.command()
@friendly_errors
def remove(
    name: Annotated[str, typer.Argument(help="The principal's name.")],
) -> None:
    """Delete a principal's SCRAM credential and its ACLs."""
    name = principal_name(name)
    settings = KafkaSettings()
    admin = admin_client(kafka_bootstrap(settings), client_credentials(settings))
    remove_principal(admin, name)
    console.print(f"Principal {name} removed: it can no longer log in.", highlight=False)


def kcat_line(
    bootstrap: str, credentials: KafkaCredentials, role: Role, settings: KafkaSettings
) -> str:
    """A kcat command that works for this principal: read (or, for a producer, write)."""
    options = " ".join(
        f"-X {shlex.quote(f'{k}={v}')}" for k, v in librdkafka_options(credentials).items()
    )
    library = f"LD_LIBRARY_PATH={shlex.quote(str(librdkafka_dir(settings.data_dir)))}"
    topic = physical_name(settings.topic_prefix, Topic.RENDER_JOBS)
    if role is Role.PRODUCER:
        action = f"-P -t {topic} -K '|'"
    else:
        # A consumer group of its own prefix, read from the start of the log.
        action = f"-G {group_prefix(credentials.username)}tail -o beginning -e {topic}"
    return f"{library} kcat -b {bootstrap} {options} {action}"


def _print_principal(
    bootstrap: str,
    credentials: KafkaCredentials,
    role: Role,
    grants: list[Grant],
    settings: KafkaSettings,
) -> None:
    console.print(
        f"[green]Principal {credentials.username} ({role.value}) is ready[/] on {bootstrap}.",
        highlight=False,
    )
    console.print("It may:", highlight=False)
    for g in grants:
        pattern = "names starting with " if g.prefixed else ""
        console.print(
            f"  {', '.join(g.operations)} {g.resource} {pattern}{g.name}", highlight=False
        )
    console.print("\nBeatStitch settings (environment):", highlight=False)
    for key, value in credentials_env(credentials).items():
        console.print(f"  {key}={shlex.quote(value)}", highlight=False)
    console.print("\nKafka client properties (librdkafka, Java):", highlight=False)
    for key, value in librdkafka_options(credentials).items():
        console.print(f"  {key}={value}", highlight=False)
    console.print(
        "\nkcat (with the current librdkafka: Debian's 2.0.2 cannot log in to Kafka 4 with SCRAM):",
        highlight=False,
    )
    console.print(f"  {kcat_line(bootstrap, credentials, role, settings)}", highlight=False)
