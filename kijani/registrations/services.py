"""Registration rules: register, change, cancel, accept offers, promote the waitlist, check in.

Every change that touches seats runs under the event's row lock, taken as the first write
of its transaction (`lock_event`), so the capacity invariant holds whatever the
concurrency: confirmed and offered seats never exceed the event's capacity. The event row
carries the counters (`seats_taken`, `waitlist_count`, `checked_in_count`) that lists show.
"""

import logging
import uuid
from datetime import timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from kijani.common.errors import Conflict, Invalid, NotFound
from kijani.common.models import utcnow
from kijani.common.tasks import enqueue_after_commit
from kijani.events.models import Event
from kijani.events.services import can_manage, get_event_to_manage
from kijani.extensions import db
from kijani.registrations.codes import new_ticket_code, normalize_ticket_code
from kijani.registrations.models import (
    ACTIVE_STATUSES,
    STATUSES,
    IdempotencyRecord,
    Registration,
    Ticket,
)

log = logging.getLogger(__name__)

IDEMPOTENCY_TTL = timedelta(hours=24)


# --- locking -------------------------------------------------------------------------------

def lock_event(event_id):
    """Lock the event row for this transaction and return it freshly loaded; 404 if absent.

    PostgreSQL: SELECT … FOR UPDATE. SQLite: a no-op UPDATE as the transaction's first write
    takes the database write lock at once (pysqlite opens the transaction there), so no
    other writer can interleave between our read and our write.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        event = db.session.scalars(
            select(Event).where(Event.id == event_id).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    else:
        db.session.execute(
            update(Event).where(Event.id == event_id)
            .values(seats_taken=Event.seats_taken, updated_at=Event.updated_at)
        )
        event = db.session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise NotFound("Event not found.")
    return event


def _locked_registration(registration_id, user):
    """The user's registration, re-read under its event's lock; 404 for anyone else's."""
    event_id = db.session.scalar(
        select(Registration.event_id).where(Registration.id == registration_id,
                                            Registration.user_id == user.id)
    )
    if event_id is None:
        raise NotFound("Registration not found.")
    db.session.rollback()  # the lock must be the transaction's first write (SQLite)
    event = lock_event(event_id)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    return registration, event


# --- reading -------------------------------------------------------------------------------

def get_registration(registration_id, user):
    """One of the user's registrations with its event and tickets; 404 for others."""
    registration = db.session.scalars(
        select(Registration)
        .where(Registration.id == registration_id, Registration.user_id == user.id)
        .options(joinedload(Registration.event), selectinload(Registration.tickets))
    ).first()
    if registration is None:
        raise NotFound("Registration not found.")
    attach_waitlist_positions([registration])
    return registration


def user_registrations_query(user, status=None, when=None):
    """The user's registrations, newest first, optionally by status and upcoming/past."""
    stmt = (
        select(Registration)
        .join(Registration.event)
        .where(Registration.user_id == user.id)
        .options(joinedload(Registration.event), selectinload(Registration.tickets))
        .order_by(Registration.created_at.desc(), Registration.id)
    )
    if status:
        stmt = stmt.where(Registration.status == status)
    if when == "upcoming":
        stmt = stmt.where(Event.starts_at >= utcnow())
    elif when == "past":
        stmt = stmt.where(Event.starts_at < utcnow())
    return stmt


def attendees_query(event, status=None):
    """Every registration of an event in order of arrival (optionally one status)."""
    stmt = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(joinedload(Registration.user), selectinload(Registration.tickets))
        .order_by(Registration.queued_at, Registration.id)
    )
    if status:
        stmt = stmt.where(Registration.status == status)
    return stmt


def attach_waitlist_positions(registrations):
    """Set `waitlist_position` on each registration (1-based; None unless waitlisted).

    One statement for the whole page: a window function over the waitlists involved.
    """
    waiting = [r for r in registrations if r.status == "waitlisted"]
    for registration in registrations:
        registration.waitlist_position = None
    if not waiting:
        return registrations
    position = func.row_number().over(
        partition_by=Registration.event_id, order_by=(Registration.queued_at, Registration.id))
    ranked = (
        select(Registration.id, position.label("position"))
        .where(Registration.event_id.in_({r.event_id for r in waiting}),
               Registration.status == "waitlisted")
        .subquery()
    )
    positions = dict(db.session.execute(
        select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_([r.id for r in waiting]))
    ).all())
    for registration in waiting:
        registration.waitlist_position = positions.get(registration.id)
    return registrations


# --- registering -------------------------------------------------------------------------

def find_idempotent_response(user, key):
    """The stored first response for this user's Idempotency-Key, if still fresh."""
    return db.session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key,
            IdempotencyRecord.created_at > utcnow() - IDEMPOTENCY_TTL)
    ).first()


def register_for_event(user, event_id, quantity, idempotency_key=None, render=None):
    """Register `quantity` seats, all or nothing: confirmed with tickets, or waitlisted.

    With an Idempotency-Key, `render(registration)` gives the (status, body) to replay for
    the same key within 24 hours; the replay is returned as an IdempotencyRecord.
    """
    db.session.rollback()  # the event lock must be this transaction's first write
    event = lock_event(event_id)
    if idempotency_key:
        replay = find_idempotent_response(user, idempotency_key)
        if replay is not None:
            db.session.rollback()
            return replay
        db.session.execute(delete(IdempotencyRecord).where(  # an expired record of the same key
            IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == idempotency_key))
    _check_open_for_registration(event, user)
    if quantity > event.max_tickets_per_registration:
        raise Invalid("Too many tickets for one registration.", {
            "quantity": f"At most {event.max_tickets_per_registration} tickets per registration."})
    if _active_registration_exists(user.id, event.id):
        raise Conflict("You already have an active registration for this event.")

    now = utcnow()
    # Seats freed by a cancellation whose promotion task has not run yet (or held by an
    # offer that ran out) belong to the waitlist, not to whoever registers next.
    _serve_waitlist_locked(event, now)
    registration = Registration(user_id=user.id, event_id=event.id, quantity=quantity, queued_at=now)
    if quantity <= event.capacity - event.seats_taken:
        _confirm(registration, event, now)
    else:
        registration.status = "waitlisted"
        event.waitlist_count += 1
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:  # the partial unique index: a concurrent twin got there first
        db.session.rollback()
        raise Conflict("You already have an active registration for this event.") from None
    attach_waitlist_positions([registration])
    if idempotency_key and render is not None:
        status_code, body = render(registration)
        db.session.add(IdempotencyRecord(user_id=user.id, key=idempotency_key,
                                         status_code=status_code, response=body))
    _announce(registration, "confirmed" if registration.status == "confirmed" else "waitlisted")
    try:
        db.session.commit()
    except IntegrityError:  # the same Idempotency-Key raced in for another event
        db.session.rollback()
        replay = find_idempotent_response(user, idempotency_key)
        if replay is None:
            raise
        return replay
    return registration


def _check_open_for_registration(event, user):
    if event.status == "draft" and not can_manage(user, event):
        raise NotFound("Event not found.")
    if event.status == "draft":
        raise Conflict("This event is a draft: publish it before registering.")
    if event.status == "cancelled":
        raise Conflict("This event has been cancelled.")
    if event.starts_at <= utcnow():
        raise Conflict("Registration is closed: the event has started.")


def _active_registration_exists(user_id, event_id):
    return db.session.scalar(
        select(Registration.id).where(Registration.user_id == user_id, Registration.event_id == event_id,
                                      Registration.status.in_(ACTIVE_STATUSES)).limit(1)
    ) is not None


def _confirm(registration, event, now):
    """Confirm with one ticket per seat; the seats must already be known to be free."""
    if registration.status != "offered":  # an offer already holds its seats
        event.seats_taken += registration.quantity
    registration.status = "confirmed"
    registration.confirmed_at = now
    registration.offer_expires_at = None
    _issue_tickets(registration, registration.quantity)


def _issue_tickets(registration, count):
    for _ in range(count):
        registration.tickets.append(Ticket(code=new_ticket_code(), event_id=registration.event_id))


# --- the waitlist ----------------------------------------------------------------------------

def _promote_locked(event, now):
    """Promote waitlisted registrations, oldest first, while seats are free (lock held).

    One that does not fit keeps its place and a later, smaller one that fits goes ahead.
    With `waitlist_offer_hours` > 0 the promotion is an offer holding the seats.
    """
    free = event.capacity - event.seats_taken
    if free <= 0 or event.waitlist_count <= 0 or event.status != "published" or event.starts_at <= now:
        return []
    waiting = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    promoted = []
    for registration in waiting:
        if free <= 0:
            break
        if registration.quantity > free:
            continue
        event.waitlist_count -= 1
        if event.waitlist_offer_hours > 0:
            registration.status = "offered"
            registration.offer_expires_at = min(now + timedelta(hours=event.waitlist_offer_hours),
                                                event.starts_at)
            event.seats_taken += registration.quantity
        else:
            _confirm(registration, event, now)
        free -= registration.quantity
        promoted.append(registration)
    return promoted


def _serve_waitlist_locked(event, now):
    """Release lapsed offers, promote what fits, and tell each person (lock held)."""
    for registration in _expire_offers_locked(event, now):
        _announce(registration, "offer_expired")
    promoted = _promote_locked(event, now)
    for registration in promoted:
        _announce(registration, "offered" if registration.status == "offered" else "promoted")
    return promoted


def promote_waitlist(event_id):
    """Promote what fits on one event's waitlist now; return how many were promoted."""
    db.session.rollback()
    try:
        event = lock_event(event_id)
    except NotFound:
        db.session.rollback()
        return 0
    promoted = _serve_waitlist_locked(event, utcnow())
    db.session.commit()
    return len(promoted)


def _expire_offers_locked(event, now):
    offers = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.status == "offered",
                                   Registration.offer_expires_at <= now)
    ).all()
    for registration in offers:
        registration.status = "expired"
        event.seats_taken -= registration.quantity
    return offers


def events_needing_promotion():
    """Events where a waitlisted registration may fit, or an offer has run out."""
    now = utcnow()
    expired_offers = select(Registration.event_id).where(
        Registration.status == "offered", Registration.offer_expires_at <= now)
    return db.session.scalars(
        select(Event.id).where(
            (and_(Event.status == "published", Event.starts_at > now, Event.waitlist_count > 0,
                  Event.seats_taken < Event.capacity))
            | Event.id.in_(expired_offers)
        )
    ).all()


def sweep_waitlists():
    """Repair every waitlist a lost task missed and expire old offers; return promotions."""
    event_ids = events_needing_promotion()
    db.session.rollback()
    return sum(promote_waitlist(event_id) for event_id in event_ids)


def schedule_promotion(event):
    """Run the promotion task for `event` once the current transaction commits."""
    from kijani.registrations.tasks import promote_waitlist_task

    enqueue_after_commit(db.session, promote_waitlist_task, str(event.id))


# --- changing and cancelling -------------------------------------------------------------

def change_quantity(user, registration_id, quantity):
    """Change the seats of an active registration under the same all-or-nothing rule."""
    registration, event = _locked_registration(registration_id, user)
    if registration.status not in ACTIVE_STATUSES:
        raise Conflict(f"A {registration.status} registration cannot be changed.")
    if event.starts_at <= utcnow():
        raise Conflict("The event has started: registrations can no longer change.")
    if quantity > event.max_tickets_per_registration:
        raise Invalid("Too many tickets for one registration.", {
            "quantity": f"At most {event.max_tickets_per_registration} tickets per registration."})
    delta = quantity - registration.quantity
    if delta == 0:
        db.session.rollback()
        return get_registration(registration_id, user)
    if delta > 0 and registration.holds_seats:
        # Seats freed but not yet handed out belong to the waitlist, not to a bigger order.
        _serve_waitlist_locked(event, utcnow())
    if registration.holds_seats:
        if delta > event.capacity - event.seats_taken:
            free = event.capacity - event.seats_taken
            db.session.commit()  # the promotions just made stand, whatever this request gets
            raise Conflict(f"Only {free} more seat(s) are free.")
        if delta < 0 and registration.status == "confirmed":
            _drop_tickets(registration, -delta)
        elif delta > 0 and registration.status == "confirmed":
            _issue_tickets(registration, delta)
        event.seats_taken += delta
    registration.quantity = quantity
    if delta < 0 or registration.status == "waitlisted":
        schedule_promotion(event)
    db.session.commit()
    return get_registration(registration_id, user)


def _drop_tickets(registration, count):
    unused = [t for t in registration.tickets if t.checked_in_at is None]
    if len(unused) < count:
        raise Conflict("Checked-in tickets cannot be given back.")
    for ticket in unused[-count:]:
        registration.tickets.remove(ticket)


def cancel_registration(user, registration_id):
    """Cancel (or decline an offer); idempotent. Freed seats go to the waitlist."""
    registration, event = _locked_registration(registration_id, user)
    if registration.status in ("cancelled", "expired"):
        db.session.rollback()
        return get_registration(registration_id, user)
    if event.starts_at <= utcnow():
        raise Conflict("The event has started: the registration can no longer be cancelled.")
    if any(ticket.checked_in_at is not None for ticket in registration.tickets):
        raise Conflict("A ticket of this registration is already checked in: it cannot be cancelled.")
    _cancel_locked(registration, event, utcnow())
    schedule_promotion(event)
    db.session.commit()
    return get_registration(registration_id, user)


def _cancel_locked(registration, event, now):
    if registration.holds_seats:
        event.seats_taken -= registration.quantity
    elif registration.status == "waitlisted":
        event.waitlist_count -= 1
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.offer_expires_at = None


def cancel_all_for_event(event):
    """The event was cancelled: cancel every active registration (caller holds the change)."""
    now = utcnow()
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status.in_(ACTIVE_STATUSES))
        .options(joinedload(Registration.user))
    ).all()
    for registration in registrations:
        _cancel_locked(registration, event, now)
    return registrations


def release_registrations_of(user):
    """The account is being deleted: free its seats and waitlist places, event by event.

    Runs in the deletion's transaction; promotion of the freed seats follows the commit.
    """
    event_ids = sorted(db.session.scalars(
        select(Registration.event_id).where(Registration.user_id == user.id,
                                            Registration.status.in_(ACTIVE_STATUSES)).distinct()
    ).all())
    now = utcnow()
    for event_id in event_ids:  # a fixed lock order: no deadlock with another multi-event change
        event = lock_event(event_id)
        for registration in db.session.scalars(
            select(Registration).where(Registration.user_id == user.id, Registration.event_id == event_id,
                                       Registration.status.in_(ACTIVE_STATUSES))
            .execution_options(populate_existing=True)
        ):
            _cancel_locked(registration, event, now)
        schedule_promotion(event)


def accept_offer(user, registration_id):
    """Accept a waitlist offer before it expires: confirmed with tickets; 409 otherwise."""
    registration, event = _locked_registration(registration_id, user)
    now = utcnow()
    if registration.status != "offered":
        raise Conflict(f"There is no open offer: the registration is {registration.status}.")
    if registration.offer_expires_at <= now:
        _serve_waitlist_locked(event, now)
        db.session.commit()
        raise Conflict("The offer has expired and the seats went to the next in line.")
    _confirm(registration, event, now)
    _announce(registration, "confirmed")
    db.session.commit()
    return get_registration(registration_id, user)


# --- tickets and check-in ----------------------------------------------------------------

def get_ticket(code, user):
    """A ticket its owner, the event's organizer or an admin may see; 404 for anyone else."""
    normalized = normalize_ticket_code(code or "")
    ticket = None
    if normalized:
        ticket = db.session.scalars(
            select(Ticket).where(Ticket.code == normalized)
            .options(joinedload(Ticket.registration).joinedload(Registration.event),
                     joinedload(Ticket.registration).joinedload(Registration.user))
        ).first()
    if ticket is None or not (ticket.registration.user_id == user.id
                              or can_manage(user, ticket.registration.event)):
        raise NotFound("Ticket not found.")
    return ticket


def check_in(user, event_id, code, nonce=None):
    """Mark a ticket used at the door; a retried scan with the same nonce gets the same answer."""
    event = get_event_to_manage(event_id, user)
    normalized = normalize_ticket_code(code)
    ticket = None
    if normalized:
        ticket = db.session.scalars(
            select(Ticket).where(Ticket.code == normalized)
            .options(joinedload(Ticket.registration).joinedload(Registration.user))
        ).first()
    if ticket is None or ticket.event_id != event.id:
        raise NotFound("No ticket with this code for this event.")
    if ticket.registration.status != "confirmed":
        raise Conflict(f"This ticket's registration is {ticket.registration.status}.")
    now = utcnow()
    # Atomic: of two simultaneous scans exactly one marks the ticket.
    still_confirmed = select(Registration.id).where(Registration.id == Ticket.registration_id,
                                                    Registration.status == "confirmed").exists()
    marked = db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.checked_in_at.is_(None), still_confirmed)
        .values(checked_in_at=now, check_in_nonce=nonce)
    ).rowcount
    if marked == 1:
        db.session.execute(update(Event).where(Event.id == event.id)
                           .values(checked_in_count=Event.checked_in_count + 1))
        db.session.commit()
    else:
        db.session.rollback()
    db.session.refresh(ticket)
    db.session.refresh(ticket.registration)
    if marked != 1 and ticket.registration.status != "confirmed":
        raise Conflict(f"This ticket's registration is {ticket.registration.status}.")
    if marked != 1 and not (nonce and ticket.check_in_nonce == nonce):
        when = ticket.checked_in_at.isoformat()
        raise Conflict(f"Ticket already checked in at {when}.",
                       {"json": {"code": [f"Already checked in at {when}."]}})
    return ticket


# --- organizer figures -------------------------------------------------------------------

def registration_figures(event):
    """Registrations by status and per day (UTC), for the organizer's stats."""
    by_status = dict(db.session.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all())
    created = _count_per_day(event, Registration.created_at)
    cancelled = _count_per_day(event, Registration.cancelled_at)
    days = sorted(set(created) | set(cancelled))
    return {
        "cancellations": by_status.get("cancelled", 0),
        "registrations": {status: by_status.get(status, 0) for status in STATUSES},
        "registrations_per_day": [{"date": day, "count": created.get(day, 0),
                                   "cancellations": cancelled.get(day, 0)} for day in days],
    }


def _count_per_day(event, column):
    rows = db.session.execute(
        select(column).where(Registration.event_id == event.id, column.is_not(None))
    ).scalars().all()
    counts = {}
    for moment in rows:  # grouped here: one small query, same on SQLite and PostgreSQL
        day = moment.date()
        counts[day] = counts.get(day, 0) + 1
    return counts


# --- telling people ----------------------------------------------------------------------

def _announce(registration, kind):
    """Tell the attendee what happened to their registration (queued with the change)."""
    from kijani.registrations.notify import announce_registration

    announce_registration(registration, kind)


def parse_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Not found.") from None
