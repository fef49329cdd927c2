"""One rating and comment per attendee and event."""

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kijani.common.models import IdMixin, TimestampMixin
from kijani.extensions import db


class Feedback(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_feedback_event_id_user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_event_id_created_at", "event_id", "created_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: 1 (poor) to 5 (excellent)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User")
