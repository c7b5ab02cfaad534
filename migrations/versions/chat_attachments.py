"""chat: photos, documents and voice notes as encrypted chunked streams, per conversation

Revision ID: chat_attachments
Revises: recovery
Create Date: 2026-11-22

The stream is stored like a portfolio attachment (one file in the blob directory); the rows say
which conversation it belongs to, who sent it, its kind, size and which parts have arrived. Its key
travels only inside the encrypted message that names it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chat_attachments"
down_revision: str | None = "recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("uploader_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("blob_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["chat_conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploader_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_attachments_conversation_id", "chat_attachments", ["conversation_id"])
    op.create_index("ix_chat_attachments_uploader", "chat_attachments", ["programme_id", "uploader_id"])
    op.create_table(
        "chat_attachment_parts",
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["chat_attachments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("attachment_id", "part"),
    )


def downgrade() -> None:
    op.drop_table("chat_attachment_parts")
    op.drop_index("ix_chat_attachments_uploader", table_name="chat_attachments")
    op.drop_index("ix_chat_attachments_conversation_id", table_name="chat_attachments")
    op.drop_table("chat_attachments")
