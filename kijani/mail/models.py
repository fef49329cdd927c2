"""The email outbox table."""

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kijani.common.models import IdMixin, utcnow
from kijani.extensions import db


class OutboxEmail(IdMixin, db.Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),)

    #: pending → sending → sent, or failed after a permanent SMTP refusal or too many tries
    status: Mapped[str] = mapped_column(String(16), default="pending")
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: [{filename, content_type, content}] (text attachments such as the event's .ics)
    attachments: Mapped[list | None] = mapped_column(JSON)
    #: where the one-click unsubscribe (List-Unsubscribe) points, if anywhere
    unsubscribe_url: Mapped[str | None] = mapped_column(String(512))
    #: delivery attempts so far
    attempts: Mapped[int] = mapped_column(default=0)
    #: when a pending mail may next be tried (backoff)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a claim: a worker is sending it until then; an expired claim is retried
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
