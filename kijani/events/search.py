"""Build event list queries: filters, text search (PostgreSQL full-text or SQLite LIKE) and sorts."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import case, func, literal_column, or_, select
from sqlalchemy.orm import joinedload, selectinload

from kijani.auth.models import User
from kijani.common.errors import Invalid
from kijani.common.models import utcnow
from kijani.events.models import Category, Event, EventTag, search_vector_column
from kijani.extensions import db

MAX_SEARCH_WORDS = 10
_WORD = re.compile(r"[^\W_]+")


def event_loaders():
    """Load organizer, category (same statement) and tags (one more) for any number of events."""
    return (joinedload(Event.organizer), joinedload(Event.category), selectinload(Event.tag_rows))


def events_query(*, q=None, title=None, location=None, category=None, tag=None, organizer=None,
                 starts_after=None, starts_before=None, include_past=False, available=None,
                 status="published", sort=None):
    """The public list: upcoming published events, soonest first, narrowed by the filters.

    Dates are whole UTC days: `starts_after=2027-03-01` starts at 00:00 UTC that day and
    `starts_before=2027-03-31` includes all of the 31st. Unless `include_past`, events that
    already started are left out whatever the range says.
    """
    stmt = select(Event).where(Event.status == status).options(*event_loaders())
    # An inverted range is not an error: nothing starts in it, so the page is empty.
    lower = _lower_bound(starts_after)
    upper, upper_inclusive = _upper_bound(starts_before)
    if not include_past:
        stmt = stmt.where(Event.starts_at >= utcnow())
    if lower is not None:
        stmt = stmt.where(Event.starts_at >= lower)
    if upper is not None:
        stmt = stmt.where(Event.starts_at <= upper if upper_inclusive else Event.starts_at < upper)
    if title:
        stmt = stmt.where(Event.title.icontains(title, autoescape=True))
    if location:
        stmt = stmt.where(Event.location.icontains(location, autoescape=True))
    if category:
        stmt = stmt.where(Event.category_id == select(Category.id).where(Category.slug == category)
                          .scalar_subquery())
    if tag:
        stmt = stmt.where(Event.id.in_(select(EventTag.event_id).where(EventTag.tag == tag.lower())))
    if organizer:
        stmt = stmt.where(Event.organizer_id == _organizer_id(organizer))
    if available is True:
        stmt = stmt.where(Event.seats_taken < Event.capacity)
    elif available is False:
        stmt = stmt.where(Event.seats_taken >= Event.capacity)
    relevance = None
    if q is not None:
        stmt, relevance = _search(stmt, q)
    if sort is None and relevance is not None:
        return stmt.order_by(relevance.desc(), Event.starts_at, Event.id)
    return sort_events(stmt, sort or "starts_at")


def my_events_query(user, status=None, sort="starts_at"):
    """An organizer's own events, drafts and cancelled ones included."""
    stmt = select(Event).where(Event.organizer_id == user.id).options(*event_loaders())
    if status:
        stmt = stmt.where(Event.status == status)
    return sort_events(stmt, sort)


def sort_events(stmt, sort):
    """Apply one of the public sorts; the id breaks ties so pages never overlap."""
    orders = {
        "starts_at": (Event.starts_at, Event.id),
        "-starts_at": (Event.starts_at.desc(), Event.id),
        "created_at": (Event.created_at, Event.id),
        "-created_at": (Event.created_at.desc(), Event.id),
        "popularity": (Event.seats_taken.desc(), Event.starts_at, Event.id),
    }
    return stmt.order_by(*orders[sort])


def search_words(q):
    """The words of a search (letters and digits), lower-cased; 422 when there are none."""
    words = list(dict.fromkeys(_WORD.findall(q.lower())))[:MAX_SEARCH_WORDS]
    if not words:
        raise Invalid("The search has no letters or digits.",
                      {"q": "Give at least one word to search for."}, location="query")
    return words


def _search(stmt, q):
    """Narrow `stmt` to events matching every word of `q`; return it with a relevance score."""
    words = search_words(q)
    if db.session.get_bind().dialect.name == "postgresql":
        # Prefix match on every word ('nai' finds Nairobi), served by the GIN index.
        query = func.to_tsquery(literal_column("'simple'::regconfig"),
                                " & ".join(f"{word}:*" for word in words))
        document = search_vector_column()
        stmt = stmt.where(document.op("@@")(query))
        return stmt, func.ts_rank(document, query)
    # SQLite: substring match of every word in any of the three fields; relevance is the
    # number of words found in the title, so title matches come first as on PostgreSQL.
    for word in words:
        stmt = stmt.where(or_(Event.title.icontains(word, autoescape=True),
                              Event.description.icontains(word, autoescape=True),
                              Event.location.icontains(word, autoescape=True)))
    relevance = sum(case((Event.title.icontains(word, autoescape=True), 1), else_=0) for word in words)
    return stmt, relevance


def _organizer_id(organizer):
    try:
        return uuid.UUID(organizer)
    except ValueError:
        return select(User.id).where(User.username == organizer.lower()).scalar_subquery()


def _lower_bound(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _upper_bound(value):
    """(bound, inclusive): a datetime is inclusive; a date covers that whole UTC day."""
    if value is None or isinstance(value, datetime):
        return value, True
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=UTC), False
