"""Tables of the accounts feature: login credentials, sessions and login back-off."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Account(Base):
    """How a person logs in. The server holds only what CRYPTO.md allows: no password, no keys in clear."""

    __tablename__ = "accounts"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    login: Mapped[str] = mapped_column(String(32), unique=True)
    salt_seed: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    auth_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The KeyBundle (docs/crypto-spec.md 5.1): every key in it is wrapped; served only after login.
    key_bundle: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # Her PublicIdentity (3.2), self-signed: what others seal keys to and pin.
    public_identity: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # argon2id hash of recovery_auth (5.2): proves the recovery code without revealing it.
    recovery_hash: Mapped[str] = mapped_column(String(200), default="")


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # SHA-256 of the cookie value: a copy of the database does not let anyone take over a session.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_sessions_person", "person_id", "ended_at"),)


class LoginThrottle(Base):
    """Failed logins per account, device and address, for back-off (never a lock-out); and the
    tries of the rate limits (``accounts.service.take_try``).

    For the back-off ``key`` is "login:<name>", "device:<id>" or "address:<ip>"; a success for
    an account clears its own row. For a rate limit ``key`` starts with "tries:", ``failures`` is
    the number of tries in the current window and ``blocked_until`` the end of that window.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
