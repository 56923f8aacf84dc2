"""FastAPI dependencies: services, a database session, the caller and what they own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import TOKEN_REQUIRED, user_of_token
from api.models import Project, User, Workspace
from api.roles import ADMIN_ONLY, may_administer
from api.services import Services

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login")


def get_services(request: Request) -> Services:
    """The app's services, made in its lifespan."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session per request, committed by the handler that writes."""
    with Session(services.engine, expire_on_commit=False) as session:
        yield session


# Closed when the handler returns, not when the response is sent: a streamed response (a
# progress stream lasts minutes) must not hold a pooled connection while it streams.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def trace_id_of(request: Request) -> str:
    """The request's trace id (from X-Trace-Id or made by the middleware)."""
    trace: str = request.state.trace_id
    return trace


TraceId = Annotated[str, Depends(trace_id_of)]


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(session: SessionDep, credentials: BearerCredentials) -> User:
    """The user whose bearer token came with the request; 401 otherwise."""
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=TOKEN_REQUIRED,
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None:
        raise unauthorized
    user = user_of_token(session, credentials.credentials)
    if user is None:
        raise unauthorized
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    """The caller, when an administrator; 403 with a sentence otherwise."""
    if not may_administer(user.role):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ADMIN_ONLY)
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def owned_project(project_id: str, user: CurrentUser, session: SessionDep) -> Project:
    """The caller's project; 404 for a missing one and for anyone else's alike."""
    project = session.get(Project, project_id)
    if project is None or project.owner_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"project {project_id} not found")
    return project


OwnedProject = Annotated[Project, Depends(owned_project)]


def owned_workspace(workspace_id: str, user: CurrentUser, session: SessionDep) -> Workspace:
    """The caller's workspace; 404 for a missing one and for anyone else's alike."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.owner_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"workspace {workspace_id} not found")
    return workspace


OwnedWorkspace = Annotated[Workspace, Depends(owned_workspace)]


def first_workspace(session: Session, user: User) -> Workspace:
    """The workspace made at registration (the oldest one)."""
    return session.scalars(
        select(Workspace).where(Workspace.owner_id == user.id).order_by(Workspace.created_at)
    ).one()
