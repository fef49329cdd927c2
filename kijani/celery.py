"""Celery wired per Flask's documented pattern: tasks run inside an app context."""

from celery import Celery, Task
from celery.schedules import crontab


def celery_init_app(app):
    """Create the Celery app from app.config["CELERY"] and store it in app.extensions."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.setdefault("beat_schedule", {})
    celery_app.conf.beat_schedule.update(
        {
            # Outbox drain: mails whose task was lost (broker down, worker crash).
            "drain-outbox": {"task": "kijani.mail.tasks.drain_outbox", "schedule": crontab()},
            # Waitlist repair: promotions a lost task missed, and offers that ran out.
            "sweep-waitlists": {"task": "kijani.registrations.tasks.sweep_waitlists",
                                "schedule": crontab()},
            # Reminders 24 h and 1 h before, organizer digests, feedback invitations.
            "send-reminders": {"task": "kijani.notifications.tasks.send_reminders",
                               "schedule": crontab()},
        }
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
