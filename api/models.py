"""Tables the API owns: users, workspaces and what users edit (projects, media, timelines).

They are not projections: nothing in the log describes them, and replay leaves them alone.
Renders, clip tasks, the render config and audio analyses are read from projections.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class ApiBase(DeclarativeBase):
    """Declarative base of the API's own tables (their own Alembic history)."""

    type_annotation_map = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


ADMIN = "admin"
USER = "user"
ROLES = (ADMIN, USER)


class User(ApiBase):
    """Someone who logs in; the password is kept only as an Argon2 hash.

    `role` is "admin" (may change the render config shared by every tenant, and create
    accounts when registration is closed) or "user".
    """

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(16), default=USER, server_default=USER)

    @property
    def is_admin(self) -> bool:
        """True for an administrator."""
        return self.role == ADMIN


class AccessToken(ApiBase):
    """A bearer token, stored as its sha256 so a leaked table grants nothing."""

    __tablename__ = "access_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Workspace(ApiBase):
    """A user's space for projects; every user gets one at registration."""

    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Project(ApiBase):
    """A music track, its media and the settings that shape the timeline."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MediaAssetRow(ApiBase):
    """A photo or clip, uploaded or generated, with what probing found."""

    __tablename__ = "media_assets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    rotation: Mapped[int] = mapped_column(Integer)
    display_aspect_ratio: Mapped[float | None] = mapped_column(Float)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str] = mapped_column(String(32))
    thumbnail_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # "upload", or "generated" by the video generation of that id (the asset's id too).
    origin: Mapped[str] = mapped_column(String(16), server_default="upload", default="upload")
    generation_id: Mapped[str | None] = mapped_column(String(64))
    # The file and thumbnail in the store (storage.keys); None for an upload from before the
    # store, read at its path. With a store on another machine the path is only where the
    # file was received.
    storage_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))


class AudioTrack(ApiBase):
    """A project's music; its beat analysis is read from the audio_analyses projection."""

    __tablename__ = "audio_tracks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    # The file in the store; None for a song from before the store, read at its path.
    storage_key: Mapped[str | None] = mapped_column(String(512))


class Timeline(ApiBase):
    """A project's EDL (generated, or replaced by an edited one)."""

    __tablename__ = "timelines"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    edl: Mapped[dict[str, Any]]
    edl_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]
