"""flask seed: demo categories and events, and `--events N` bulk data; all idempotent."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from kijani.auth.models import User
from kijani.events.models import Category, Event, EventTag
from kijani.extensions import db
from kijani.seed import DEMO_CATEGORIES, DEMO_PASSWORD, DEMO_REGISTRATIONS, _seed_id


def counts(app):
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Category, Event, EventTag)}


def test_seed_creates_categories_and_upcoming_demo_events(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert f"Demo categories: {len(DEMO_CATEGORIES)} created." in result.output
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        assert len(events) >= 30
        assert all(event.starts_at > datetime.now(UTC) for event in events)
        assert {event.status for event in events} == {"published"}
        cities = {event.location.rsplit(", ", 1)[-1] for event in events}
        assert {"Nairobi", "Lagos", "Accra", "Kampala", "Kigali", "Cape Town", "Addis Ababa",
                "Dar es Salaam"} <= cities
        assert len({event.series_id for event in events if event.series_id}) == 1


def test_seed_twice_creates_nothing_the_second_time(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    before = counts(app)
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert "Demo categories: 0 created." in second.output and "Demo events: 0 created." in second.output
    assert counts(app) == before


def test_seeded_events_are_listed_and_searchable(runner, client):
    runner.invoke(args=["seed"])
    assert len(client.get("/api/v1/events?page_size=100").json) >= 30
    found = client.get("/api/v1/events", query_string={"q": "python nairobi"}).json
    assert found and all("Nairobi" in event["location"] for event in found)


def test_seed_events_option_bulk_inserts_n_events_once(app, runner):
    runner.invoke(args=["seed"])
    demo = counts(app)["Event"]
    first = runner.invoke(args=["seed", "--events", "200"])
    assert first.exit_code == 0, first.output
    assert "Bulk events: 200 created" in first.output
    assert counts(app)["Event"] == demo + 200
    again = runner.invoke(args=["seed", "--events", "200"])
    assert "Bulk events: 0 created" in again.output
    assert counts(app)["Event"] == demo + 200


def test_a_larger_n_only_adds_the_missing_events(app, runner):
    runner.invoke(args=["seed", "--events", "120"])
    result = runner.invoke(args=["seed", "--events", "150"])
    assert "Bulk events: 30 created (120 already there)." in result.output


def test_bulk_events_are_varied(app, runner):
    runner.invoke(args=["seed", "--events", "200"])
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        assert len({event.category_id for event in events}) >= 8
        assert len({event.organizer_id for event in events}) >= 10
        assert len({event.timezone for event in events}) >= 8
        assert {event.status for event in events} == {"published", "draft", "cancelled"}
        starts = [event.starts_at for event in events]
        assert (max(starts) - min(starts)).days > 365
        assert db.session.scalar(select(func.count(func.distinct(EventTag.tag)))) >= 20


def test_seed_events_rejects_a_negative_count_in_one_line(app, runner):
    result = runner.invoke(args=["seed", "--events", "-5"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error:") and "\n" not in result.output.strip()
    assert counts(app)["Event"] == 0


def test_seed_users_subcommand_still_works(app, runner):
    result = runner.invoke(args=["seed", "users"])
    assert result.exit_code == 0 and "Demo users:" in result.output
    assert counts(app)["Event"] == 0


# --- registrations: demo and bulk ------------------------------------------------------

def registration_invariants(app):
    """Every broken rule as a list of strings: capacity, counters, tickets, one active per pair."""
    from kijani.registrations.models import ACTIVE_STATUSES, Registration, Ticket

    problems = []
    with app.app_context():
        registrations = db.session.scalars(select(Registration)).all()
        tickets = {}
        for registration_id in db.session.scalars(select(Ticket.registration_id)):
            tickets[registration_id] = tickets.get(registration_id, 0) + 1
        codes = db.session.scalars(select(Ticket.code)).all()
        if len(codes) != len(set(codes)):
            problems.append("duplicate ticket codes")
        pairs = [(r.user_id, r.event_id) for r in registrations if r.status in ACTIVE_STATUSES]
        if len(pairs) != len(set(pairs)):
            problems.append("two active registrations for one user and event")
        for event in db.session.scalars(select(Event)):
            mine = [r for r in registrations if r.event_id == event.id]
            seated = sum(r.quantity for r in mine if r.status in ("confirmed", "offered"))
            waiting = sum(1 for r in mine if r.status == "waitlisted")
            if not seated == event.seats_taken <= event.capacity:
                problems.append(f"{event.title}: seats {seated}/{event.seats_taken}/{event.capacity}")
            if waiting != event.waitlist_count:
                problems.append(f"{event.title}: waitlist {waiting}/{event.waitlist_count}")
        for registration in registrations:
            if registration.status == "confirmed" and tickets.get(registration.id, 0) != registration.quantity:
                problems.append(f"registration {registration.id}: tickets")
    return problems


def status_counts(app):
    from kijani.registrations.models import Registration

    with app.app_context():
        return dict(db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)).all())


def test_seed_registers_demo_attendees_and_fills_one_event_with_a_waitlist(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert f"Demo registrations: {len(DEMO_REGISTRATIONS)} created." in result.output
    assert registration_invariants(app) == []
    assert status_counts(app) == {"confirmed": len(DEMO_REGISTRATIONS) - 2, "waitlisted": 2}
    with app.app_context():
        book_club = db.session.get(Event, _seed_id("demo", 20))
        assert (book_club.seats_taken, book_club.capacity, book_club.waitlist_count) == (10, 10, 2)


def test_seed_twice_registers_nobody_again(app, runner):
    runner.invoke(args=["seed"])
    before = status_counts(app)
    second = runner.invoke(args=["seed"])
    assert "Demo registrations: 0 created." in second.output
    assert status_counts(app) == before


def test_seed_users_option_bulk_inserts_attendees_sharing_one_hash(app, runner):
    first = runner.invoke(args=["seed", "--users", "30"])
    assert first.exit_code == 0, first.output
    assert "Bulk users: 30 created (0 already there)." in first.output
    with app.app_context():
        bulk = db.session.scalars(select(User).where(User.email.like("%@users.kijani.example"))).all()
        assert len(bulk) == 30
        assert {user.role for user in bulk} == {"attendee"}
        assert len({user.password_hash for user in bulk}) == 1
        assert len({user.display_name for user in bulk}) == 30
    again = runner.invoke(args=["seed", "--users", "40"])
    assert "Bulk users: 10 created (30 already there)." in again.output


def test_bulk_attendees_can_sign_in_with_the_demo_password(app, runner, client):
    runner.invoke(args=["seed", "--users", "3"])
    response = client.post("/api/v1/auth/login",
                           json={"email": "amina.00001@users.kijani.example", "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.json


def test_seed_registrations_option_keeps_every_registration_rule(app, runner):
    result = runner.invoke(args=["seed", "--events", "80", "--users", "40", "--registrations", "600"])
    assert result.exit_code == 0, result.output
    assert "Bulk registrations: 600 created (0 already there)." in result.output
    assert registration_invariants(app) == []
    counts = status_counts(app)
    assert sum(counts.values()) == 600 + len(DEMO_REGISTRATIONS)
    assert counts["confirmed"] > 300 and counts["waitlisted"] > 10 and counts["cancelled"] > 10
    with app.app_context():
        from kijani.registrations.models import Registration

        assert db.session.scalar(select(func.count(func.distinct(Registration.event_id)))) > 40
        assert db.session.scalar(select(func.count(func.distinct(Registration.user_id)))) > 30


def test_seed_registrations_twice_creates_nothing_and_keeps_the_counters(app, runner):
    runner.invoke(args=["seed", "--events", "50", "--users", "20", "--registrations", "200"])
    with app.app_context():
        before = db.session.execute(select(func.sum(Event.seats_taken), func.sum(Event.waitlist_count))).one()
    again = runner.invoke(args=["seed", "--events", "50", "--users", "20", "--registrations", "200"])
    assert "Bulk registrations: 0 created (200 already there)." in again.output
    more = runner.invoke(args=["seed", "--registrations", "260"])
    assert "Bulk registrations: 60 created (200 already there)." in more.output
    assert registration_invariants(app) == []
    with app.app_context():
        after = db.session.execute(select(func.sum(Event.seats_taken), func.sum(Event.waitlist_count))).one()
    assert after[0] >= before[0]


def test_seed_registrations_without_generated_users_fails_in_one_line(app, runner):
    result = runner.invoke(args=["seed", "--events", "10", "--registrations", "5"])
    assert result.exit_code == 1
    assert "Error: no generated users to register: seed --users first" in result.output


def test_bulk_options_refuse_a_subcommand(app, runner):
    result = runner.invoke(args=["seed", "--users", "5", "users"])
    assert result.exit_code == 1 and "--users goes without a subcommand" in result.output
