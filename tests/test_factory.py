"""Configuration: environments, secrets, defaults and the variables SPEC names."""

import pytest

from config import INSTANCE_DIR, config_for
from kijani import create_app
from kijani.auth.passwords import hash_password


def test_testing_config(app):
    assert app.config["TESTING"] is True
    assert app.config["ENV_NAME"] == "testing"


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, JWT_SECRET_KEY"):
        create_app("production")


def test_production_starts_with_secrets_and_requires_verification(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app("production")
    assert app.config["KIJANI_REQUIRE_EMAIL_VERIFICATION"] is True
    assert app.config["DEBUG"] is False


def test_production_password_hashes_are_argon2id_with_a_strong_cost(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app("production")
    with app.app_context():
        hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    settings = dict(item.split("=") for item in hashed.split("$")[3].split(","))
    assert int(settings["m"]) >= 64 * 1024 and int(settings["t"]) >= 3


def test_development_defaults(monkeypatch):
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "KIJANI_REQUIRE_EMAIL_VERIFICATION",
                 "KIJANI_RATELIMIT_ENABLED", "REDIS_URL", "JWT_ACCESS_MINUTES", "JWT_REFRESH_DAYS"):
        monkeypatch.delenv(name, raising=False)
    config = config_for("development")
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{INSTANCE_DIR / 'kijani.db'}"
    assert config.CELERY["broker_url"] == f"sqla+sqlite:///{INSTANCE_DIR / 'broker.db'}"
    assert config.KIJANI_REQUIRE_EMAIL_VERIFICATION is False
    assert config.RATELIMIT_ENABLED is True
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 15 * 60
    assert config.JWT_REFRESH_TOKEN_EXPIRES.days == 7
    assert config.KIJANI_MAIL_BACKEND == "console"


def test_environment_variables_drive_the_config(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/kijani")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://cache.example:6379/1")
    monkeypatch.setenv("KIJANI_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("JWT_ACCESS_MINUTES", "5")
    monkeypatch.setenv("JWT_REFRESH_DAYS", "30")
    monkeypatch.setenv("KIJANI_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("KIJANI_SMTP_PORT", "587")
    monkeypatch.setenv("KIJANI_SMTP_TLS", "true")
    monkeypatch.setenv("KIJANI_CORS_ORIGINS", "https://a.example,https://b.example")
    config = config_for("development")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db.example:5432/kijani"
    assert config.RATELIMIT_STORAGE_URI == "redis://cache.example:6379/0"
    assert config.CELERY["broker_url"] == "redis://cache.example:6379/1"
    assert config.CELERY["broker_transport_options"]["visibility_timeout"] == 3600
    assert config.RATELIMIT_ENABLED is False
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 300
    assert config.JWT_REFRESH_TOKEN_EXPIRES.days == 30
    assert (config.KIJANI_MAIL_BACKEND, config.KIJANI_SMTP_PORT, config.KIJANI_SMTP_TLS) == ("smtp", 587, True)
    assert config.KIJANI_CORS_ORIGINS == "https://a.example,https://b.example"


def test_celery_is_configured_for_reliability():
    celery = config_for("development").CELERY
    assert celery["task_acks_late"] is True
    assert celery["task_reject_on_worker_lost"] is True
    assert celery["task_time_limit"] > celery["task_soft_time_limit"] > 0


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="KIJANI_ENV"):
        config_for("staging")
