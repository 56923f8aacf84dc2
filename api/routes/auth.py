"""Register, log in, log out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select

from api.accounts import (
    EmailTaken,
    create_account,
    find_user,
    issue_token,
    purge_expired_tokens,
    revoke_token,
)
from api.deps import (
    BearerCredentials,
    CurrentUser,
    ServicesDep,
    SessionDep,
    first_workspace,
)
from api.models import Workspace
from api.openapi_errors import BODY, CAPPED, TOKEN, errors
from api.schemas import Credentials, Registered, TokenOut, WorkspaceOut
from api.security import verify_password_or_dummy
from api.services import Services

router = APIRouter(prefix="/api/v1", tags=["auth"])

REGISTRATION_CLOSED = (
    "Registration is closed on this server: ask an administrator to create your account."
)


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _check_limits(services: Services, request: Request, email: str) -> None:
    """429 with Retry-After when the address or the account is over its limit; else count
    this attempt against the address."""
    address = _client_address(request)
    wait = services.auth_limits.retry_after(address, email)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Too many attempts to log in or register; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    services.auth_limits.attempt(address)


@router.post(
    "/auth/register", status_code=status.HTTP_201_CREATED, responses=errors(*BODY, 403, 409, 429)
)
def register(
    body: Credentials, request: Request, session: SessionDep, services: ServicesDep
) -> Registered:
    """Create a user and their first workspace (403 when registration is closed)."""
    if services.settings.registration == "closed":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=REGISTRATION_CLOSED)
    _check_limits(services, request, body.email)
    # Registering an e-mail counts against it like a wrong password: probing which e-mails
    # have accounts by the 409 is limited as guessing their passwords is.
    services.auth_limits.failed(body.email)
    try:
        user, workspace = create_account(session, body.email, body.password)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return Registered(user_id=user.id, email=user.email, workspace_id=workspace.id)


@router.post("/auth/login", responses=errors(*BODY, 401, 429))
def login(
    body: Credentials, request: Request, session: SessionDep, services: ServicesDep
) -> TokenOut:
    """Exchange e-mail and password for a bearer token."""
    _check_limits(services, request, body.email)
    user = find_user(session, body.email)
    # The same answer, and the same Argon2 work, for an unknown e-mail and a wrong password:
    # no account probing.
    right = verify_password_or_dummy(user.password_hash if user else None, body.password)
    if user is None or not right:
        services.auth_limits.failed(body.email)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="E-mail or password is wrong.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    services.auth_limits.succeeded(body.email)
    purge_expired_tokens(session)
    token, row = issue_token(session, user, services.settings.token_ttl_hours)
    return TokenOut(
        access_token=token,
        expires_at=row.expires_at,
        user_id=user.id,
        workspace_id=first_workspace(session, user).id,
        role=user.role,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(*CAPPED, 401))
def logout(_user: CurrentUser, credentials: BearerCredentials, session: SessionDep) -> Response:
    """Revoke the token of this request: the next request with it is answered 401."""
    if credentials is not None:
        revoke_token(session, credentials.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", responses=errors(*TOKEN))
def me(user: CurrentUser, session: SessionDep) -> Registered:
    """The caller, their role and their first workspace."""
    workspace = first_workspace(session, user)
    return Registered(user_id=user.id, email=user.email, workspace_id=workspace.id, role=user.role)


@router.get("/workspaces", responses=errors(*TOKEN))
def workspaces(user: CurrentUser, session: SessionDep) -> list[WorkspaceOut]:
    """The caller's workspaces."""
    rows = session.scalars(
        select(Workspace).where(Workspace.owner_id == user.id).order_by(Workspace.created_at)
    )
    return [WorkspaceOut(id=w.id, name=w.name, created_at=w.created_at) for w in rows]
