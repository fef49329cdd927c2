"""Celery tasks delivering the outbox."""

from celery import shared_task

from kijani.mail import services


@shared_task(name="kijani.mail.tasks.deliver_email")
def deliver_email(email_id):
    """Deliver one outbox mail; failures are rescheduled in the outbox, not lost."""
    return services.deliver_email(email_id)


@shared_task(name="kijani.mail.tasks.drain_outbox")
def drain_outbox():
    """Deliver outbox mails whose task never ran."""
    return services.drain_outbox()
