"""Accounts and their tokens: create a user with a workspace, issue, revoke and purge tokens.

Shared by the API's routes and the `beatstitch users` command.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.clock import as_utc, new_id, now
from api.models import USER, AccessToken, User, Workspace
from api.security import hash_password, new_token, token_digest

# What a request without a live token is told, by a route or before its body is read.
TOKEN_REQUIRED = "A valid bearer token is required: log in with POST /api/v1/auth/login."


class EmailTaken(ValueError):
    """An account with this e-mail exists already."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already registered; log in instead.")
        self.email = email


def find_user(session: Session, email: str) -> User | None:
    """The account of an e-mail (case does not matter), or None."""
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_account(
    session: Session, email: str, password: str, role: str = USER
) -> tuple[User, Workspace]:
    """A new user and their first workspace, committed; EmailTaken if the e-mail has one."""
    email = email.strip().lower()
    if find_user(session, email) is not None:
        raise EmailTaken(email)
    at = now()
    user = User(id=new_id("user"), email=email, password_hash=hash_password(password), role=role)
    user.created_at = at
    workspace = Workspace(id=new_id("ws"), owner_id=user.id, name="My workspace", created_at=at)
    session.add(user)
    session.flush()
    session.add(workspace)
    session.commit()
    return user, workspace


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, AccessToken]:
    """A new bearer token for the user (only its digest is stored), committed."""
    token = new_token()
    at = now()
    row = AccessToken(
        token_sha256=token_digest(token),
        user_id=user.id,
        created_at=at,
        expires_at=at + timedelta(hours=ttl_hours),
    )
    session.add(row)
    session.commit()
    return token, row


def revoke_token(session: Session, token: str) -> None:
    """Forget a token: the next request that presents it is answered 401."""
    session.execute(delete(AccessToken).where(AccessToken.token_sha256 == token_digest(token)))
    session.commit()


def purge_expired_tokens(session: Session) -> int:
    """Delete every expired token; returns how many."""
    result = session.execute(delete(AccessToken).where(AccessToken.expires_at <= now()))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def user_of_token(session: Session, token: str) -> User | None:
    """The user a bearer token belongs to, if it is known and has not expired."""
    row = session.get(AccessToken, token_digest(token))
    if row is None or as_utc(row.expires_at) <= now():
        return None
    return session.get(User, row.user_id)
