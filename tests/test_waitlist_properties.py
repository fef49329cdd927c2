"""Property-based tests of the waitlist: random register/cancel/change/capacity sequences.

After every step (and the promotion that follows it) the invariants hold: confirmed and
offered seats never exceed capacity, the event's counters match the rows, and no
waitlisted registration that fits the free seats is left waiting. And promotion is fair:
whenever a later registration was promoted, every earlier one still waiting did not fit.
"""

import os
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kijani.auth.models import User
from kijani.common.errors import Conflict
from kijani.events import services as event_services
from kijani.events.models import Event
from kijani.extensions import db
from kijani.registrations import services
from kijani.registrations.models import Registration
from tests.factories import create_event

USERS = 5
EXAMPLES = int(os.environ.get("KIJANI_PROPERTY_EXAMPLES", "150"))

# Small capacities and quantities make full events, long waitlists and partial fits common.
operation = st.one_of(
    st.tuples(st.just("register"), st.integers(0, USERS - 1), st.integers(1, 3)),
    st.tuples(st.just("cancel"), st.integers(0, USERS - 1), st.just(0)),
    st.tuples(st.just("change"), st.integers(0, USERS - 1), st.integers(1, 3)),
    st.tuples(st.just("capacity"), st.just(0), st.integers(1, 8)),
)


def waitlist_snapshot(event_id):
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event_id)
        .order_by(Registration.queued_at, Registration.id)
        .execution_options(populate_existing=True)
    ).all()
    return {r.id: (r.status, r.quantity) for r in rows}, rows


def assert_invariants(event_id, before):
    event = db.session.get(Event, event_id, populate_existing=True)
    after, rows = waitlist_snapshot(event_id)
    seated = sum(r.quantity for r in rows if r.status in ("confirmed", "offered"))
    waiting = [r for r in rows if r.status == "waitlisted"]
    assert seated <= event.capacity
    assert event.seats_taken == seated
    assert event.waitlist_count == len(waiting)
    free = event.capacity - seated
    assert all(r.quantity > free for r in waiting)
    for registration in rows:
        if registration.status == "confirmed":
            assert len(registration.tickets) == registration.quantity
    # fairness: a promotion in this step never jumped an earlier registration that fitted
    promoted = [r for r in rows if before.get(r.id, ("new",))[0] == "waitlisted"
                and r.status in ("confirmed", "offered")]
    for late in promoted:
        for early in waiting:
            if (early.queued_at, str(early.id)) < (late.queued_at, str(late.id)):
                # early was skipped with at least `free + late.quantity` seats still free
                assert early.quantity > free + late.quantity


def test_waitlist_invariants_hold_for_any_sequence(app, make_user):
    organizer = make_user(role="organizer")
    users = [make_user() for _ in range(USERS)]
    with app.app_context():
        # in-app only: the property is about seats, and SMTP round trips would slow each example
        for user in users:
            db.session.get(User, uuid.UUID(user["id"])).email_notifications = False
        db.session.commit()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    # A crowd registers first (filling the event and forming a waitlist of mixed sizes),
    # then random steps run.
    @given(crowd=st.lists(st.integers(1, 3), min_size=2, max_size=USERS),
           steps=st.lists(operation, min_size=1, max_size=30), capacity=st.integers(2, 5))
    def run(crowd, steps, capacity):
        event_id = uuid.UUID(create_event(app, organizer, capacity=capacity, max_tickets_per_registration=4))
        with app.app_context():
            people = [db.session.get(User, uuid.UUID(u["id"])) for u in users]
            owner = db.session.get(User, uuid.UUID(organizer["id"]))
            mine = {}
            steps = [("register", who, quantity) for who, quantity in enumerate(crowd)] + steps
            for kind, who, amount in steps:
                before, _ = waitlist_snapshot(event_id)
                user = people[who]
                try:
                    if kind == "register":
                        mine[who] = services.register_for_event(user, event_id, amount).id
                    elif kind == "cancel" and who in mine:
                        services.cancel_registration(user, mine[who])
                    elif kind == "change" and who in mine:
                        services.change_quantity(user, mine[who], amount)
                    elif kind == "capacity":
                        event = event_services.get_event_to_manage(event_id, owner)
                        event_services.update_event(event, {"capacity": amount})
                except Conflict:
                    db.session.rollback()  # a refused step (full, duplicate, below seats taken…) changes nothing
                assert_invariants(event_id, before)

    run()
