"""intake: application pages, signed intake teams, referral links and applications

Revision ID: intake
Revises: workshops
Create Date: 2026-12-07

A programme's public application page (on or off), the intake team as staff signed it (kind 0x06),
links partners refer with (a hash of each token), and applications: name, contact and consent in
plaintext, the letter only as ciphertext with its key sealed to each reader.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "intake"
down_revision: str | None = "workshops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_pages",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["persons.id"], name=op.f("fk_intake_pages_changed_by_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_intake_pages_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_intake_pages_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_intake_pages")),
    )
    op.create_table(
        "intake_referrers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("partner_name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_intake_referrers_created_by_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_intake_referrers_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_intake_referrers_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_referrers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_intake_referrers_token_hash")),
    )
    with op.batch_alter_table("intake_referrers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_referrers_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "intake_teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("signed_record", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_intake_teams_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_intake_teams_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(["signed_by"], ["persons.id"], name=op.f("fk_intake_teams_signed_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_teams")),
        sa.UniqueConstraint("programme_id", "serial", name=op.f("uq_intake_teams_programme_id_serial")),
    )
    op.create_table(
        "intake_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("referrer_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("team_serial", sa.BigInteger(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("status_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("invitation_box", sa.LargeBinary(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["persons.id"], name=op.f("fk_intake_applications_decided_by_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_intake_applications_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_intake_applications_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_intake_applications_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["intake_referrers.id"], name=op.f("fk_intake_applications_referrer_id_intake_referrers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_applications")),
        sa.UniqueConstraint("status_hash", name=op.f("uq_intake_applications_status_hash")),
    )
    with op.batch_alter_table("intake_applications", schema=None) as batch_op:
        batch_op.create_index("ix_intake_applications_programme_created", ["programme_id", "created_at"], unique=False)

    op.create_table(
        "intake_application_keys",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reader_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake_applications.id"],
            name=op.f("fk_intake_application_keys_application_id_intake_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reader_id"], ["persons.id"], name=op.f("fk_intake_application_keys_reader_id_persons")
        ),
        sa.PrimaryKeyConstraint("application_id", "reader_id", name=op.f("pk_intake_application_keys")),
    )


def downgrade() -> None:
    op.drop_table("intake_application_keys")
    with op.batch_alter_table("intake_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_applications_programme_created")

    op.drop_table("intake_applications")
    op.drop_table("intake_teams")
    with op.batch_alter_table("intake_referrers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_referrers_programme_id"))

    op.drop_table("intake_referrers")
    op.drop_table("intake_pages")
