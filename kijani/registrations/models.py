"""Registrations, their tickets and the Idempotency-Key records of POST registrations."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kijani.common.models import IdMixin, TimestampMixin, utcnow
from kijani.extensions import db

STATUSES = ("confirmed", "waitlisted", "offered", "cancelled", "expired")
ACTIVE_STATUSES = ("confirmed", "waitlisted", "offered")
#: statuses that hold seats (count in events.seats_taken)
SEATED_STATUSES = ("confirmed", "offered")
_ACTIVE_SQL = "status IN ('confirmed', 'waitlisted', 'offered')"


class Registration(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'offered', 'cancelled', 'expired')",
                        name="status"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        # One active registration per user and event, enforced by the database itself.
        Index("uq_registrations_user_id_event_id_active", "user_id", "event_id", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        # The waitlist in order of arrival, and the attendee list / stats of an event.
        Index("ix_registrations_event_id_status_queued_at", "event_id", "status", "queued_at"),
        Index("ix_registrations_user_id_created_at", "user_id", "created_at"),
        Index("ix_registrations_status_offer_expires_at", "status", "offer_expires_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: seats asked for, all or nothing
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    #: place in line: set under the event's lock, so the order is the order of arrival
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    #: while `offered`: the seats are held until then
    offer_expires_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    user = relationship("User")
    event = relationship("Event")
    tickets: Mapped[list["Ticket"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Ticket.code")

    @property
    def sorted_tickets(self):
        """Tickets in a stable order (new ones are appended unsorted until reloaded)."""
        return sorted(self.tickets, key=lambda ticket: ticket.code)

    @property
    def holds_seats(self):
        return self.status in SEATED_STATUSES


class Ticket(IdMixin, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_event_id_checked_in_at", "event_id", "checked_in_at"),)

    #: e.g. KJ-7F3K-9QXA: 40 random bits, no 0/O/1/I
    code: Mapped[str] = mapped_column(String(16), unique=True)
    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    #: copied from the registration so a scan finds the event without a join
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime | None]
    #: the client's nonce of the scan that checked it in: a retried scan gets the same answer
    check_in_nonce: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="tickets")


class IdempotencyRecord(IdMixin, db.Model):
    """The first response to a POST registration sent with an Idempotency-Key (24 h)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_id_key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
