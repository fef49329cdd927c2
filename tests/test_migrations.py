"""Alembic: upgrade from an empty database, then `flask db check` finds no drift."""

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kijani import create_app
from tests.conftest import DATABASE_URL, ON_POSTGRES, base_config


@pytest.fixture
def empty_database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"kijani_migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(DATABASE_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_then_check_reports_no_drift(empty_database_url, tmp_path_factory, smtp_server):
    app = create_app(base_config(tmp_path_factory, smtp_server, SQLALCHEMY_DATABASE_URI=empty_database_url))
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    engine = create_engine(empty_database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "token_families", "refresh_tokens", "one_time_codes", "outbox_emails",
            "alembic_version"} <= tables
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
    assert check.exception is None
    # and the check is able to fail: drift made by hand is reported
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_token_families_user_id"))
    engine.dispose()
    drifted = runner.invoke(args=["db", "check"])
    assert drifted.exit_code != 0
    assert isinstance(drifted.exception, SystemExit)
    with app.app_context():
        from kijani.extensions import db

        db.engine.dispose()


def test_downgrade_to_base_and_back(empty_database_url, tmp_path_factory, smtp_server):
    app = create_app(base_config(tmp_path_factory, smtp_server, SQLALCHEMY_DATABASE_URI=empty_database_url))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    down = runner.invoke(args=["db", "downgrade", "base"])
    assert down.exit_code == 0, down.output
    engine = create_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        from kijani.extensions import db

        db.engine.dispose()
