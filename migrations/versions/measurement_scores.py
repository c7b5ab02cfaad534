"""measurements: her self-score beside her coach's, consent to report scores, reported scores

Revision ID: measurement_scores
Revises: appointments
Create Date: 2026-12-07

A measurement names its instrument by key and version. Each side (her self-score, her coach's
score) is an envelope sealed in the browser for her portfolio's "my coaches" audience, written
once. Her consent keeps the exact text she saw; the numeric scores her browser reports under it
are plaintext rows that withdrawing deletes.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "measurement_scores"
down_revision: str | None = "appointments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _programme_columns(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f(f"fk_{table}_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f(f"fk_{table}_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _person(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["persons.id"], name=op.f(f"fk_{table}_{column}_persons"))


def upgrade() -> None:
    op.create_table(
        "measurements",
        *_programme_columns("measurements"),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_key", sa.String(length=63), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        _person("measurements", "participant_id"),
        _person("measurements", "opened_by"),
    )
    op.create_index("ix_measurements_programme_participant", "measurements", ["programme_id", "participant_id"])
    op.create_table(
        "measurement_sides",
        *_programme_columns("measurement_sides"),
        sa.Column("measurement_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("item_key_wrap", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["measurements.id"],
            name=op.f("fk_measurement_sides_measurement_id_measurements"),
            ondelete="CASCADE",
        ),
        _person("measurement_sides", "participant_id"),
        _person("measurement_sides", "author_id"),
        sa.UniqueConstraint("measurement_id", "side", name=op.f("uq_measurement_sides_measurement_id_side")),
    )
    op.create_table(
        "score_consents",
        *_programme_columns("score_consents"),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        _person("score_consents", "participant_id"),
    )
    op.create_index("ix_score_consents_programme_participant", "score_consents", ["programme_id", "participant_id"])
    op.create_table(
        "reported_scores",
        *_programme_columns("reported_scores"),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("measurement_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("instrument_key", sa.String(length=63), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        _person("reported_scores", "participant_id"),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["measurements.id"],
            name=op.f("fk_reported_scores_measurement_id_measurements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["score_consents.id"], name=op.f("fk_reported_scores_consent_id_score_consents")
        ),
        sa.UniqueConstraint("measurement_id", "side", name=op.f("uq_reported_scores_measurement_id_side")),
    )


def downgrade() -> None:
    op.drop_table("reported_scores")
    op.drop_index("ix_score_consents_programme_participant", table_name="score_consents")
    op.drop_table("score_consents")
    op.drop_table("measurement_sides")
    op.drop_index("ix_measurements_programme_participant", table_name="measurements")
    op.drop_table("measurements")
