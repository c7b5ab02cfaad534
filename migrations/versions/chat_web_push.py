"""chat: Web Push subscriptions per browser, and a per-person switch

Revision ID: chat_web_push
Revises: chat_rotation_due
Create Date: 2026-11-22

A subscription is what a browser's push service gave it (endpoint and the keys that encrypt the
payload); the payload only ever says that there is a new message, never what or from whom.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chat_web_push"
down_revision: str | None = "chat_rotation_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_push_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    op.create_index("ix_chat_push_subscriptions_person", "chat_push_subscriptions", ["person_id"])
    op.create_table(
        "chat_push_settings",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_push_settings")
    op.drop_index("ix_chat_push_subscriptions_person", table_name="chat_push_subscriptions")
    op.drop_table("chat_push_subscriptions")
