"""recovery: programme recovery key and officer copies, consents with her sealed user key,
recovery requests from a new device, coach-assisted account resets, former public identities,
recovery notices

Revision ID: recovery
Revises: chat_web_push
Create Date: 2026-11-22

Every key column holds a sealed box or public key the server cannot open.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "recovery"
down_revision: str | None = "chat_web_push"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    t = "programme_recovery_keys"
    op.create_table(
        t,
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("x25519_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_record", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk(t, "programme_id", "programmes"),
        _fk(t, "organisation_id", "organisations"),
        _fk(t, "created_by", "persons"),
        sa.PrimaryKeyConstraint("programme_id", name=op.f(f"pk_{t}")),
    )
    t = "recovery_officer_copies"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_box", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk(t, "organisation_id", "organisations"),
        _fk(t, "programme_id", "programmes"),
        _fk(t, "holder_id", "persons"),
        _fk(t, "created_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("programme_id", "holder_id", name=op.f(f"uq_{t}_programme_id_holder_id")),
    )
    t = "recovery_consents"
    op.create_table(
        t,
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_key_id", sa.LargeBinary(length=16), nullable=False),
        sa.Column("sealed_user_key", sa.LargeBinary(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        _fk(t, "person_id", "persons"),
        _fk(t, "programme_id", "programmes"),
        _fk(t, "organisation_id", "organisations"),
        sa.PrimaryKeyConstraint("person_id", "programme_id", name=op.f(f"pk_{t}")),
    )
    t = "recovery_device_requests"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("device_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("sealed_user_key", sa.LargeBinary(), nullable=True),
        sa.Column("resealed_by", sa.Uuid(), nullable=True),
        sa.Column("resealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _fk(t, "organisation_id", "organisations"),
        _fk(t, "person_id", "persons"),
        _fk(t, "programme_id", "programmes"),
        _fk(t, "resealed_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{t}_token_hash")),
    )
    op.create_index("ix_recovery_device_requests_person", t, ["person_id", "created_at"])
    t = "recovery_account_resets"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _fk(t, "organisation_id", "organisations"),
        _fk(t, "programme_id", "programmes"),
        _fk(t, "person_id", "persons"),
        _fk(t, "created_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("code_hash", name=op.f(f"uq_{t}_code_hash")),
    )
    t = "recovery_former_identities"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("public_identity", sa.LargeBinary(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("replaced_by", sa.Uuid(), nullable=True),
        sa.Column("vouched_by", sa.Uuid(), nullable=True),
        sa.Column("vouched_at", sa.DateTime(timezone=True), nullable=True),
        _fk(t, "organisation_id", "organisations"),
        _fk(t, "person_id", "persons"),
        _fk(t, "replaced_by", "persons"),
        _fk(t, "vouched_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_recovery_former_identities_person", t, ["person_id", "superseded_at"])
    t = "recovery_notices"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        _fk(t, "person_id", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_recovery_notices_person", t, ["person_id", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_recovery_notices_person", table_name="recovery_notices")
    op.drop_table("recovery_notices")
    op.drop_index("ix_recovery_former_identities_person", table_name="recovery_former_identities")
    op.drop_table("recovery_former_identities")
    op.drop_table("recovery_account_resets")
    op.drop_index("ix_recovery_device_requests_person", table_name="recovery_device_requests")
    op.drop_table("recovery_device_requests")
    op.drop_table("recovery_consents")
    op.drop_table("recovery_officer_copies")
    op.drop_table("programme_recovery_keys")
