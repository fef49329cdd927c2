"""WSGI entry point: `gunicorn wsgi:app`."""

from kijani import create_app

app = create_app()
