"""Notifications: in-app messages, reminder and digest emails, and the unsubscribe link."""


def init_app(app):
    """Connect the domain's signal receivers."""
    from kijani.notifications.receivers import connect_receivers

    connect_receivers()
