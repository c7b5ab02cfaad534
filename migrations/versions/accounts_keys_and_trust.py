"""accounts: key bundles, recovery proof, login back-off, organisation and programme keys

Revision ID: accounts_keys_and_trust
Revises: modules_and_assignments
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "accounts_keys_and_trust"
down_revision: str | None = "modules_and_assignments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_bundle", sa.LargeBinary(), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(
            sa.Column("public_identity", sa.LargeBinary(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("recovery_hash", sa.String(length=200), nullable=False, server_default=sa.text("''"))
        )

    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "organisation_keys",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("ed25519_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_organisation_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_organisation_keys_created_by_persons")),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_keys")),
    )
    op.create_table(
        "programme_keys",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("ed25519_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_programme_keys_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_programme_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_programme_keys_created_by_persons")),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_programme_keys")),
    )
    op.create_table(
        "signing_key_copies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_box", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_signing_key_copies_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["holder_id"], ["persons.id"], name=op.f("fk_signing_key_copies_holder_id_persons")),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_signing_key_copies_created_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key_copies")),
        sa.UniqueConstraint("subject_id", "holder_id", name=op.f("uq_signing_key_copies_subject_id")),
    )


def downgrade() -> None:
    op.drop_table("signing_key_copies")
    op.drop_table("programme_keys")
    op.drop_table("organisation_keys")
    op.drop_table("login_throttles")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("recovery_hash")
        batch_op.drop_column("public_identity")
        batch_op.drop_column("key_bundle")
