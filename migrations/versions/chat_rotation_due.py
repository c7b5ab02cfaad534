"""chat: a conversation's key rotation can be flagged as due (a reader left)

Revision ID: chat_rotation_due
Revises: portfolio_items_and_keys
Create Date: 2026-11-22

Set when a coach assignment ends, so the next member browser makes a new key epoch without the
coach who left; cleared when a new epoch starts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chat_rotation_due"
down_revision: str | None = "portfolio_items_and_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_conversations") as batch:
        batch.add_column(sa.Column("rotation_due_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_conversations") as batch:
        batch.drop_column("rotation_due_since")
