"""How registrations react to what happens to events (signals sent by the events domain)."""

from kijani.auth.services import account_deleting
from kijani.events.services import capacity_raised, event_cancelled, stats_requested
from kijani.registrations import services
from kijani.registrations.notify import announce_registration


def promote_after_capacity_raise(sender, event, old_capacity, **kwargs):
    """More seats: the waitlist moves up once the change commits."""
    services.schedule_promotion(event)


def cancel_registrations(sender, event, **kwargs):
    """The event is cancelled: every active registration is, and each registrant is told."""
    locked = services.lock_event(event.id)
    for registration in services.cancel_all_for_event(locked):
        announce_registration(registration, "event_cancelled")


def release_seats_of_deleted_account(sender, user, **kwargs):
    """An account is going: its seats go back to the waitlist."""
    services.release_registrations_of(user)


def report_figures(sender, event, **kwargs):
    """The registration side of GET /events/{id}/stats."""
    return services.registration_figures(event)


def connect_receivers():
    """Subscribe to the events domain's signals (idempotent)."""
    capacity_raised.connect(promote_after_capacity_raise)
    event_cancelled.connect(cancel_registrations)
    stats_requested.connect(report_figures)
    account_deleting.connect(release_seats_of_deleted_account)
