"""measurements: her signed consent statements kept with each consent to report her scores

Revision ID: signed_consent
Revises: intake
Create Date: 2026-12-07

She signs 'agree' and 'withdraw' with her identity key (kind 0x0F, docs/crypto-spec.md); the
server keeps both statements and their serials on the consent row, so her browsers verify the
newest one themselves. Rows agreed before this have no statement: her browser does not report
under them until she agrees again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "signed_consent"
down_revision: str | None = "intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("score_consents") as batch:
        batch.add_column(sa.Column("statement", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("serial", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("withdrawal", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("withdrawal_serial", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_consents") as batch:
        batch.drop_column("withdrawal_serial")
        batch.drop_column("withdrawal")
        batch.drop_column("serial")
        batch.drop_column("statement")
