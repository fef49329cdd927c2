"""Feedback: attendees rate an event (1 to 5) once it has ended."""


def init_app(app):
    """Connect the domain's signal receivers."""
    from kijani.feedback.services import connect_receivers

    connect_receivers()
