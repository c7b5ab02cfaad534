"""chat: conversations, messages, markers, key epochs and grants, duty roster

Revision ID: chat_conversations_and_messages
Revises: accounts_keys_and_trust
Create Date: 2026-11-22

Messages are numbered per conversation by `chat_conversations.last_seq`, taken in the same
transaction as the insert; the unique keys make a gap-free, idempotent log: (conversation, seq)
and (conversation, author, client message id).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chat_conversations_and_messages"
down_revision: str | None = "accounts_keys_and_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_rosters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("signed_record", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_chat_rosters_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_rosters_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(["signed_by"], ["persons.id"], name=op.f("fk_chat_rosters_signed_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_rosters")),
        sa.UniqueConstraint("programme_id", "serial", name=op.f("uq_chat_rosters_programme_id_serial")),
    )
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("epoch_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["persons.id"], name=op.f("fk_chat_conversations_coach_id_persons")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_chat_conversations_group_id_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_chat_conversations_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["persons.id"], name=op.f("fk_chat_conversations_participant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_conversations_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
        sa.UniqueConstraint("programme_id", "subject_key", name=op.f("uq_chat_conversations_programme_id_subject_key")),
    )
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_conversations_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index("ix_chat_conversations_waiting", ["programme_id", "waiting_since"], unique=False)

    op.create_table(
        "chat_shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("roster_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("duty", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_chat_shifts_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_shifts_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["roster_id"], ["chat_rosters.id"], name=op.f("fk_chat_shifts_roster_id_chat_rosters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_shifts")),
    )
    with op.batch_alter_table("chat_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_shifts_roster_id"), ["roster_id"], unique=False)

    op.create_table(
        "chat_epochs",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_epochs_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["created_by"], ["persons.id"], name=op.f("fk_chat_epochs_created_by_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_epochs_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "epoch", name=op.f("pk_chat_epochs")),
    )
    op.create_table(
        "chat_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("granter_id", sa.Uuid(), nullable=False),
        sa.Column("grant", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_grants_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["granter_id"], ["persons.id"], name=op.f("fk_chat_grants_granter_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_grants_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(["recipient_id"], ["persons.id"], name=op.f("fk_chat_grants_recipient_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_grants")),
        sa.UniqueConstraint(
            "conversation_id", "epoch", "recipient_id", name=op.f("uq_chat_grants_conversation_id_epoch_recipient_id")
        ),
    )
    with op.batch_alter_table("chat_grants", schema=None) as batch_op:
        batch_op.create_index("ix_chat_grants_recipient", ["recipient_id", "conversation_id"], unique=False)

    op.create_table(
        "chat_markers",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("delivered_seq", sa.BigInteger(), nullable=False),
        sa.Column("read_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_markers_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_chat_markers_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_markers_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "person_id", name=op.f("pk_chat_markers")),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("notice", sa.String(length=32), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], name=op.f("fk_chat_messages_author_id_persons")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_messages_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_chat_messages_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_chat_messages_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "conversation_id",
            "author_id",
            "client_id",
            name=op.f("uq_chat_messages_conversation_id_author_id_client_id"),
        ),
        sa.UniqueConstraint("conversation_id", "seq", name=op.f("uq_chat_messages_conversation_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("chat_messages")
    op.drop_table("chat_markers")
    with op.batch_alter_table("chat_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_grants_recipient")

    op.drop_table("chat_grants")
    op.drop_table("chat_epochs")
    with op.batch_alter_table("chat_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_shifts_roster_id"))

    op.drop_table("chat_shifts")
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_conversations_waiting")
        batch_op.drop_index(batch_op.f("ix_chat_conversations_programme_id"))

    op.drop_table("chat_conversations")
    op.drop_table("chat_rosters")
