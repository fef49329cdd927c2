"""Celery tasks of the waitlist: promotion after a change, and the repairing sweep."""

from celery import shared_task

from kijani.registrations import services


@shared_task(name="kijani.registrations.tasks.promote_waitlist")
def promote_waitlist_task(event_id):
    """Promote what fits on one event's waitlist (run after the change commits)."""
    return services.promote_waitlist(services.parse_uuid(event_id))


@shared_task(name="kijani.registrations.tasks.sweep_waitlists")
def sweep_waitlists_task():
    """Repair waitlists a lost task missed and expire old offers."""
    return services.sweep_waitlists()
