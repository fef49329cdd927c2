"""Send Celery tasks only once the database transaction that asked for them has committed."""

import logging

from flask import current_app
from sqlalchemy import event

log = logging.getLogger(__name__)

_KEY = "kijani_after_commit"


def enqueue_after_commit(session, task, *args):
    """Queue `task.delay(*args)` to run after `session` commits; dropped on rollback.

    A broker that is down only logs a warning: whatever must happen is already in the
    database (outbox rows, waitlist state) and the periodic sweeps pick it up.
    """
    session.info.setdefault(_KEY, []).append((task, args))


def _send(task, args):
    try:
        # The Flask app's own Celery app: shared tasks would otherwise follow whichever
        # Celery app was created last (several apps live side by side in tests).
        current_app.extensions["celery"].tasks[task.name].delay(*args)
    except Exception as exc:  # the broker is down or misconfigured; the sweep repairs it
        log.warning("Could not enqueue %s%r (%s: %s); the periodic sweep will retry",
                    task.name, args, type(exc).__name__, exc)


def _after_commit(session):
    for task, args in session.info.pop(_KEY, []):
        _send(task, args)


def _after_soft_rollback(session, previous_transaction):
    session.info.pop(_KEY, None)


def init_session_hooks(session_factory):
    """Hook the after-commit queue into a (scoped) session, once."""
    if not event.contains(session_factory, "after_commit", _after_commit):
        event.listen(session_factory, "after_commit", _after_commit)
        event.listen(session_factory, "after_soft_rollback", _after_soft_rollback)
