"""Test data for the events domain: request payloads, and rows written straight to the database."""

import uuid
from datetime import UTC, datetime, timedelta

from kijani.events.models import Category, Event, EventTag
from kijani.extensions import db


def in_days(days, hour=18, minute=0):
    """An aware UTC datetime `days` from now at hour:minute (negative days: the past)."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


def iso(moment):
    return moment.isoformat()


def event_payload(**overrides):
    """A valid POST /events body; override any field."""
    payload = {
        "title": "Nairobi Python Meetup",
        "starts_at": iso(in_days(30)),
        "location": "iHub, Kilimani, Nairobi",
        "capacity": 50,
    }
    payload.update(overrides)
    return payload


def create_category(app, slug="tech", name=None, description=""):
    """Insert a category; return its id (str)."""
    with app.app_context():
        category = Category(slug=slug, name=name or slug.replace("-", " ").title(), description=description)
        db.session.add(category)
        db.session.commit()
        return str(category.id)


def create_event(app, organizer, tags=(), category=None, **fields):
    """Insert an event directly (any status, past dates, counters); return its id (str).

    `organizer` is a make_user() dict; `category` a slug of an existing category. Counters
    such as seats_taken stand in for what the registrations domain will maintain.
    """
    values = {
        "title": "Community Meetup",
        "description": "",
        "location": "Nairobi",
        "starts_at": in_days(10),
        "capacity": 50,
        "status": "published",
    }
    values.update(fields)
    with app.app_context():
        if category is not None:
            values["category_id"] = db.session.scalars(
                db.select(Category.id).where(Category.slug == category)).one()
        event = Event(organizer_id=uuid.UUID(organizer["id"]), **values)
        event.tag_rows = [EventTag(tag=tag) for tag in tags]
        db.session.add(event)
        db.session.commit()
        return str(event.id)


def get_event_row(app, event_id):
    """The event as stored (None once deleted), detached with its tags loaded."""
    with app.app_context():
        event = db.session.get(Event, uuid.UUID(event_id))
        if event is not None:
            event.tags  # noqa: B018  (load before the session closes)
            db.session.expunge(event)
        return event
