"""What each role may do and see (pure): admins change what every tenant shares."""

from __future__ import annotations

from api.models import ADMIN

ADMIN_ONLY = (
    "Only an administrator may do this; an operator makes one with "
    "`beatstitch users create --admin EMAIL` or `beatstitch users set-role EMAIL admin`."
)
# Shown to users in place of an administrator's e-mail.
AN_ADMINISTRATOR = "an administrator"


def may_administer(role: str) -> bool:
    """True for the role that may change the render config and create accounts."""
    return role == ADMIN


def visible_updated_by(updated_by: str | None, viewer_role: str, viewer_email: str) -> str | None:
    """Who changed the config, as the viewer may see it: admins see the author as written;
    users see their own e-mail and names that are not e-mails (`system`, a CLI user),
    never another person's e-mail."""
    if updated_by is None or may_administer(viewer_role):
        return updated_by
    if "@" in updated_by and updated_by.lower() != viewer_email.lower():
        return AN_ADMINISTRATOR
    return updated_by
