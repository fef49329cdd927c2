"""Celery entry point: `celery -A celery_worker worker` and `celery -A celery_worker beat`."""

from kijani import create_app

flask_app = create_app()
app = celery = flask_app.extensions["celery"]
