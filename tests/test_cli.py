"""flask create-admin and flask seed (users)."""

from sqlalchemy import func, select

from kijani.auth.models import User
from kijani.extensions import db


def test_create_admin_with_password(runner, app):
    result = runner.invoke(args=["create-admin", "--email", "Root@Example.org", "--username", "root",
                                 "--password", "a good admin passphrase"])
    assert result.exit_code == 0, result.output
    assert "Admin root <root@example.org> created" in result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.role, user.email_verified) == ("admin", True)


def test_create_admin_prompts_for_password(runner, app):
    result = runner.invoke(args=["create-admin", "--email", "root@example.org", "--username", "root"],
                           input="a good admin passphrase\na good admin passphrase\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(User)).one().role == "admin"


def test_create_admin_bad_input_exits_non_zero_with_one_line(runner, app):
    weak = runner.invoke(args=["create-admin", "--email", "root@example.org", "--username", "root",
                               "--password", "123"])
    assert weak.exit_code == 1
    assert weak.output.strip().startswith("Error:") and "\n" not in weak.output.strip()
    bad_email = runner.invoke(args=["create-admin", "--email", "nope", "--username", "root",
                                    "--password", "a good admin passphrase"])
    assert bad_email.exit_code == 1 and "email" in bad_email.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_duplicate_exits_non_zero(runner):
    args = ["create-admin", "--email", "root@example.org", "--username", "root",
            "--password", "a good admin passphrase"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already exists" in again.output


def test_seed_users_is_idempotent(runner, app):
    first = runner.invoke(args=["seed", "users"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
        roles = set(db.session.scalars(select(User.role)))
    assert count >= 5 and roles == {"admin", "organizer", "attendee"}
    second = runner.invoke(args=["seed", "users"])
    assert "0 created" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count


def test_seeded_demo_user_can_log_in(runner, client):
    from kijani.seed import DEMO_PASSWORD

    runner.invoke(args=["seed", "users"])
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 200
