"""The render clip configuration: read it, and change it by emitting RenderConfigUpdated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.config_log import config_updates
from api.deps import AdminUser, CurrentUser, ServicesDep, SessionDep, TraceId
from api.errors import unprocessable
from api.openapi_errors import BODY, EMITS, TOKEN, errors
from api.read_models import latest_config_version
from api.read_your_writes import emit
from api.roles import visible_updated_by
from api.schemas import ConfigOut
from domain.render_config import config_in_force, highest_version
from events.payloads import RenderConfigUpdated
from events.payloads.config import PLACEHOLDER_FIXED, RenderClipConfig

router = APIRouter(prefix="/api/v1/render/config", tags=["render config"])


def current_config(session: Session, role: str, email: str) -> ConfigOut:
    """The newest version the projector has folded, or the defaults as version 0, as a user
    of this role and e-mail may see it."""
    row = latest_config_version(session)
    if row is None:
        return ConfigOut(
            version=0, config=RenderClipConfig().model_dump(), updated_by=None, updated_at=None
        )
    return ConfigOut(
        version=row.version,
        config=row.config,
        updated_by=visible_updated_by(row.updated_by, role, email),
        updated_at=row.occurred_at,
    )


@router.get("", responses=errors(*TOKEN))
def get_config(user: CurrentUser, session: SessionDep) -> ConfigOut:
    """The configuration every worker applies (max_parallelism, per_video_limit, retries…);
    an administrator's e-mail in `updated_by` is shown to administrators only."""
    return current_config(session, user.role, user.email)


@router.patch("", responses=errors(*BODY, 401, 403, *EMITS))
async def patch_config(
    patch: Annotated[dict[str, Any], Body(examples=[{"max_parallelism": 2, "per_video_limit": 1}])],
    user: AdminUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> ConfigOut:
    """Change some values (administrators only: 403 otherwise): validated (422 names the
    field), emitted, and applied by workers."""
    if "placeholder_asset_path" in patch:
        # Checked apart so the 422 names the field, as for any other refused value.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "type": "value_error",
                    "loc": ["body", "placeholder_asset_path"],
                    "msg": PLACEHOLDER_FIXED,
                }
            ],
        )
    # The caller is known: no connection is held while the log is read and the projector folds.
    await run_in_threadpool(session.close)
    # Numbered and patched from the log, not the read model: no lock between API replicas
    # is needed, the log orders concurrent updates (domain.render_config).
    updates = await config_updates(services.bootstrap, services.topic_prefix)
    _, in_force = config_in_force(updates)
    try:
        config = RenderClipConfig.model_validate({**in_force.model_dump(), **patch})
    except ValidationError as exc:
        raise unprocessable(exc, "body") from None
    update = RenderConfigUpdated(
        version=highest_version(updates) + 1, config=config, updated_by=user.email
    )
    await emit(services, update, trace_id=trace_id)
    return await run_in_threadpool(current_config, session, user.role, user.email)
