"""Request, query and response schemas of the categories and events endpoints."""

import re
from datetime import UTC, date, datetime
from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import fields, validate

from kijani.events.recurrence import FREQUENCIES, MAX_OCCURRENCES, WEEKDAYS

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="Lower-case letters and digits separated by single hyphens.")

EVENT_SORTS = ("starts_at", "-starts_at", "created_at", "-created_at", "popularity")
MAX_TAGS = 10

EVENT_ID = "6f1c2a9e-3b7d-4c1e-9a55-0d2f8b7c4e11"
EVENT_EXAMPLE = {
    "id": EVENT_ID,
    "title": "Nairobi Python Meetup: async in practice",
    "description": "Talks and pizza. Bring a laptop for the hands-on part.",
    "location": "iHub, Senteu Plaza, Galana Road, Kilimani, Nairobi",
    "starts_at": "2027-02-11T15:00:00+00:00",
    "ends_at": "2027-02-11T18:00:00+00:00",
    "timezone": "Africa/Nairobi",
    "status": "published",
    "category": "tech",
    "tags": ["async", "python"],
    "organizer": {"id": "0b9a7f3e-5d2c-4a81-b6f0-7e3d1c2b9a44", "username": "wanjiru"},
    "capacity": 80,
    "max_tickets_per_registration": 4,
    "waitlist_offer_hours": 0,
    "seats_taken": 74,
    "seats_remaining": 6,
    "waitlist_count": 0,
    "is_full": False,
    "selling_out_soon": True,
    "average_rating": None,
    "feedback_count": 0,
    "series_id": None,
    "created_at": "2026-11-20T08:12:44+00:00",
    "updated_at": "2026-11-20T08:12:44+00:00",
}
CATEGORY_EXAMPLE = {
    "id": "3d6f0c1a-8e2b-4b7d-a1c9-5f4e2d0b7a13",
    "name": "Tech & Startups",
    "slug": "tech",
    "description": "Meetups, hackathons and talks for builders.",
}


#: every IANA name this server's tz database knows (documented as the OpenAPI enum)
TIMEZONES = sorted(available_timezones() - {"localtime"})
TIMEZONE = validate.OneOf(TIMEZONES, error="Unknown timezone: give an IANA name such as Africa/Nairobi or UTC.")


class TextRule(validate.Regexp):
    """No NUL character (PostgreSQL refuses them) and, unless blank_ok, not blank.

    A Regexp so that OpenAPI documents the rule as a `pattern`; the messages say which
    half failed.
    """

    def __init__(self, blank_ok=False):
        super().__init__(r"^[^\x00]*$" if blank_ok else r"^[^\x00]*[^\x00\s][^\x00]*$")
        self.blank_ok = blank_ok

    def __call__(self, value):
        if "\x00" in value:
            raise ma.ValidationError("Must not contain NUL characters.")
        if not self.blank_ok and not value.strip():
            raise ma.ValidationError("Must not be blank.")
        return value


def text(max_length, blank_ok=False):
    """Validators of a text field: the TextRule and a maximum length."""
    return [TextRule(blank_ok), validate.Length(min=None if blank_ok else 1, max=max_length)]


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class OffsetDateTime(fields.AwareDateTime):
    """An ISO 8601 datetime that must carry its offset; loaded as UTC."""

    default_error_messages = {
        "invalid_awareness": "Must include a timezone offset (e.g. 2027-03-01T18:00:00+03:00 or ...Z).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        return _to_utc(super()._deserialize(value, attr, data, **kwargs))


def _to_utc(moment):
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past year 9999 in UTC
        raise ma.ValidationError("Out of the supported date range.") from None


class DateOrDateTime(fields.String):
    """A plain date (2027-03-01) or a datetime with an offset, for query filters."""

    default_error_messages = {
        "invalid": "Not a valid date (YYYY-MM-DD) or datetime with an offset.",
        "naive": "Must include a timezone offset (e.g. 2027-03-01T18:00:00+03:00 or ...Z).",
    }
    # An unencoded '+03:00' in a query string arrives as ' 03:00'.
    _SPACED_OFFSET = re.compile(r"^(.*T[\d:.]+) (\d{2}:?\d{2})$")

    def __init__(self, **kwargs):
        metadata = {"anyOf": [{"format": "date"}, {"format": "date-time"}], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = self._SPACED_OFFSET.sub(r"\1+\2", value.strip())
        if "T" not in text and " " not in text:
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise self.make_error("invalid") from None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        if parsed.tzinfo is None:
            raise self.make_error("naive")
        return _to_utc(parsed)


def _integer(**kwargs):
    return fields.Integer(strict=True, **kwargs)


# --- categories -----------------------------------------------------------------------

class CategorySchema(ma.Schema):
    """A category as everyone sees it."""

    id = fields.UUID(dump_only=True)
    name = fields.String(metadata={"example": "Tech & Startups"})
    slug = fields.String(metadata={"example": "tech"})
    description = fields.String(metadata={"example": "Meetups, hackathons and talks for builders."})


class CategoryUpdateSchema(ma.Schema):
    """Fields an admin may change on a category."""

    name = TrimmedString(validate=text(80),
                         metadata={"description": "Unique (case-insensitive), 1 to 80 characters",
                                   "example": "Tech & Startups"})
    slug = fields.String(validate=[SLUG, validate.Length(max=80)],
                         metadata={"description": "Unique URL identifier; kept when the name changes",
                                   "example": "tech"})
    description = fields.String(validate=text(2000, blank_ok=True),
                                metadata={"example": "Meetups, hackathons and talks for builders."})


class CategoryCreateSchema(CategoryUpdateSchema):
    """A new category; the slug is made from the name when not given."""

    name = TrimmedString(required=True, validate=text(80),
                         metadata={"description": "Unique (case-insensitive), 1 to 80 characters",
                                   "example": "Tech & Startups"})
    description = fields.String(load_default="", validate=text(2000, blank_ok=True),
                                metadata={"example": "Meetups, hackathons and talks for builders."})


# --- events: output -------------------------------------------------------------------

class EventOrganizerSchema(ma.Schema):
    """The public face of an organizer (never the email)."""

    id = fields.UUID()
    username = fields.String(metadata={"example": "wanjiru"})


class EventSchema(ma.Schema):
    """An event with its live seat figures (computed from counters on the event row)."""

    id = fields.UUID()
    title = fields.String()
    description = fields.String()
    location = fields.String()
    starts_at = fields.DateTime(metadata={"description": "UTC"})
    ends_at = fields.DateTime(allow_none=True, metadata={"description": "UTC; null when open-ended"})
    timezone = fields.String(metadata={"description": "IANA timezone for display and calendars",
                                       "example": "Africa/Nairobi"})
    status = fields.String(metadata={"description": "draft, published or cancelled"})
    category = fields.String(attribute="category_slug", allow_none=True,
                             metadata={"description": "Category slug (see /categories), or null",
                                       "example": "tech"})
    tags = fields.List(fields.String(), metadata={"example": ["async", "python"]})
    organizer = fields.Nested(EventOrganizerSchema)
    capacity = fields.Integer()
    max_tickets_per_registration = fields.Integer()
    waitlist_offer_hours = fields.Integer()
    seats_taken = fields.Integer(metadata={"description": "Confirmed and offered seats"})
    seats_remaining = fields.Integer()
    waitlist_count = fields.Integer(metadata={"description": "Waitlisted registrations"})
    is_full = fields.Boolean()
    selling_out_soon = fields.Boolean(metadata={"description": "Not full, and 10% or at most 5 seats left"})
    average_rating = fields.Float(allow_none=True, metadata={"description": "1 to 5; null without feedback"})
    feedback_count = fields.Integer()
    series_id = fields.UUID(allow_none=True, metadata={"description": "Shared by a recurring series"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    class Meta:
        ordered = True


class OrganizerEventSchema(EventSchema):
    """An event as its organizer sees it in /events/mine (with check-ins)."""

    checked_in_count = fields.Integer()


class DailyRegistrationsSchema(ma.Schema):
    date = fields.Date(metadata={"description": "UTC day"})
    count = fields.Integer(metadata={"description": "Registrations made that day"})
    cancellations = fields.Integer(metadata={"description": "Registrations cancelled that day"})


class RegistrationCountsSchema(ma.Schema):
    """Registrations of the event by status."""

    confirmed = fields.Integer(dump_default=0)
    waitlisted = fields.Integer(dump_default=0)
    offered = fields.Integer(dump_default=0)
    cancelled = fields.Integer(dump_default=0)
    expired = fields.Integer(dump_default=0)


class EventStatsSchema(ma.Schema):
    """Figures for the organizer's dashboard."""

    event_id = fields.UUID()
    capacity = fields.Integer()
    seats_taken = fields.Integer()
    seats_remaining = fields.Integer()
    waitlist_count = fields.Integer()
    checked_in_count = fields.Integer()
    cancellations = fields.Integer(metadata={"description": "Cancelled registrations"})
    registrations = fields.Nested(RegistrationCountsSchema)
    average_rating = fields.Float(allow_none=True)
    feedback_count = fields.Integer()
    registrations_per_day = fields.List(fields.Nested(DailyRegistrationsSchema))


# --- events: input --------------------------------------------------------------------

class RecurrenceSchema(ma.Schema):
    """Repeat the event; every occurrence becomes an event of its own sharing a series_id."""

    freq = fields.String(required=True, validate=validate.OneOf(FREQUENCIES),
                         metadata={"example": "weekly"})
    interval = _integer(load_default=1, validate=validate.Range(min=1, max=52),
                        metadata={"description": "Every n days/weeks/months (1 to 52)", "example": 1})
    count = _integer(validate=validate.Range(min=1, max=MAX_OCCURRENCES,
                                             error=f"Between 1 and {MAX_OCCURRENCES} occurrences."),
                     metadata={"description": f"Number of occurrences (at most {MAX_OCCURRENCES})",
                               "example": 8})
    until = OffsetDateTime(metadata={"description": "Last possible start (with offset)"})
    byweekday = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)),
                            validate=validate.Length(min=1, max=7),
                            metadata={"description": "Days of the week (MO..SU)", "example": ["TU", "TH"]})

    @ma.validates_schema
    def needs_an_end(self, data, **kwargs):
        if "count" not in data and "until" not in data:
            raise ma.ValidationError(f"Give count or until (at most {MAX_OCCURRENCES} occurrences).",
                                     "count")


def _tags_field(**kwargs):
    return fields.List(
        TrimmedString(validate=text(40)),
        validate=validate.Length(max=MAX_TAGS, error=f"At most {MAX_TAGS} tags."),
        metadata={"description": f"Up to {MAX_TAGS} tags, 1 to 40 characters, stored lower-case",
                  "example": ["python", "async"]},
        **kwargs)


class EventUpdateSchema(ma.Schema):
    """PATCH: any subset of the editable fields."""

    title = TrimmedString(validate=text(200),
                          metadata={"description": "1 to 200 characters",
                                    "example": "Nairobi Python Meetup: async in practice"})
    description = fields.String(validate=text(10000, blank_ok=True),
                                metadata={"example": "Talks and pizza."})
    location = TrimmedString(validate=text(300),
                             metadata={"description": "1 to 300 characters",
                                       "example": "iHub, Kilimani, Nairobi"})
    starts_at = OffsetDateTime(metadata={"description": "In the future, with an offset",
                                         "example": "2027-02-11T18:00:00+03:00"})
    ends_at = OffsetDateTime(allow_none=True, metadata={"description": "After starts_at, with an offset",
                                                        "example": "2027-02-11T21:00:00+03:00"})
    timezone = fields.String(validate=TIMEZONE,
                             metadata={"description": "IANA timezone name", "example": "Africa/Nairobi"})
    category = fields.String(allow_none=True, validate=SLUG,
                             metadata={"description": "Slug of an existing category, or null",
                                       "example": "tech"})
    tags = _tags_field()
    capacity = _integer(validate=validate.Range(min=1, max=1_000_000),
                        metadata={"description": "Seats, at least 1", "example": 80})
    max_tickets_per_registration = _integer(validate=validate.Range(min=1, max=100),
                                            metadata={"example": 4})
    waitlist_offer_hours = _integer(
        validate=validate.Range(min=0, max=168),
        metadata={"description": "0: promote from the waitlist at once; else hold an offer this long",
                  "example": 0})
    status = fields.String(validate=validate.OneOf(("draft", "published")),
                           metadata={"description": "draft or published (cancel with POST .../cancel)"})


class EventReplaceSchema(EventUpdateSchema):
    """PUT: the whole event; optional fields left out go back to their defaults (status is kept)."""

    title = TrimmedString(required=True, validate=text(200),
                          metadata={"description": "1 to 200 characters",
                                    "example": "Nairobi Python Meetup: async in practice"})
    description = fields.String(load_default="", validate=text(10000, blank_ok=True),
                                metadata={"example": "Talks and pizza."})
    location = TrimmedString(required=True, validate=text(300),
                             metadata={"description": "1 to 300 characters",
                                       "example": "iHub, Kilimani, Nairobi"})
    starts_at = OffsetDateTime(required=True, metadata={"description": "In the future, with an offset",
                                                        "example": "2027-02-11T18:00:00+03:00"})
    ends_at = OffsetDateTime(allow_none=True, load_default=None,
                             metadata={"description": "After starts_at, with an offset",
                                       "example": "2027-02-11T21:00:00+03:00"})
    timezone = fields.String(load_default="UTC", validate=TIMEZONE,
                             metadata={"description": "IANA timezone name", "example": "Africa/Nairobi"})
    category = fields.String(allow_none=True, load_default=None, validate=SLUG,
                             metadata={"description": "Slug of an existing category", "example": "tech"})
    tags = _tags_field(load_default=list)
    capacity = _integer(required=True, validate=validate.Range(min=1, max=1_000_000),
                        metadata={"description": "Seats, at least 1", "example": 80})
    max_tickets_per_registration = _integer(load_default=10, validate=validate.Range(min=1, max=100),
                                            metadata={"example": 4})
    waitlist_offer_hours = _integer(
        load_default=0, validate=validate.Range(min=0, max=168),
        metadata={"description": "0: promote from the waitlist at once; else hold an offer this long",
                  "example": 0})


class EventCreateSchema(EventReplaceSchema):
    """POST: a new event, or a whole series when `recurrence` is given."""

    status = fields.String(load_default="published", validate=validate.OneOf(("draft", "published")),
                           metadata={"description": "draft or published (default)"})
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True,
                               metadata={"description": "Create a series (at most 100 occurrences)"})


# --- events: query strings ------------------------------------------------------------

#: a user id (UUID) or a username
ORGANIZER = validate.Regexp(
    r"^(?:[A-Za-z0-9_.-]{3,30}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
    error="Give a user id (UUID) or a username.")
#: at least one letter or digit: search words are made of those
SEARCHABLE = validate.Regexp(r"^[\s\S]*[^\W_]", error="Give at least one word (letters or digits).")


class EventQueryArgsSchema(ma.Schema):
    """Filters and sort of the public event list."""

    q = fields.String(validate=[SEARCHABLE, validate.Length(max=200)], metadata={
        "description": "Text search in title, description and location; every word must match. "
                       "Without an explicit sort, best matches (title first) come first.",
        "example": "python nairobi"})
    title = fields.String(validate=text(200, blank_ok=True) + [validate.Length(min=1)],
                          metadata={"description": "Title contains (case-insensitive)", "example": "meetup"})
    location = fields.String(validate=text(300, blank_ok=True) + [validate.Length(min=1)],
                             metadata={"description": "Location contains (case-insensitive)",
                                       "example": "nairobi"})
    category = fields.String(validate=SLUG, metadata={"description": "Category slug", "example": "tech"})
    tag = TrimmedString(validate=text(40),
                        metadata={"description": "Events carrying this tag", "example": "python"})
    organizer = fields.String(validate=ORGANIZER,
                              metadata={"description": "Organizer id or username", "example": "wanjiru"})
    starts_after = DateOrDateTime(metadata={
        "description": "Starts at or after: a datetime with offset, or a date (from 00:00 UTC)",
        "example": "2027-03-01"})
    starts_before = DateOrDateTime(metadata={
        "description": "Starts at or before: a datetime with offset, or a date (that whole day, UTC)",
        "example": "2027-03-31T23:59:59+03:00"})
    include_past = fields.Boolean(load_default=False, metadata={
        "description": "Also events that already started (default: only starts_at >= now)"})
    available = fields.Boolean(metadata={
        "description": "true: only events with seats left; false: only full events"})
    status = fields.String(load_default="published", validate=validate.OneOf(("published", "cancelled")),
                           metadata={"description": "published (default) or cancelled"})
    sort = fields.String(validate=validate.OneOf(EVENT_SORTS), metadata={
        "description": "starts_at (default), -starts_at, created_at, -created_at, popularity "
                       "(most seats taken first)",
        "example": "starts_at"})


class MyEventsQueryArgsSchema(ma.Schema):
    """Filters of the organizer's own events."""

    status = fields.String(validate=validate.OneOf(("draft", "published", "cancelled")),
                           metadata={"description": "Only events in this status"})
    sort = fields.String(load_default="starts_at", validate=validate.OneOf(EVENT_SORTS),
                         metadata={"description": "Same values as the public list", "example": "-starts_at"})
