"""Accounts an administrator creates (also while registration is closed)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.accounts import EmailTaken, create_account
from api.deps import AdminUser, SessionDep
from api.openapi_errors import BODY, errors
from api.schemas import NewAccount, Registered

router = APIRouter(prefix="/api/v1/users", tags=["auth"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(*BODY, 401, 403, 409))
def create_user(body: NewAccount, _admin: AdminUser, session: SessionDep) -> Registered:
    """Create an account with its first workspace (admin only; 403 with a sentence else)."""
    try:
        user, workspace = create_account(session, body.email, body.password, body.role)
    except EmailTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return Registered(user_id=user.id, email=user.email, workspace_id=workspace.id, role=body.role)
