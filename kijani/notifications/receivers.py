"""How notifications react to what happens to events (signals sent by the events domain)."""

from kijani.events.services import schedule_changed
from kijani.notifications.services import notify_schedule_change


def tell_registrants_of_schedule_change(sender, event, changes, **kwargs):
    notify_schedule_change(event, changes)


def connect_receivers():
    """Subscribe to the events domain's signals (idempotent)."""
    schedule_changed.connect(tell_registrants_of_schedule_change)
