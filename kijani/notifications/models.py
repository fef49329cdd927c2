"""In-app notifications and the ledger that makes each scheduled mail go out once."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kijani.common.models import IdMixin, utcnow
from kijani.extensions import db

KINDS = (
    "registration_confirmed", "registration_waitlisted", "registration_promoted", "waitlist_offer",
    "offer_expired", "event_changed", "event_cancelled", "reminder", "feedback_invitation",
    "organizer_digest",
)


class Notification(IdMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
                      Index("ix_notifications_user_id_read_at", "user_id", "read_at"))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: one of KINDS
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    #: the event it is about, if any (kept when the event is deleted: the message stays true)
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledDelivery(IdMixin, db.Model):
    """A reminder, digest or invitation that went out: the database refuses a second one.

    Unique per (kind, recipient, event, the event's start at sending time): two beats, a
    retried task or a rerun of `flask send-reminders` cannot send it twice. A moved event
    has a new start, so it may be reminded again (the sweep decides when that is due).
    """

    __tablename__ = "scheduled_deliveries"
    __table_args__ = (UniqueConstraint("kind", "user_id", "event_id", "event_starts_at",
                                       name="uq_scheduled_deliveries_once"),
                      Index("ix_scheduled_deliveries_event_id_kind", "event_id", "kind"))

    #: reminder_24h, reminder_1h, organizer_digest or feedback_invitation
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: the event's start when this was sent
    event_starts_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
