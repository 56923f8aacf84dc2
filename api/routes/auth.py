"""Register, log in, and who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.clock import new_id, now
from api.deps import CurrentUser, ServicesDep, SessionDep, first_workspace
from api.models import AccessToken, User, Workspace
from api.schemas import Credentials, Registered, TokenOut, WorkspaceOut
from api.security import hash_password, new_token, token_digest, verify_password

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/register", status_code=status.HTTP_201_CREATED)
def register(body: Credentials, session: SessionDep) -> Registered:
    """Create a user and their first workspace."""
    email = body.email.lower()
    if session.scalars(select(User).where(User.email == email)).first() is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"{email} is already registered; log in instead."
        )
    at = now()
    user = User(id=new_id("user"), email=email, password_hash=hash_password(body.password))
    user.created_at = at
    workspace = Workspace(id=new_id("ws"), owner_id=user.id, name="My workspace", created_at=at)
    session.add(user)
    session.flush()
    session.add(workspace)
    session.commit()
    return Registered(user_id=user.id, email=email, workspace_id=workspace.id)


@router.post("/auth/login")
def login(body: Credentials, session: SessionDep, services: ServicesDep) -> TokenOut:
    """Exchange e-mail and password for a bearer token."""
    user = session.scalars(select(User).where(User.email == body.email.lower())).first()
    # The same answer for an unknown e-mail and a wrong password: no account probing.
    if user is None or not verify_password(user.password_hash, body.password):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="E-mail or password is wrong.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = new_token()
    at = now()
    expires = at + timedelta(hours=services.settings.token_ttl_hours)
    session.add(
        AccessToken(
            token_sha256=token_digest(token), user_id=user.id, created_at=at, expires_at=expires
        )
    )
    session.commit()
    return TokenOut(
        access_token=token,
        expires_at=expires,
        user_id=user.id,
        workspace_id=first_workspace(session, user).id,
    )


@router.get("/auth/me")
def me(user: CurrentUser, session: SessionDep) -> Registered:
    """The caller and their first workspace."""
    workspace = first_workspace(session, user)
    return Registered(user_id=user.id, email=user.email, workspace_id=workspace.id)


@router.get("/workspaces")
def workspaces(user: CurrentUser, session: SessionDep) -> list[WorkspaceOut]:
    """The caller's workspaces."""
    rows = session.scalars(
        select(Workspace).where(Workspace.owner_id == user.id).order_by(Workspace.created_at)
    )
    return [WorkspaceOut(id=w.id, name=w.name, created_at=w.created_at) for w in rows]
