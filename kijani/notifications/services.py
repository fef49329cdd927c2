"""Notification rules: tell users in-app and by mail, sweep reminders, digests and invitations.

`notify()` is the one door: it writes the in-app notification and, unless the user
turned email off, the outbox mail, both in the caller's transaction. The reminder sweep
derives every due time from `starts_at` when it runs, so moving an event moves its
reminders; the `scheduled_deliveries` ledger (unique per kind, recipient, event and start)
makes each mail go out once whatever runs the sweep, and how often.
"""

import logging
import uuid
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from kijani.auth.models import User
from kijani.common.errors import Invalid, NotFound
from kijani.common.models import utcnow
from kijani.events.calendar import event_calendar
from kijani.events.models import Event
from kijani.extensions import db
from kijani.feedback.services import DEFAULT_DURATION
from kijani.mail.services import queue_email
from kijani.notifications.models import Notification, ScheduledDelivery
from kijani.registrations.models import Registration

log = logging.getLogger(__name__)

#: kind -> (title, in-app body, mail template, attach the .ics?)
MESSAGES = {
    "registration_confirmed": ("You're in: {title}",
                               "Your registration for {seats} is confirmed. Your tickets are in the app.",
                               "registration_confirmed", True),
    "registration_waitlisted": ("You're on the waitlist: {title}",
                                "The event is full: you are on the waitlist for {seats}.",
                                "registration_waitlisted", False),
    "registration_promoted": ("A seat opened up, you're in: {title}",
                              "Seats freed up and your waitlisted registration ({seats}) is confirmed.",
                              "registration_promoted", True),
    "waitlist_offer": ("Seats are waiting for you: {title}",
                       "We are holding {seats} for you: accept the offer before it expires.",
                       "registration_offered", False),
    "offer_expired": ("Your waitlist offer expired: {title}",
                      "The offer expired and the seats went to the next person in line.",
                      "registration_offer_expired", False),
    "event_cancelled": ("Cancelled: {title}",
                        "The organizer cancelled this event; your registration is cancelled.",
                        "registration_event_cancelled", True),
    "event_changed": ("Changed: {title}", "The event's {what} changed. Please check the new details.",
                      "event_changed", True),
    "reminder": ("Reminder: {title} starts in {hours}",
                 "{title} starts in {hours}. Have your ticket code ready.", "reminder", True),
    "feedback_invitation": ("How was {title}?", "Tell the organizer how it went: rate the event.",
                            "feedback_invitation", False),
    "organizer_digest": ("Tomorrow: {title} ({seats_taken}/{capacity} seats)",
                         "{seats_taken} of {capacity} seats taken, {waitlist_count} waiting, "
                         "{offered} offer(s) open, {cancelled} cancellation(s).", "organizer_digest", False),
}

REMINDER_WINDOWS = (("reminder_1h", timedelta(hours=1)), ("reminder_24h", timedelta(hours=24)))
#: a reminder sent for a start this close to the current one is not sent again
MOVE_TOLERANCE = timedelta(hours=1)
#: invitations are not sent for events that ended longer ago than this
FEEDBACK_WINDOW = timedelta(days=7)


def notify(user, kind, event=None, registration=None, **context):
    """Write the in-app notification and queue the mail (unless the user opted out)."""
    title, body, template, attach_ics = MESSAGES[kind]
    values = {"title": event.title if event is not None else "", **context}
    if registration is not None:
        values.setdefault("seats", f"{registration.quantity} seat{'s' if registration.quantity != 1 else ''}")
    notification = Notification(
        user_id=user.id, kind=kind, title=title.format(**values)[:255], body=body.format(**values),
        event_id=event.id if event is not None else None,
        registration_id=registration.id if registration is not None else None)
    db.session.add(notification)
    if user.email_notifications:
        attachments = []
        if attach_ics and event is not None:
            attachments.append({"filename": "event.ics", "content_type": "text/calendar; method=PUBLISH",
                                "content": _event_ics(event.id, event.updated_at, event.status)})
        queue_email(user.email, notification.title, template, attachments=attachments,
                    unsubscribe_url=unsubscribe_url(user), user=user, event=event,
                    registration=registration, **context)
    return notification


@lru_cache(maxsize=1024)
def _event_ics(event_id, updated_at, status):
    """The event's .ics text; any edit changes `updated_at` (or `status`), hence the key.

    A burst of registrations for one event attaches the same calendar to every mail.
    """
    return event_calendar(db.session.get(Event, event_id)).decode()


# --- the in-app inbox --------------------------------------------------------------------

def notifications_query(user, unread=False):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id)


def unread_count(user):
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user, notification_id):
    """Mark one of the user's notifications read (idempotent); 404 for anyone else's."""
    notification = db.session.scalars(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id)).first()
    if notification is None:
        raise NotFound("Notification not found.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(user):
    """Mark every unread notification of the user read; return how many changed."""
    changed = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    db.session.commit()
    return changed


# --- one-click unsubscribe -----------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kijani-unsubscribe")


def unsubscribe_url(user):
    token = _serializer().dumps(str(user.id))
    return f"{current_app.config['KIJANI_PUBLIC_URL'].rstrip('/')}/api/v1/notifications/unsubscribe?token={token}"


def unsubscribe(token):
    """Turn email off for the user a signed token names (no login needed)."""
    try:
        user_id = _serializer().loads(token)
        user = db.session.get(User, uuid.UUID(user_id))
    except (BadSignature, ValueError, TypeError):
        user = None
    if user is None:
        raise Invalid("This unsubscribe link is not valid.", {"token": "Invalid or tampered token."},
                      location="query")
    user.email_notifications = False
    db.session.commit()
    return user


# --- event changes -----------------------------------------------------------------------

def registrants(event):
    """Users with an active registration for the event, with their registrations."""
    return db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status.in_(("confirmed", "waitlisted", "offered")))
        .options(joinedload(Registration.user))
    ).all()


def notify_schedule_change(event, changes):
    """Tell every registrant that the time or place changed (in the change's transaction)."""
    what = " and ".join(sorted({"time" if field != "location" else "place" for field in changes}))
    for registration in registrants(event):
        notify(registration.user, "event_changed", event=event, registration=registration,
               what=what, changes=changes)


# --- the reminder sweep ------------------------------------------------------------------

def send_reminders(now=None):
    """One sweep: attendee reminders, organizer digests, feedback invitations.

    Returns {kind: number sent}. Safe to run as often and as concurrently as you like. An
    idle sweep costs a few statements per event in the window, not per attendee.
    """
    now = now or utcnow()
    sent = {"reminder_24h": 0, "reminder_1h": 0, "organizer_digest": 0, "feedback_invitation": 0}
    for event in _events_starting(now, now + timedelta(hours=24)):
        window = "reminder_1h" if event.starts_at <= now + timedelta(hours=1) else "reminder_24h"
        ledger = _Ledger(event, now)
        for registration in _confirmed(event):
            if ledger.due(window, registration.user_id) and _deliver(window, registration.user, event, now,
                                                                     ledger, registration):
                sent[window] += 1
        if ledger.due("organizer_digest", event.organizer_id) and _deliver(
                "organizer_digest", event.organizer, event, now, ledger):
            sent["organizer_digest"] += 1
    for event in _events_ended(now):
        ledger = _Ledger(event, now)
        for registration in _confirmed(event):
            if ledger.due("feedback_invitation", registration.user_id) and _deliver(
                    "feedback_invitation", registration.user, event, now, ledger, registration):
                sent["feedback_invitation"] += 1
    return sent


class _Ledger:
    """What already went out for one event, read in one statement per sweep."""

    def __init__(self, event, now):
        self.starts_at = event.starts_at
        self.sent = {}
        self.recently_reminded = set()
        for kind, user_id, starts_at, created_at in db.session.execute(
            select(ScheduledDelivery.kind, ScheduledDelivery.user_id, ScheduledDelivery.event_starts_at,
                   ScheduledDelivery.created_at).where(ScheduledDelivery.event_id == event.id)
        ):
            self.sent.setdefault((kind, user_id), []).append(starts_at)
            if kind in ("reminder_1h", "reminder_24h") and created_at > now - timedelta(hours=1):
                self.recently_reminded.add(user_id)  # SPEC: never two reminders in the same hour

    def due(self, kind, user_id):
        """Not sent for (about) this start yet, and no reminder within the last hour."""
        earlier = self.sent.get((kind, user_id), [])
        if any(abs(start - self.starts_at) <= MOVE_TOLERANCE for start in earlier):
            return False
        return not (kind in ("reminder_1h", "reminder_24h") and user_id in self.recently_reminded)

    def moved_from(self, kind, user_id):
        earlier = self.sent.get((kind, user_id), [])
        return max(earlier) if earlier else None


def _deliver(kind, user, event, now, ledger, registration=None):
    """Record then send, in one transaction that starts with the ledger row.

    The unique ledger row makes a concurrent sweep's copy fail to insert; being the
    transaction's first write, it also takes SQLite's write lock before anything else.
    """
    starts_at, user_id, event_id = ledger.starts_at, user.id, event.id
    db.session.add(ScheduledDelivery(kind=kind, user_id=user_id, event_id=event_id,
                                     event_starts_at=starts_at, created_at=now))
    try:
        db.session.flush()
    except IntegrityError:  # another sweep sent it a moment ago
        db.session.rollback()
        return False
    if kind in ("reminder_1h", "reminder_24h"):
        hours = "1 hour" if kind == "reminder_1h" else "24 hours"
        notify(user, "reminder", event=event, registration=registration, hours=hours,
               moved_from=ledger.moved_from(kind, user.id))
        ledger.recently_reminded.add(user.id)
    elif kind == "organizer_digest":
        notify(user, "organizer_digest", event=event, **_digest_figures(event))
    else:
        notify(user, "feedback_invitation", event=event, registration=registration)
    db.session.commit()
    return True


def _events_starting(start, end):
    return db.session.scalars(
        select(Event).where(Event.status == "published", Event.starts_at > start, Event.starts_at <= end)
        .options(joinedload(Event.organizer)).order_by(Event.starts_at)
    ).all()


def _events_ended(now):
    """Published events that ended (no end: DEFAULT_DURATION after the start) within the window."""
    ended = or_(and_(Event.ends_at.is_not(None), Event.ends_at <= now),
                and_(Event.ends_at.is_(None), Event.starts_at <= now - DEFAULT_DURATION))
    return db.session.scalars(
        select(Event).where(Event.status == "published", ended,
                            Event.starts_at > now - FEEDBACK_WINDOW - DEFAULT_DURATION)
        .order_by(Event.starts_at)
    ).all()


def _confirmed(event):
    """Confirmed registrations of active accounts (deactivated ones hear nothing more)."""
    return db.session.scalars(
        select(Registration).join(Registration.user)
        .where(Registration.event_id == event.id, Registration.status == "confirmed", User.is_active)
        .options(joinedload(Registration.user))
        .order_by(Registration.queued_at)
    ).all()


def _digest_figures(event):
    counts = dict(db.session.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all())
    return {"seats_taken": event.seats_taken, "capacity": event.capacity,
            "waitlist_count": event.waitlist_count, "offered": counts.get("offered", 0),
            "cancelled": counts.get("cancelled", 0), "confirmed": counts.get("confirmed", 0)}
