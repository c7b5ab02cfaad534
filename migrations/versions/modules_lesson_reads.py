"""modules: which lessons she read, per assignment (her progress through a module)

Revision ID: modules_lesson_reads
Revises: recovery_signed_vouch
Create Date: 2026-12-07

Her assignment page shows the module's lessons before its questions, with how far she is; the
lessons she read are kept here, one row per lesson per assignment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "modules_lesson_reads"
down_revision: str | None = "recovery_signed_vouch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_lesson_reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_key", sa.String(length=32), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["module_assignments.id"],
            name=op.f("fk_assignment_lesson_reads_assignment_id_module_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assignment_lesson_reads_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_assignment_lesson_reads_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_assignment_lesson_reads_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_lesson_reads")),
        sa.UniqueConstraint(
            "assignment_id", "lesson_key", name=op.f("uq_assignment_lesson_reads_assignment_id_lesson_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("assignment_lesson_reads")
