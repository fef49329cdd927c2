"""User accounts, one-time codes and refresh-token families."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kijani.common.models import IdMixin, TimestampMixin, utcnow
from kijani.extensions import db

ROLES = ("attendee", "organizer", "admin")


class User(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('attendee', 'organizer', 'admin')", name="role"),)

    #: lower-cased, unique
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: lower-cased, unique, [a-z0-9_.-]{3,30}
    username: Mapped[str] = mapped_column(String(30), unique=True)
    #: argon2id hash; never serialised
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="attendee")
    display_name: Mapped[str | None] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    email_verified: Mapped[bool] = mapped_column(default=False)
    email_notifications: Mapped[bool] = mapped_column(default=True)
    #: deactivated accounts cannot sign in and their tokens stop working
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self):
        return f"<User {self.username} ({self.role})>"


class OneTimeCode(IdMixin, db.Model):
    """A 6-digit code mailed for email verification or password reset (stored hashed)."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_user_id_purpose", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: verify_email or password_reset
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    #: wrong guesses so far; the code dies at the configured maximum
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TokenFamily(IdMixin, db.Model):
    """One sign-in: every access and refresh token rotated from it shares the family."""

    __tablename__ = "token_families"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set on logout, password reset, deactivation or refresh-token reuse
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(db.Model):
    """A refresh token by its `jti`; once used (rotated) it must never be seen again."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("token_families.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime]
    #: when it was exchanged for a new pair; a second use is reuse
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
