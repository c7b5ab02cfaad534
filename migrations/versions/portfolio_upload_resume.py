"""portfolio: resumable uploads are checked by hash, and an upload that stopped can be reported

Revision ID: portfolio_upload_resume
Revises: groups_signed_membership_5c1e
Create Date: 2026-12-07

``sha256`` is the hash of the whole ciphertext stream her browser announces; the last part
completes the file only when the stored stream has it (None for files announced before). A part
arriving sets ``updated_at``, so an upload that stopped long ago can be listed by
``eportfolio report-uploads`` (reported, never removed without her).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portfolio_upload_resume"
down_revision: str | None = "groups_signed_membership_5c1e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portfolio_attachments") as batch:
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE portfolio_attachments SET updated_at = created_at")
    op.create_index(
        "ix_portfolio_attachments_incomplete", "portfolio_attachments", ["complete", "updated_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_portfolio_attachments_incomplete", table_name="portfolio_attachments")
    with op.batch_alter_table("portfolio_attachments") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("sha256")
