"""Accounts and tokens against an in-memory database: roles, revocation, purging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.accounts import (
    EmailTaken,
    create_account,
    issue_token,
    purge_expired_tokens,
    revoke_token,
)
from api.clock import now
from api.models import AccessToken, ApiBase
from api.security import token_digest


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    ApiBase.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s


def test_accounts_are_users_unless_made_admins(session: Session) -> None:
    user, workspace = create_account(session, "Someone@Example.com", "a password 1")
    admin, _ = create_account(session, "boss@example.com", "a password 1", "admin")
    assert (user.email, user.role, user.is_admin) == ("someone@example.com", "user", False)
    assert admin.is_admin and workspace.owner_id == user.id
    with pytest.raises(EmailTaken, match="already registered"):
        create_account(session, "SOMEONE@example.com", "another one 1")


def test_a_revoked_token_is_gone_and_expired_ones_are_purged(session: Session) -> None:
    user, _ = create_account(session, "a@example.com", "a password 1")
    kept, _ = issue_token(session, user, ttl_hours=1)
    revoked, _ = issue_token(session, user, ttl_hours=1)
    _, old = issue_token(session, user, ttl_hours=1)
    old.expires_at = now() - timedelta(seconds=1)
    session.commit()

    revoke_token(session, revoked)
    assert session.get(AccessToken, token_digest(revoked)) is None
    assert purge_expired_tokens(session) == 1
    left = session.scalars(select(AccessToken.token_sha256)).all()
    assert left == [token_digest(kept)]
