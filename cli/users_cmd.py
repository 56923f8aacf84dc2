"""`beatstitch users create|set-role`: accounts made by an operator, straight in the database
(the way to the first administrator, and the way in when registration is closed)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from api.accounts import EmailTaken, create_account, find_user
from api.db import upgrade_all
from api.models import ADMIN, ROLES, USER
from cli.runtime import CliError, friendly_errors
from projections.db import make_engine
from projections.settings import DatabaseSettings

users_app = typer.Typer(help="Accounts of the API and their roles.", no_args_is_help=True)
console = Console()
MIN_PASSWORD = 8


def _session() -> Session:
    engine = make_engine(DatabaseSettings().database_url)
    upgrade_all(engine)
    return Session(engine, expire_on_commit=False)


@users_app.command("create")
@friendly_errors
def create(
    email: Annotated[str, typer.Argument(help="The account's e-mail, used to log in.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="An administrator (changes the render config).")
    ] = False,
    password: Annotated[
        str,
        typer.Option(
            envvar="BEATSTITCH_USER_PASSWORD",
            prompt=True,
            confirmation_prompt=True,
            hide_input=True,
            help="Asked for when not given (or in BEATSTITCH_USER_PASSWORD, for scripts).",
        ),
    ] = "",
) -> None:
    """Create an account with its first workspace."""
    if len(password) < MIN_PASSWORD:
        raise CliError(f"the password must have at least {MIN_PASSWORD} characters")
    role = ADMIN if admin else USER
    with _session() as session:
        try:
            user, _ = create_account(session, email, password, role)
        except EmailTaken as exc:
            raise CliError(
                f"{exc.email} has an account already; change its role with "
                f"`beatstitch users set-role {exc.email} {role}`"
            ) from None
    console.print(f"created {user.email} ({role}), id {user.id}")


@users_app.command("set-role")
@friendly_errors
def set_role(
    email: Annotated[str, typer.Argument(help="The account's e-mail.")],
    role: Annotated[str, typer.Argument(help="admin or user.")],
) -> None:
    """Make an existing account an administrator, or a plain user again."""
    if role not in ROLES:
        raise CliError(f"the role is admin or user, not {role!r}")
    with _session() as session:
        user = find_user(session, email)
        if user is None:
            raise CliError(f"no account has the e-mail {email}; create it with `users create`")
        user.role = role
        session.commit()
    console.print(f"{user.email} is now {role}")
