"""flask seed: demo categories and events, and `--events N` bulk data; all idempotent."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from kijani.events.models import Category, Event, EventTag
from kijani.extensions import db
from kijani.seed import DEMO_CATEGORIES


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
