"""modules: versions, assignments, encrypted answers and feedback, notifications

Module content is plaintext; answers and feedback are opaque envelopes (see docs/modules.md).

Revision ID: modules_and_assignments
Revises: 0001
Create Date: 2026-11-22 16:33:58.937693
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "modules_and_assignments"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "modules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("copied_from_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["copied_from_id"], ["modules.id"], name=op.f("fk_modules_copied_from_id_modules")),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_modules_created_by_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_modules_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_modules_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modules")),
    )
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_modules_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_notifications_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_notifications_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_notifications_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_person_created", ["person_id", "created_at"], unique=False)

    op.create_table(
        "module_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("language_level", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("lessons", sa.JSON(), nullable=False),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["module_id"], ["modules.id"], name=op.f("fk_module_versions_module_id_modules"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_module_versions_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_module_versions_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(["published_by"], ["persons.id"], name=op.f("fk_module_versions_published_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_versions")),
        sa.UniqueConstraint("module_id", "number", name=op.f("uq_module_versions_module_id_number")),
    )
    with op.batch_alter_table("module_versions", schema=None) as batch_op:
        batch_op.create_index("ix_module_versions_module_state", ["module_id", "state"], unique=False)

    op.create_table(
        "module_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("module_version_id", sa.Uuid(), nullable=True),
        sa.Column("template_key", sa.String(length=32), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_envelope", sa.Text(), nullable=True),
        sa.Column("content_key_id", sa.String(length=32), nullable=True),
        sa.Column("content_key_wrap", sa.Text(), nullable=True),
        sa.Column("content_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["persons.id"], name=op.f("fk_module_assignments_assigned_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_module_assignments_group_id_groups"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name=op.f("fk_module_assignments_module_id_modules")),
        sa.ForeignKeyConstraint(
            ["module_version_id"],
            ["module_versions.id"],
            name=op.f("fk_module_assignments_module_version_id_module_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_module_assignments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_module_assignments_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_module_assignments_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_assignments")),
    )
    with op.batch_alter_table("module_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_module_assignments_module", ["module_id", "group_id"], unique=False)
        batch_op.create_index(
            "ix_module_assignments_programme_participant", ["programme_id", "participant_id"], unique=False
        )
        batch_op.create_index(
            "ix_module_assignments_programme_status", ["programme_id", "status", "submitted_at"], unique=False
        )

    op.create_table(
        "assignment_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("item_key_wrap", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["module_assignments.id"],
            name=op.f("fk_assignment_answers_assignment_id_module_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], name=op.f("fk_assignment_answers_author_id_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_assignment_answers_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_assignment_answers_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_assignment_answers_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_answers")),
        sa.UniqueConstraint(
            "assignment_id", "question_key", name=op.f("uq_assignment_answers_assignment_id_question_key")
        ),
    )
    op.create_table(
        "assignment_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("item_key_wrap", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["module_assignments.id"],
            name=op.f("fk_assignment_feedback_assignment_id_module_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], name=op.f("fk_assignment_feedback_author_id_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_assignment_feedback_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_assignment_feedback_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_assignment_feedback_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_feedback")),
    )
    with op.batch_alter_table("assignment_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_feedback_assignment_id"), ["assignment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignment_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_feedback_assignment_id"))

    op.drop_table("assignment_feedback")
    op.drop_table("assignment_answers")
    with op.batch_alter_table("module_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_module_assignments_programme_status")
        batch_op.drop_index("ix_module_assignments_programme_participant")
        batch_op.drop_index("ix_module_assignments_module")

    op.drop_table("module_assignments")
    with op.batch_alter_table("module_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_module_versions_module_state")

    op.drop_table("module_versions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_person_created")

    op.drop_table("notifications")
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modules_programme_id"))

    op.drop_table("modules")
