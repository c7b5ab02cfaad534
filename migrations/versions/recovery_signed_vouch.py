"""recovery: the coach's signed vouch for her new key, kept with the identity it replaced

Revision ID: recovery_signed_vouch
Revises: chat_attachments
Create Date: 2026-11-22

After a coach-assisted reset, the coach who checked her new fingerprint in person signs a vouch
(docs/crypto-spec.md 9.1); her other coaches' browsers verify it and re-pin her new key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "recovery_signed_vouch"
down_revision: str | None = "chat_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recovery_former_identities") as batch:
        batch.add_column(sa.Column("vouch", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recovery_former_identities") as batch:
        batch.drop_column("vouch")
