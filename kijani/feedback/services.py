"""Feedback rules: who may rate, when, once; the event's rating counters stay exact."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from kijani.auth.services import account_deleting
from kijani.common.errors import Conflict, Forbidden, NotFound
from kijani.common.models import utcnow
from kijani.events.models import Event
from kijani.events.services import get_event
from kijani.extensions import db
from kijani.feedback.models import Feedback
from kijani.registrations.models import Registration
from kijani.registrations.services import lock_event

#: an event without `ends_at` is taken to end this long after it starts
DEFAULT_DURATION = timedelta(hours=2)


def event_end(event):
    """When the event ends (or is assumed to)."""
    return event.ends_at or event.starts_at + DEFAULT_DURATION


def feedback_query(event):
    """An event's feedback, newest first."""
    return (select(Feedback).where(Feedback.event_id == event.id)
            .options(joinedload(Feedback.user))
            .order_by(Feedback.created_at.desc(), Feedback.id))


def leave_feedback(user, event_id, rating, comment=""):
    """Rate an event you attended (a confirmed registration), after it ended, once."""
    event = get_event(event_id, user)
    attended = db.session.scalar(select(Registration.id).where(
        Registration.event_id == event.id, Registration.user_id == user.id,
        Registration.status == "confirmed").limit(1))
    if attended is None:
        raise Forbidden("Only attendees with a confirmed registration can leave feedback.")
    if event.status == "cancelled":
        raise Conflict("This event was cancelled.")
    if event_end(event) > utcnow():
        raise Conflict("Feedback opens when the event has ended.")
    feedback = Feedback(event_id=event.id, user_id=user.id, rating=rating, comment=comment or "")
    db.session.add(feedback)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You already left feedback for this event: edit it with PATCH /feedback/{id}.") \
            from None
    _adjust_counters(event.id, rating, +1)
    db.session.commit()
    return feedback


def _owned_and_locked(user, feedback_id):
    """The user's feedback, re-read under its event's lock (SPEC: owner only; others 403)."""
    event_id = db.session.scalar(select(Feedback.event_id).where(Feedback.id == feedback_id))
    if event_id is None:
        raise NotFound("Feedback not found.")
    db.session.rollback()  # the lock must be the transaction's first write (SQLite)
    lock_event(event_id)
    feedback = db.session.get(Feedback, feedback_id, populate_existing=True)
    if feedback is None:
        raise NotFound("Feedback not found.")
    if feedback.user_id != user.id:
        raise Forbidden("Only its author can change this feedback.")
    return feedback


def edit_feedback(user, feedback_id, changes):
    """Change your rating or comment (the counters move by the difference, under the lock)."""
    feedback = _owned_and_locked(user, feedback_id)
    if "rating" in changes and changes["rating"] != feedback.rating:
        _adjust_counters(feedback.event_id, changes["rating"] - feedback.rating, 0)
    for field, value in changes.items():
        setattr(feedback, field, value if value is not None else "")
    db.session.commit()
    return feedback


def delete_feedback(user, feedback_id):
    """Delete your feedback."""
    feedback = _owned_and_locked(user, feedback_id)
    _adjust_counters(feedback.event_id, -feedback.rating, -1)
    db.session.delete(feedback)
    db.session.commit()


def withdraw_feedback_of(user):
    """The account is being deleted: take its ratings out of the events' averages."""
    for feedback in db.session.scalars(select(Feedback).where(Feedback.user_id == user.id)):
        _adjust_counters(feedback.event_id, -feedback.rating, -1)


def connect_receivers():
    """Subscribe to the auth domain's account deletion (idempotent)."""
    account_deleting.connect(_withdraw_on_account_deletion)


def _withdraw_on_account_deletion(sender, user, **kwargs):
    withdraw_feedback_of(user)


def _adjust_counters(event_id, rating_delta, count_delta):
    """Atomic in the database: concurrent ratings never lose an update."""
    db.session.execute(update(Event).where(Event.id == event_id).values(
        rating_sum=Event.rating_sum + rating_delta, feedback_count=Event.feedback_count + count_delta))
