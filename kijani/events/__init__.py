"""Events domain: categories, events, search, recurrence and calendar export."""


def init_app(app):
    """Connect the domain's signal receivers (account deletion guard)."""
    from kijani.events.services import connect_receivers

    connect_receivers()
