"""Celery tasks of notifications: the reminder sweep beat runs."""

from celery import shared_task

from kijani.notifications import services


@shared_task(name="kijani.notifications.tasks.send_reminders")
def send_reminders_task():
    """Reminders, organizer digests and feedback invitations that are due now."""
    return services.send_reminders()
