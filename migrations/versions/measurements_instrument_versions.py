"""measurements: instrument versions that staff add for their organisation

Revision ID: measurements_instrument_versions
Revises: portfolio_upload_resume
Create Date: 2026-12-07

Shipped instruments are files in the package; an organisation's own instruments and versions are
rows here, the definition stored as checked JSON. A row is written once and never changed: (key,
version) names the same definition for as long as measurements point at it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "measurements_instrument_versions"
down_revision: str | None = "portfolio_upload_resume"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instrument_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=False),
        sa.Column("added_in_programme_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_instrument_versions_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["added_by"], ["persons.id"], name=op.f("fk_instrument_versions_added_by_persons")),
        sa.ForeignKeyConstraint(
            ["added_in_programme_id"],
            ["programmes.id"],
            name=op.f("fk_instrument_versions_added_in_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_versions")),
        sa.UniqueConstraint(
            "organisation_id", "key", "version", name=op.f("uq_instrument_versions_organisation_id_key_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("instrument_versions")
