"""Categories, events (with their denormalised counters) and event tags."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Unmapped, mapped_column, relationship, unmapped_column
from sqlalchemy.schema import CreateColumn

from kijani.common.models import IdMixin, TimestampMixin, utcnow
from kijani.extensions import db

EVENT_STATUSES = ("draft", "published", "cancelled")

#: The PostgreSQL full-text document. Title weighs most (A), then location (B), then
#: description (C), so ts_rank puts title matches first. 'simple' rather than 'english':
#: events are written in English, Swahili, French, Yoruba… and names must not be stemmed.
SEARCH_DOCUMENT_SQL = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(location, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C')"
)


@compiles(CreateColumn)
def _skip_postgresql_only_columns(element, compiler, **kw):
    """Leave PostgreSQL-only columns (info={"postgresql_only": True}) out of other databases."""
    if element.element.info.get("postgresql_only") and compiler.dialect.name != "postgresql":
        return None
    return compiler.visit_create_column(element, **kw)


class Category(IdMixin, db.Model):
    """A label events are filed under (Tech, Sports, Markets…); admins manage them."""

    __tablename__ = "categories"

    #: display name, unique (case-insensitively, checked by the service)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: URL-safe identifier used by clients (`?category=tech`), unique
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self):
        return f"<Category {self.slug}>"


class EventTag(db.Model):
    """One free-form, lower-cased tag of an event (a table rather than an array: SQLite too)."""

    __tablename__ = "event_tags"
    # The primary key serves "tags of these events"; this index serves `?tag=` filtering.
    __table_args__ = (Index("ix_event_tags_tag_event_id", "tag", "event_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                                primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)


class Event(IdMixin, TimestampMixin, db.Model):
    """An event; one occurrence of a series is a full event of its own."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("max_tickets_per_registration >= 1", name="max_tickets_positive"),
        CheckConstraint("waitlist_offer_hours >= 0", name="waitlist_offer_hours_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        # Every public listing filters on status; these serve its date filter and each sort.
        Index("ix_events_status_starts_at", "status", "starts_at"),
        Index("ix_events_status_created_at", "status", "created_at"),
        Index("ix_events_category_id_starts_at", "category_id", "starts_at"),
        Index("ix_events_organizer_id_starts_at", "organizer_id", "starts_at"),
        Index("ix_events_search_vector", "search_vector", postgresql_using="gin",
              info={"postgresql_only": True}).ddl_if(dialect="postgresql"),
    )
    #: deleting the account deletes its (by then cancelled) events, see services
    organizer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300))
    #: UTC, like every datetime; `timezone` says how to show it
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    #: IANA name used for display, recurrence and calendar export
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: deleting a category leaves its events uncategorised
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"))
    capacity: Mapped[int]
    max_tickets_per_registration: Mapped[int] = mapped_column(default=10)
    #: 0: waitlist promotion confirms at once; >0: an offer held this many hours
    waitlist_offer_hours: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="published")
    #: shared by every occurrence created from one recurrence rule
    series_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    #: when the event itself last changed (set by the events services). Not bumped by the
    #: counters below: a registration is not an edit, and calendars must not see one.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Counters kept by the registrations and feedback domains under the event's row lock,
    # so lists show live figures without a query per row.
    #: confirmed and offered seats
    seats_taken: Mapped[int] = mapped_column(default=0)
    #: waitlisted registrations
    waitlist_count: Mapped[int] = mapped_column(default=0)
    checked_in_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    feedback_count: Mapped[int] = mapped_column(default=0)

    #: PostgreSQL full-text document (GIN-indexed), maintained by the database itself. In the
    #: table but not mapped: ORM statements never name it, so SQLite (which lacks it) is
    #: unaffected. Queries use `search_vector_column()`.
    search_vector: Unmapped[str] = unmapped_column(
        TSVECTOR, Computed(SEARCH_DOCUMENT_SQL, persisted=True), info={"postgresql_only": True})

    # Lists load these explicitly (joinedload/selectinload); tests count the statements.
    organizer = relationship("User")
    category = relationship(Category)
    tag_rows: Mapped[list[EventTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=EventTag.tag)

    def __repr__(self):
        return f"<Event {self.title!r} {self.starts_at:%Y-%m-%d}>"

    @property
    def tags(self):
        return [row.tag for row in self.tag_rows]

    @property
    def seats_remaining(self):
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self):
        return self.seats_taken >= self.capacity

    @property
    def selling_out_soon(self):
        """SPEC: at most 10% or at most 5 seats left (and not already full)."""
        remaining = self.seats_remaining
        return 0 < remaining and (remaining <= 5 or remaining * 10 <= self.capacity)

    @property
    def average_rating(self):
        if not self.feedback_count:
            return None
        return round(self.rating_sum / self.feedback_count, 2)

    @property
    def category_slug(self):
        return self.category.slug if self.category is not None else None


# popularity: most seats taken first, then soonest; declared here to use the column's DESC.
Index("ix_events_status_seats_taken", Event.status, Event.seats_taken.desc(), Event.starts_at, Event.id)


def search_vector_column():
    """The PostgreSQL-only `events.search_vector` column, for full-text queries."""
    return Event.__table__.c.search_vector
