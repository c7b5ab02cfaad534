"""appointments: weekly coach meetings and her own appointments, one row per occurrence

Revision ID: appointments
Revises: trajectory_phases_outcomes
Create Date: 2026-12-07

Plaintext workflow facts (when, how long, where) that she and her coaches see; times in UTC.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "appointments"
down_revision: str | None = "trajectory_phases_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_appointments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_appointments_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_appointments_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(["coach_id"], ["persons.id"], name=op.f("fk_appointments_coach_id_persons")),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_appointments_created_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index("ix_appointments_participant_starts", "appointments", ["participant_id", "starts_at"])
    op.create_index("ix_appointments_coach_starts", "appointments", ["coach_id", "starts_at"])
    op.create_index("ix_appointments_starts_at", "appointments", ["starts_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_starts_at", table_name="appointments")
    op.drop_index("ix_appointments_coach_starts", table_name="appointments")
    op.drop_index("ix_appointments_participant_starts", table_name="appointments")
    op.drop_table("appointments")
