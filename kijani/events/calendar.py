"""RFC 5545 iCalendar export of an event (GET /events/{id}/calendar.ics, mail attachments)."""

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent

PRODID = "-//Kijani//Kijani Event API//EN"
ICS_STATUS = {"published": "CONFIRMED", "cancelled": "CANCELLED", "draft": "TENTATIVE"}


def event_uid(event):
    """Stable UID: calendars update the same entry when the event changes or is cancelled."""
    return f"{event.id}@kijani"


def event_url(event):
    return f"{current_app.config['KIJANI_PUBLIC_URL'].rstrip('/')}/api/v1/events/{event.id}"


def event_calendar(event):
    """Return the event as an .ics document (bytes) with a VTIMEZONE for its timezone."""
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")

    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    # The last change, not "now": the same event gives the same bytes (and ETag).
    entry.add("dtstamp", event.updated_at)
    entry.add("created", event.created_at)
    entry.add("last-modified", event.updated_at)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    if event.ends_at is not None:
        entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.title)
    if event.description:
        entry.add("description", event.description)
    entry.add("location", event.location)
    entry.add("url", event_url(event))
    entry.add("status", ICS_STATUS[event.status])
    labels = ([event.category.name] if event.category is not None else []) + event.tags
    if labels:
        entry.add("categories", labels)
    calendar.add_component(entry)

    # A VTIMEZONE covering the event's years, so clients without that zone still agree.
    last = event.ends_at or event.starts_at
    for position, tzid in enumerate(sorted(calendar.get_missing_tzids())):
        component = _vtimezone(tzid, event.starts_at.year - 1, last.year + 2)
        if component is not None:
            calendar.subcomponents.insert(position, component)
    return calendar.to_ical()


@lru_cache(maxsize=512)
def _vtimezone(tzid, first_year, last_year):
    """The VTIMEZONE of a zone over some years (what add_missing_timezones builds).

    Building one takes tens of milliseconds and every confirmation mail attaches an .ics,
    so it is built once per zone and years; the component is only ever read afterwards.
    """
    try:
        return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 1, 1))
    except ValueError:  # a zone icalendar cannot describe: leave it out, as it would
        return None
