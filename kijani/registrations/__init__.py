"""Registrations: capacity that never oversells, tickets, the waitlist and check-in."""


def init_app(app):
    """Connect the domain's signal receivers."""
    from kijani.registrations.receivers import connect_receivers

    connect_receivers()
