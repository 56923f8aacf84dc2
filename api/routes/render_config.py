"""The render clip configuration: read it, and change it by emitting RenderConfigUpdated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.config_fields import changes_newest_first, config_fields
from api.config_log import config_updates
from api.deps import AdminUser, CurrentUser, ServicesDep, SessionDep, TraceId
from api.errors import unprocessable
from api.openapi_errors import BODY, EMITS, TOKEN, errors
from api.read_models import config_versions, latest_config_version
from api.read_your_writes import emit
from api.roles import ADMIN_ONLY, may_administer, visible_updated_by
from api.schemas import ConfigFieldsOut, ConfigOut, ConfigVersionOut, ConfigVersionsOut
from domain.render_config import config_in_force, highest_version
from events.payloads import RenderConfigUpdated
from events.payloads.config import PLACEHOLDER_FIXED, RenderClipConfig

router = APIRouter(prefix="/api/v1/render/config", tags=["render config"])
# A page of the history: enough for a screen, small enough that a long history stays cheap.
VERSIONS_PAGE = 20
VERSIONS_MAX = 100


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


@router.get("/fields", responses=errors(*TOKEN))
def get_config_fields(user: CurrentUser) -> ConfigFieldsOut:
    """Each setting's minimum, maximum, default and meaning (from RenderClipConfig's JSON
    Schema), and whether the caller may change them: if not, `why_not` is the 403's sentence."""
    may_edit = may_administer(user.role)
    return ConfigFieldsOut(
        fields=config_fields(), may_edit=may_edit, why_not=None if may_edit else ADMIN_ONLY
    )


@router.get("/versions", responses=errors(*TOKEN))
def get_config_versions(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[
        int, Query(ge=1, le=VERSIONS_MAX, description="Versions per page.")
    ] = VERSIONS_PAGE,
    before: Annotated[
        int | None, Query(ge=1, description="Only versions below this one (the next page).")
    ] = None,
) -> ConfigVersionsOut:
    """The config's versions, newest first, each with what it changed against the version
    before it (version 1 against the defaults); `updated_by` as `GET …/config` shows it."""
    # One row more than the page: the version before the page's oldest, to say what it changed.
    rows = config_versions(session, before=before, limit=limit + 1)
    page, below = rows[:limit], rows[limit:]
    changed = changes_newest_first([row.config for row in page], below[0].config if below else None)
    versions = [
        ConfigVersionOut(
            version=row.version,
            config=row.config,
            updated_by=visible_updated_by(row.updated_by, user.role, user.email),
            updated_at=row.occurred_at,
            changes=changes,
        )
        for row, changes in zip(page, changed, strict=True)
    ]
    return ConfigVersionsOut(versions=versions, next_before=page[-1].version if below else None)


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
