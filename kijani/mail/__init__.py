"""Transactional email: an outbox written with the change, delivered by Celery over SMTP."""
