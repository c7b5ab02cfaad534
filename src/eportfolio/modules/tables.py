"""Tables of the modules feature. Every row carries programme and organisation.

Module content lives in ``module_versions`` (plaintext: it is not about a person). A published
version is never changed again; assignments (``assignments.tables``) point at the version they
were given from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Module(Base):
    __tablename__ = "modules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    copied_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("modules.id"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModuleVersion(Base):
    __tablename__ = "module_versions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    module_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(120))
    theme: Mapped[str] = mapped_column(String(200), default="")
    language_level: Mapped[str] = mapped_column(String(8), default="B1")
    summary: Mapped[str] = mapped_column(Text, default="")
    # language -> field -> text, for the module's own title, theme and summary
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Lists of LessonRead / TemplateRead dicts (with their questions and translations).
    lessons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    templates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))

    __table_args__ = (
        UniqueConstraint("module_id", "number"),
        Index("ix_module_versions_module_state", "module_id", "state"),
    )
