"""groups: trainers in a group, and the group's membership record signed by staff

Revision ID: groups_signed_membership_5c1e
Revises: modules_lesson_reads
Create Date: 2026-12-07

A group member is a participant or the group's trainer (or coach). Each group keeps the newest
membership record a staff member's browser signed with the programme key (docs/crypto-spec.md 8,
kind 0x05): members' browsers admit the readers it names.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "groups_signed_membership_5c1e"
down_revision: str | None = "modules_lesson_reads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_members") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="participant"))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("membership_record", sa.Text(), nullable=True))
        batch.add_column(sa.Column("membership_serial", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("membership_signed_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("membership_signed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_groups_membership_signed_by", "persons", ["membership_signed_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_constraint("fk_groups_membership_signed_by", type_="foreignkey")
        batch.drop_column("membership_signed_at")
        batch.drop_column("membership_signed_by")
        batch.drop_column("membership_serial")
        batch.drop_column("membership_record")
    with op.batch_alter_table("group_members") as batch:
        batch.drop_column("role")
