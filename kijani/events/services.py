"""Event and category rules: create (with recurrence), edit, cancel, delete, visibility, stats, hooks."""

import re
import unicodedata
import uuid

from blinker import Namespace
from flask import current_app
from sqlalchemy import delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from kijani.auth.services import account_deleting
from kijani.common.errors import Conflict, Forbidden, Invalid, NotFound
from kijani.common.models import utcnow
from kijani.events.models import Category, Event, EventTag
from kijani.events.recurrence import occurrence_starts
from kijani.events.search import event_loaders, sort_events
from kijani.extensions import db

signals = Namespace()
#: seats were added to an event; kwargs: event, old_capacity
capacity_raised = signals.signal("event-capacity-raised")
#: time or place of an event changed; kwargs: event, changes {field: (old, new)}
schedule_changed = signals.signal("event-schedule-changed")
#: an event was cancelled (sent once, by the call that cancelled it); kwargs: event
event_cancelled = signals.signal("event-cancelled")

#: an organizer asked for an event's stats; receivers return a dict of extra figures
stats_requested = signals.signal("event-stats-requested")

#: changing one of these notifies every registrant (SPEC: "time or place")
SCHEDULE_FIELDS = ("starts_at", "ends_at", "location")


# --- hooks for the registrations and notifications domains ---------------------------
# Each runs inside the transaction that made the change, before it commits, so whatever a
# receiver writes (outbox rows, notifications) commits or rolls back with the change;
# work for Celery is queued with kijani.common.tasks.enqueue_after_commit. The domains
# connect to the signals (events never imports them: no import cycle).

def promote_waitlist_after_capacity_raise(event, old_capacity):
    """Capacity went up: the registrations domain promotes waitlisted registrations.

    Until a receiver is connected to `capacity_raised` this does nothing.
    """
    capacity_raised.send(current_app._get_current_object(), event=event, old_capacity=old_capacity)


def notify_registrants_of_change(event, changes):
    """Time or place changed: the notifications domain tells every registrant.

    `changes` maps each changed field of SCHEDULE_FIELDS to (old, new). Until a receiver
    is connected to `schedule_changed` this does nothing.
    """
    schedule_changed.send(current_app._get_current_object(), event=event, changes=changes)


def cancel_registrations_of(event):
    """The event was just cancelled: registrations are cancelled and registrants notified.

    Called once per event (a repeated cancel does not call it). Until a receiver is
    connected to `event_cancelled` this does nothing.
    """
    event_cancelled.send(current_app._get_current_object(), event=event)


# --- categories -----------------------------------------------------------------------

def slugify(text):
    """'Café & Culture' -> 'cafe-culture' (ASCII letters and digits, hyphen-separated)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].rstrip("-")


def categories_query():
    return select(Category).order_by(Category.name, Category.id)


def get_category(ref):
    """A category by id or slug; 404 otherwise."""
    try:
        category = db.session.get(Category, uuid.UUID(ref))
    except ValueError:
        category = db.session.scalars(select(Category).where(Category.slug == ref)).first()
    if category is None:
        raise NotFound("Category not found.")
    return category


def create_category(data):
    """Add a category; the slug comes from the name unless given. 409 on a duplicate."""
    # A name in Ge'ez, Arabic or another script has no ASCII to slugify: give it a neutral one.
    slug = data.get("slug") or slugify(data["name"]) or f"category-{uuid.uuid4().hex[:8]}"
    category = Category(name=data["name"], slug=slug, description=data.get("description", ""))
    _ensure_category_unique(category.name, category.slug)
    db.session.add(category)
    _commit_unique("A category with this name or slug already exists.")
    return category


def update_category(category, changes):
    """Rename, re-slug or re-describe a category (the slug is kept unless given)."""
    _ensure_category_unique(changes.get("name"), changes.get("slug"), exclude=category.id)
    for field, value in changes.items():
        setattr(category, field, value)
    _commit_unique("A category with this name or slug already exists.")
    return category


def delete_category(category):
    """Delete a category; its events stay, uncategorised (foreign key SET NULL)."""
    db.session.delete(category)
    db.session.commit()


def _ensure_category_unique(name, slug, exclude=None):
    conditions = []
    if name is not None:
        conditions.append(func.lower(Category.name) == name.lower())
    if slug is not None:
        conditions.append(Category.slug == slug)
    if not conditions:
        return
    stmt = select(Category.name, Category.slug).where(or_(*conditions))
    if exclude is not None:
        stmt = stmt.where(Category.id != exclude)
    errors = {}
    for row in db.session.execute(stmt):
        if name is not None and row.name.lower() == name.lower():
            errors["name"] = ["A category with this name already exists."]
        if slug is not None and row.slug == slug:
            errors["slug"] = ["A category with this slug already exists."]
    if errors:
        raise Conflict("A category with this name or slug already exists.", {"json": errors})


def _commit_unique(message):
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request took the name or slug first
        db.session.rollback()
        raise Conflict(message) from None


# --- events: reading ----------------------------------------------------------------------

def can_manage(user, event):
    """Owner or admin."""
    return user is not None and (user.role == "admin" or user.id == event.organizer_id)


def load_event(event_id):
    """An event with its organizer, category and tags (two statements), or None."""
    return db.session.scalars(
        select(Event).where(Event.id == event_id).options(*event_loaders())
        .execution_options(populate_existing=True)
    ).first()


def get_event(event_id, viewer=None):
    """An event the viewer may see (drafts: owner and admin only); 404 otherwise."""
    event = load_event(event_id)
    if event is None or (event.status == "draft" and not can_manage(viewer, event)):
        raise NotFound("Event not found.")
    return event


def get_event_to_manage(event_id, user):
    """An event the user may change: 404 when they cannot see it, 403 when not theirs."""
    event = get_event(event_id, user)
    if not can_manage(user, event):
        raise Forbidden("Only the event's organizer or an admin can do this.")
    return event


def occurrences_query(event, viewer=None):
    """The other events of `event`'s series (drafts only for those who manage it)."""
    stmt = select(Event).options(*event_loaders())
    if event.series_id is None:
        return stmt.where(false())
    stmt = stmt.where(Event.series_id == event.series_id, Event.id != event.id)
    if not can_manage(viewer, event):
        stmt = stmt.where(Event.status != "draft")
    return sort_events(stmt, "starts_at")


def event_stats(event):
    """Dashboard figures: the event's counters plus what other domains report."""
    figures = {"cancellations": 0, "registrations": {}, "registrations_per_day": []}
    for _receiver, extra in stats_requested.send(current_app._get_current_object(), event=event):
        figures.update(extra)
    return {
        "event_id": event.id,
        "capacity": event.capacity,
        "seats_taken": event.seats_taken,
        "seats_remaining": event.seats_remaining,
        "waitlist_count": event.waitlist_count,
        "checked_in_count": event.checked_in_count,
        "average_rating": event.average_rating,
        "feedback_count": event.feedback_count,
        **figures,
    }


# --- events: writing ------------------------------------------------------------------

def create_event(organizer, data):
    """Create an event, or a whole series when `data["recurrence"]` is given.

    Returns the first event (of the series). 422 for a start in the past, an end before the
    start, an unknown category or a rule with no or too many occurrences.
    """
    data = dict(data)
    rule = data.pop("recurrence", None)
    tags = _clean_tags(data.pop("tags", []))
    data["category_id"] = _category_id(data.pop("category", None))
    _check_schedule(data["starts_at"], data.get("ends_at"), starts_changed=True)
    starts = occurrence_starts(data["starts_at"], data["timezone"], rule) if rule else [data["starts_at"]]
    duration = data["ends_at"] - data["starts_at"] if data.get("ends_at") else None
    series_id = uuid.uuid4() if rule else None
    events = []
    for start in starts:
        fields = {**data, "starts_at": start, "ends_at": start + duration if duration else None}
        event = Event(organizer_id=organizer.id, series_id=series_id, **fields)
        event.tag_rows = [EventTag(tag=tag) for tag in tags]
        events.append(event)
    db.session.add_all(events)
    db.session.commit()
    return load_event(events[0].id)


def update_event(event, changes):
    """Apply a PATCH (some fields) or PUT (all fields) to an event the caller manages.

    409 on a cancelled event, on capacity below the seats taken, or on unpublishing an
    event people registered for. Raising capacity promotes the waitlist; changing time or
    place notifies registrants (hooks above).
    """
    if event.status == "cancelled":
        raise Conflict("A cancelled event cannot be changed.")
    changes = dict(changes)
    if "category" in changes:
        changes["category_id"] = _category_id(changes.pop("category"))
    if "tags" in changes:
        _replace_tags(event, _clean_tags(changes.pop("tags")))
    starts_at = changes.get("starts_at", event.starts_at)
    ends_at = changes.get("ends_at", event.ends_at)
    _check_schedule(starts_at, ends_at, starts_changed=starts_at != event.starts_at)
    if changes.get("status") == "draft" and event.status == "published":
        # Checked in the UPDATE itself, like delete: a registration arriving meanwhile (it
        # updates the same row under a lock) can never end up on a draft.
        unpublished = db.session.execute(
            update(Event).where(Event.id == event.id, Event.seats_taken == 0, Event.waitlist_count == 0)
            .values(status="draft").execution_options(synchronize_session=False)
        ).rowcount == 1
        if not unpublished:
            db.session.rollback()
            raise Conflict("People registered for this event: it cannot go back to draft (cancel it instead).")

    old_capacity = event.capacity
    new_capacity = changes.pop("capacity", old_capacity)
    if new_capacity < old_capacity:
        _lower_capacity(event, new_capacity)

    schedule = {field: (getattr(event, field), changes[field])
                for field in SCHEDULE_FIELDS if field in changes and changes[field] != getattr(event, field)}
    for field, value in changes.items():
        setattr(event, field, value)
    event.capacity = new_capacity
    event.updated_at = utcnow()  # tag-only edits do not touch the row otherwise

    if new_capacity > old_capacity:
        promote_waitlist_after_capacity_raise(event, old_capacity)
    if schedule and event.status == "published":
        notify_registrants_of_change(event, schedule)
    db.session.commit()
    return load_event(event.id)


def cancel_event(event):
    """Cancel an event; idempotent (only the call that cancels it runs the cancel hook)."""
    # Conditional update: of two concurrent cancels exactly one sees a row change.
    cancelled = db.session.execute(
        update(Event).where(Event.id == event.id, Event.status != "cancelled")
        .values(status="cancelled", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if cancelled:
        db.session.refresh(event, ["status", "updated_at"])
        cancel_registrations_of(event)
    db.session.commit()
    return load_event(event.id)


def delete_event(event):
    """Delete an event nobody is registered or waitlisted for; 409 otherwise (cancel it)."""
    # The counters are checked in the DELETE itself, so a registration arriving meanwhile
    # (it updates the same row under a lock) can never be deleted along with the event.
    deleted = db.session.execute(
        delete(Event).where(Event.id == event.id, Event.seats_taken == 0, Event.waitlist_count == 0)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not deleted:
        db.session.rollback()
        raise Conflict("This event has active registrations: cancel it instead of deleting it.")
    db.session.expunge(event)
    db.session.commit()


def _lower_capacity(event, capacity):
    """Lower capacity only if the seats already taken still fit, atomically."""
    lowered = db.session.execute(
        update(Event).where(Event.id == event.id, Event.seats_taken <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not lowered:
        taken = db.session.scalar(select(Event.seats_taken).where(Event.id == event.id))
        db.session.rollback()
        raise Conflict(f"{taken} seats are already taken: capacity cannot go below that.",
                       {"json": {"capacity": [f"Must be at least {taken} (seats taken)."]}})


def _check_schedule(starts_at, ends_at, starts_changed):
    if starts_changed and starts_at < utcnow():
        raise Invalid("The event cannot start in the past.", {"starts_at": "Must be in the future."})
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("The event must end after it starts.", {"ends_at": "Must be after starts_at."})


def _category_id(slug):
    if slug is None:
        return None
    category_id = db.session.scalar(select(Category.id).where(Category.slug == slug))
    if category_id is None:
        raise Invalid("Unknown category.", {"category": f"No category with slug {slug!r} (see /categories)."})
    return category_id


def _clean_tags(tags):
    """Lower-cased, without duplicates, in the given order."""
    return list(dict.fromkeys(tag.strip().lower() for tag in tags))


def _replace_tags(event, tags):
    current = {row.tag: row for row in event.tag_rows}
    for tag, row in current.items():
        if tag not in tags:
            event.tag_rows.remove(row)
    for tag in tags:
        if tag not in current:
            event.tag_rows.append(EventTag(tag=tag))


# --- accounts -------------------------------------------------------------------------

def refuse_deleting_organizer_of_live_events(sender, user, **kwargs):
    """Receiver of auth's `account_deleting`: 409 while the user organises non-cancelled events.

    Their cancelled events are deleted with the account (organizer_id ON DELETE CASCADE).
    """
    live = db.session.scalar(
        select(func.count()).select_from(Event)
        .where(Event.organizer_id == user.id, Event.status != "cancelled")
    )
    if live:
        raise Conflict(f"You organise {live} event(s) that are not cancelled: cancel or delete "
                       "them before deleting your account.")


def connect_receivers():
    """Subscribe the events domain to other domains' signals (called by create_app)."""
    account_deleting.connect(refuse_deleting_organizer_of_live_events)
