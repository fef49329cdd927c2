"""Categories and events endpoints: parse, call events.services, return."""

import functools
import logging

from flask import Response, request, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user, verify_jwt_in_request

from kijani.common.api import BEARER, Blueprint, paginate
from kijani.events import search, services
from kijani.events.cache import cached_read, init_read_cache
from kijani.events.calendar import event_calendar, event_uid
from kijani.events.schemas import (
    CATEGORY_EXAMPLE,
    EVENT_EXAMPLE,
    EVENT_ID,
    CategoryCreateSchema,
    CategorySchema,
    CategoryUpdateSchema,
    EventCreateSchema,
    EventQueryArgsSchema,
    EventReplaceSchema,
    EventSchema,
    EventStatsSchema,
    EventUpdateSchema,
    MyEventsQueryArgsSchema,
    OrganizerEventSchema,
)

log = logging.getLogger(__name__)

categories_blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories",
                           description="Event categories: public to read, managed by admins.")
blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                description="Publish, discover, edit and cancel events; calendar export and series.")

#: anonymous, or signed in (which lets owners and admins see drafts)
OPTIONAL_BEARER = [{}, *BEARER]
ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kijani//Kijani Event API//EN\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Africa/Nairobi\r\n...\r\nEND:VTIMEZONE\r\n"
    f"BEGIN:VEVENT\r\nUID:{EVENT_ID}@kijani\r\nDTSTART;TZID=Africa/Nairobi:20270211T180000\r\n"
    "DTEND;TZID=Africa/Nairobi:20270211T210000\r\nSUMMARY:Nairobi Python Meetup: async in practice\r\n"
    "LOCATION:iHub\\, Kilimani\\, Nairobi\r\nSTATUS:CONFIRMED\r\n...\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
STATS_EXAMPLE = {"event_id": EVENT_ID, "capacity": 80, "seats_taken": 74, "seats_remaining": 6,
                 "waitlist_count": 0, "checked_in_count": 0, "cancellations": 0, "average_rating": None,
                 "feedback_count": 0, "registrations_per_day": []}


blp.record_once(init_read_cache)


def optional_auth(func):
    """Accept an access token without requiring one; pass the viewer (a user or None)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request(optional=True)
        return func(*args, viewer=get_current_user(), **kwargs)

    return blp.doc(security=OPTIONAL_BEARER)(blp.document_errors(401)(wrapper))


# --- categories -----------------------------------------------------------------------

@categories_blp.route("")
class Categories(MethodView):
    @categories_blp.etag
    @categories_blp.response(200, CategorySchema(many=True), example=[CATEGORY_EXAMPLE])
    @categories_blp.paginate()
    def get(self, pagination_parameters):
        """List categories by name."""
        return paginate(services.categories_query(), pagination_parameters)

    @categories_blp.auth_required("admin")
    @categories_blp.arguments(CategoryCreateSchema, example={"name": "Tech & Startups"})
    @categories_blp.response(201, CategorySchema, example=CATEGORY_EXAMPLE)
    @categories_blp.document_errors(409)
    def post(self, data):
        """Create a category (admin); the slug is derived from the name unless given."""
        category = services.create_category(data)
        return category, {"Location": url_for("categories.CategoryByRef", category_ref=category.slug)}


@categories_blp.route("/<category_ref>", parameters=[{
    "in": "path", "name": "category_ref", "required": True, "description": "Category id or slug",
    "schema": {"type": "string", "minLength": 1}, "example": "tech"}])
class CategoryByRef(MethodView):
    @categories_blp.etag
    @categories_blp.response(200, CategorySchema, example=CATEGORY_EXAMPLE)
    @categories_blp.document_errors(404)
    def get(self, category_ref):
        """One category, by id or slug."""
        return services.get_category(category_ref)

    @categories_blp.auth_required("admin")
    @categories_blp.arguments(CategoryUpdateSchema, example={"description": "Talks, meetups and hackathons."})
    @categories_blp.response(200, CategorySchema, example=CATEGORY_EXAMPLE)
    @categories_blp.document_errors(404, 409)
    def patch(self, data, category_ref):
        """Edit a category (admin)."""
        return services.update_category(services.get_category(category_ref), data)

    @categories_blp.auth_required("admin")
    @categories_blp.response(204)
    @categories_blp.document_errors(404)
    def delete(self, category_ref):
        """Delete a category (admin); its events become uncategorised."""
        services.delete_category(services.get_category(category_ref))


# --- events ---------------------------------------------------------------------------

@blp.route("")
class Events(MethodView):
    @cached_read(anonymous_only=False)  # the list never depends on who asks
    @blp.etag
    @blp.arguments(EventQueryArgsSchema, location="query")
    @blp.response(200, EventSchema(many=True), example=[EVENT_EXAMPLE])
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Discover events: upcoming published ones by default, soonest first."""
        return paginate(search.events_query(**args), pagination_parameters)

    @blp.auth_required("organizer", "admin")
    @blp.arguments(EventCreateSchema, example={
        "title": "Nairobi Python Meetup", "starts_at": "2027-02-11T18:00:00+03:00",
        "ends_at": "2027-02-11T21:00:00+03:00", "timezone": "Africa/Nairobi",
        "location": "iHub, Kilimani, Nairobi", "capacity": 80, "category": "tech", "tags": ["python"],
        "recurrence": {"freq": "weekly", "count": 4}})
    @blp.response(201, EventSchema, example=EVENT_EXAMPLE,
                  description="The event (the first occurrence when a recurrence was given)")
    def post(self, data):
        """Create an event, or a recurring series (organizer or admin)."""
        event = services.create_event(current_user, data)
        return event, {"Location": url_for("events.EventById", event_id=event.id)}


@blp.route("/mine")
class MyEvents(MethodView):
    @blp.auth_required("organizer", "admin")
    @blp.etag
    @blp.arguments(MyEventsQueryArgsSchema, location="query")
    @blp.response(200, OrganizerEventSchema(many=True), example=[{**EVENT_EXAMPLE, "checked_in_count": 0}])
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Your own events in any status, with seats, waitlist and check-ins."""
        return paginate(search.my_events_query(current_user, **args), pagination_parameters)


@blp.route("/<uuid:event_id>")
class EventById(MethodView):
    @cached_read(anonymous_only=True)  # drafts are visible to their organizer
    @optional_auth
    @blp.etag
    @blp.response(200, EventSchema, example=EVENT_EXAMPLE)
    @blp.document_errors(404)
    def get(self, event_id, viewer):
        """One event (drafts only for their organizer and admins)."""
        return services.get_event(event_id, viewer)

    @blp.auth_required()
    @blp.arguments(EventUpdateSchema, example={"capacity": 120, "location": "Nairobi Garage, Westlands"})
    @blp.response(200, EventSchema, example=EVENT_EXAMPLE)
    @blp.document_errors(403, 404, 409)
    def patch(self, data, event_id):
        """Change some fields (owner or admin); registrants hear about time or place changes."""
        return services.update_event(services.get_event_to_manage(event_id, current_user), data)

    @blp.auth_required()
    @blp.arguments(EventReplaceSchema, example={
        "title": "Nairobi Python Meetup", "starts_at": "2027-02-11T18:00:00+03:00",
        "location": "iHub, Kilimani, Nairobi", "capacity": 80})
    @blp.response(200, EventSchema, example=EVENT_EXAMPLE)
    @blp.document_errors(403, 404, 409)
    def put(self, data, event_id):
        """Replace the event (owner or admin); omitted optional fields get their defaults."""
        return services.update_event(services.get_event_to_manage(event_id, current_user), data)

    @blp.auth_required()
    @blp.response(204)
    @blp.document_errors(403, 404, 409)
    def delete(self, event_id):
        """Delete an event nobody registered for (owner or admin); otherwise cancel it."""
        services.delete_event(services.get_event_to_manage(event_id, current_user))


@blp.route("/<uuid:event_id>/cancel", methods=["POST"])
@blp.auth_required()
@blp.response(200, EventSchema, example={**EVENT_EXAMPLE, "status": "cancelled"})
@blp.document_errors(403, 404)
def cancel_event(event_id):
    """Cancel the event (owner or admin); calling it again changes nothing."""
    return services.cancel_event(services.get_event_to_manage(event_id, current_user))


@blp.route("/<uuid:event_id>/stats")
@blp.auth_required()
@blp.etag
@blp.response(200, EventStatsSchema, example=STATS_EXAMPLE)
@blp.document_errors(403, 404)
def event_stats(event_id):
    """Seats, waitlist, check-ins, cancellations and registrations per day (owner or admin)."""
    return services.event_stats(services.get_event_to_manage(event_id, current_user))


@blp.route("/<uuid:event_id>/calendar.ics")
@optional_auth
@blp.response(200, content_type="text/calendar", example=ICS_EXAMPLE,
              description="RFC 5545 iCalendar with a VTIMEZONE for the event's timezone")
@blp.document_errors(404)
def event_calendar_file(event_id, viewer):
    """The event as an iCalendar file (add to calendar)."""
    event = services.get_event(event_id, viewer)
    response = Response(event_calendar(event), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{event_uid(event)}.ics"'
    response.add_etag()
    return response.make_conditional(request)


@blp.route("/<uuid:event_id>/occurrences")
@optional_auth
@blp.etag
@blp.response(200, EventSchema(many=True), example=[{**EVENT_EXAMPLE, "series_id": EVENT_ID}])
@blp.paginate()
@blp.document_errors(404)
def event_occurrences(event_id, viewer, pagination_parameters):
    """The other events of this event's series, in date order (empty for a one-off event)."""
    event = services.get_event(event_id, viewer)
    return paginate(services.occurrences_query(event, viewer), pagination_parameters)
