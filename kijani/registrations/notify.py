"""What attendees are told when their registration changes (in-app and by mail)."""

from kijani.notifications.services import notify

KINDS = {
    "confirmed": "registration_confirmed",
    "waitlisted": "registration_waitlisted",
    "promoted": "registration_promoted",
    "offered": "waitlist_offer",
    "offer_expired": "offer_expired",
    "event_cancelled": "event_cancelled",
}


def announce_registration(registration, kind):
    """Notify the registrant in the current transaction (mail only if they want mail)."""
    notify(registration.user, KINDS[kind], event=registration.event, registration=registration)
