"""portfolio: portfolios, key epochs and grants, items and their key copies, comments,
attachments (chunked, resumable), pinned-keys records

Revision ID: portfolio_items_and_keys
Revises: chat_conversations_and_messages
Create Date: 2026-11-22

Content columns hold ciphertext only (base64url). `portfolios.epoch` is the compare-and-set
counter of key epochs; `portfolio_items.revision` only goes up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portfolio_items_and_keys"
down_revision: str | None = "chat_conversations_and_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pinned_keys",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_pinned_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_pinned_keys_person_id_persons")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_pinned_keys")),
    )
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("epoch_key_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_portfolios_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["participant_id"], ["persons.id"], name=op.f("fk_portfolios_participant_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolios_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolios")),
        sa.UniqueConstraint("programme_id", "participant_id", name=op.f("uq_portfolios_programme_id_participant_id")),
    )
    op.create_table(
        "portfolio_epochs",
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_portfolio_epochs_created_by_persons")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_epochs_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_epochs_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("portfolio_id", "epoch", name=op.f("pk_portfolio_epochs")),
    )
    op.create_table(
        "portfolio_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("granter_id", sa.Uuid(), nullable=False),
        sa.Column("grant", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["granter_id"], ["persons.id"], name=op.f("fk_portfolio_grants_granter_id_persons")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_grants_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_grants_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["persons.id"], name=op.f("fk_portfolio_grants_recipient_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_grants")),
        sa.UniqueConstraint(
            "portfolio_id", "epoch", "recipient_id", name=op.f("uq_portfolio_grants_portfolio_id_epoch_recipient_id")
        ),
    )
    with op.batch_alter_table("portfolio_grants", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_grants_recipient", ["recipient_id", "portfolio_id"], unique=False)

    op.create_table(
        "portfolio_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], name=op.f("fk_portfolio_items_author_id_persons")),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_portfolio_items_created_by_persons")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_portfolio_items_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_items_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_items_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_items")),
    )
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_items_portfolio_updated", ["portfolio_id", "updated_at"], unique=False)

    op.create_table(
        "portfolio_attachments",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("blob_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["portfolio_items.id"],
            name=op.f("fk_portfolio_attachments_item_id_portfolio_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_attachments_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_attachments_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_portfolio_attachments")),
    )
    with op.batch_alter_table("portfolio_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_attachments_portfolio_id"), ["portfolio_id"], unique=False)

    op.create_table(
        "portfolio_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], name=op.f("fk_portfolio_comments_author_id_persons")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["portfolio_items.id"],
            name=op.f("fk_portfolio_comments_item_id_portfolio_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_comments_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_comments")),
    )
    with op.batch_alter_table("portfolio_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_comments_item_id"), ["item_id"], unique=False)

    op.create_table(
        "portfolio_item_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Uuid(), nullable=True),
        sa.Column("blob", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["portfolio_items.id"],
            name=op.f("fk_portfolio_item_keys_item_id_portfolio_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_portfolio_item_keys_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["persons.id"], name=op.f("fk_portfolio_item_keys_recipient_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_item_keys")),
    )
    with op.batch_alter_table("portfolio_item_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_item_keys_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_portfolio_item_keys_recipient", ["recipient_id", "item_id"], unique=False)

    op.create_table(
        "portfolio_attachment_parts",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["portfolio_attachments.item_id"],
            name=op.f("fk_portfolio_attachment_parts_item_id_portfolio_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "part", name=op.f("pk_portfolio_attachment_parts")),
    )
    with op.batch_alter_table("signing_key_copies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_signing_key_copies_subject_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_signing_key_copies_subject_id_holder_id"), ["subject_id", "holder_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("signing_key_copies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_signing_key_copies_subject_id_holder_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_signing_key_copies_subject_id"), ["subject_id", "holder_id"])

    op.drop_table("portfolio_attachment_parts")
    with op.batch_alter_table("portfolio_item_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_item_keys_recipient")
        batch_op.drop_index(batch_op.f("ix_portfolio_item_keys_item_id"))

    op.drop_table("portfolio_item_keys")
    with op.batch_alter_table("portfolio_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_comments_item_id"))

    op.drop_table("portfolio_comments")
    with op.batch_alter_table("portfolio_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_attachments_portfolio_id"))

    op.drop_table("portfolio_attachments")
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_items_portfolio_updated")

    op.drop_table("portfolio_items")
    with op.batch_alter_table("portfolio_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_grants_recipient")

    op.drop_table("portfolio_grants")
    op.drop_table("portfolio_epochs")
    op.drop_table("portfolios")
    op.drop_table("pinned_keys")
