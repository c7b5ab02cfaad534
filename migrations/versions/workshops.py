"""workshops: group trainings, their sessions, enrolments with a waiting list, attendance and evaluations

Revision ID: workshops
Revises: measurement_scores
Create Date: 2026-12-07

A training is a series of sessions of a module for a group; times are UTC. An enrolment row per
person and training (enrolled, waiting in order of queued_at, or withdrawn); attendance per session
and person; an evaluation per person and round (a session's id, or "end").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workshops"
down_revision: str | None = "measurement_scores"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workshop_trainings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("trainer_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("language_level", sa.String(length=8), nullable=False),
        sa.Column("open_for_enrolment", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_workshop_trainings_created_by_persons")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_workshop_trainings_group_id_groups")),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name=op.f("fk_workshop_trainings_module_id_modules")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_workshop_trainings_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_workshop_trainings_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(["trainer_id"], ["persons.id"], name=op.f("fk_workshop_trainings_trainer_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_trainings")),
    )
    op.create_index("ix_workshop_trainings_programme_id", "workshop_trainings", ["programme_id"], unique=False)
    op.create_index("ix_workshop_trainings_trainer_id", "workshop_trainings", ["trainer_id"], unique=False)

    op.create_table(
        "workshop_enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("training_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolled_by"], ["persons.id"], name=op.f("fk_workshop_enrolments_enrolled_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_workshop_enrolments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_workshop_enrolments_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_workshop_enrolments_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["workshop_trainings.id"],
            name=op.f("fk_workshop_enrolments_training_id_workshop_trainings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_enrolments")),
        sa.UniqueConstraint("training_id", "person_id", name=op.f("uq_workshop_enrolments_training_id_person_id")),
    )
    op.create_index("ix_workshop_enrolments_person_id", "workshop_enrolments", ["person_id"], unique=False)

    op.create_table(
        "workshop_evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("training_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_workshop_evaluations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_workshop_evaluations_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_workshop_evaluations_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["workshop_trainings.id"],
            name=op.f("fk_workshop_evaluations_training_id_workshop_trainings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_evaluations")),
        sa.UniqueConstraint(
            "training_id", "round", "person_id", name=op.f("uq_workshop_evaluations_training_id_round_person_id")
        ),
    )
    op.create_table(
        "workshop_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("training_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_workshop_sessions_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_workshop_sessions_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["workshop_trainings.id"],
            name=op.f("fk_workshop_sessions_training_id_workshop_trainings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_sessions")),
    )
    op.create_index("ix_workshop_sessions_starts", "workshop_sessions", ["starts_at"], unique=False)
    op.create_index(
        "ix_workshop_sessions_training_starts", "workshop_sessions", ["training_id", "starts_at"], unique=False
    )

    op.create_table(
        "workshop_attendance",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("makeup_assignment_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_workshop_attendance_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_workshop_attendance_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_workshop_attendance_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["persons.id"], name=op.f("fk_workshop_attendance_recorded_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workshop_sessions.id"],
            name=op.f("fk_workshop_attendance_session_id_workshop_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "person_id", name=op.f("pk_workshop_attendance")),
    )


def downgrade() -> None:
    op.drop_table("workshop_attendance")
    op.drop_index("ix_workshop_sessions_training_starts", table_name="workshop_sessions")
    op.drop_index("ix_workshop_sessions_starts", table_name="workshop_sessions")

    op.drop_table("workshop_sessions")
    op.drop_table("workshop_evaluations")
    op.drop_index("ix_workshop_enrolments_person_id", table_name="workshop_enrolments")

    op.drop_table("workshop_enrolments")
    op.drop_index("ix_workshop_trainings_trainer_id", table_name="workshop_trainings")
    op.drop_index("ix_workshop_trainings_programme_id", table_name="workshop_trainings")

    op.drop_table("workshop_trainings")
