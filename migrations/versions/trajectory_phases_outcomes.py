"""trajectory: her phases with planned and actual dates, and her outcomes

Revision ID: trajectory_phases_outcomes
Revises: measurements_instrument_versions
Create Date: 2026-12-07

Workflow facts in plaintext: per participant and programme one row per phase (application to
closed) with a planned date and the date it actually started, and the outcomes a coach records
(education, internship, paid or volunteer work, a diploma, leaving the programme with a reason).
Reminders are notifications with a dedupe key and need no table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "trajectory_phases_outcomes"
down_revision: str | None = "measurements_instrument_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trajectory_phases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_trajectory_phases_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_trajectory_phases_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_trajectory_phases_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["persons.id"], name=op.f("fk_trajectory_phases_updated_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectory_phases")),
        sa.UniqueConstraint(
            "programme_id",
            "participant_id",
            "phase",
            name=op.f("uq_trajectory_phases_programme_id_participant_id_phase"),
        ),
    )
    op.create_index("ix_trajectory_phases_planned", "trajectory_phases", ["planned_on"])
    op.create_table(
        "trajectory_outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_trajectory_outcomes_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_trajectory_outcomes_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_trajectory_outcomes_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["persons.id"], name=op.f("fk_trajectory_outcomes_recorded_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectory_outcomes")),
    )
    op.create_index("ix_trajectory_outcomes_participant", "trajectory_outcomes", ["programme_id", "participant_id"])


def downgrade() -> None:
    op.drop_index("ix_trajectory_outcomes_participant", table_name="trajectory_outcomes")
    op.drop_table("trajectory_outcomes")
    op.drop_index("ix_trajectory_phases_planned", table_name="trajectory_phases")
    op.drop_table("trajectory_phases")
