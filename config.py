"""Environment-driven configuration: Config plus Development, Testing and Production."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_bool(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = _env(name)
    return default if value is None else int(value)


class Config:
    """Settings shared by every environment; each property reads the environment when the app is built."""

    ENV_NAME = "development"
    DEBUG = False
    TESTING = False
    JSON_SORT_KEYS = False
    MAX_CONTENT_LENGTH = 1024 * 1024  # SPEC: bodies over 1 MiB are a 413

    API_TITLE = "Kijani Event API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by the app itself from the swagger-ui-bundle package: the page works offline.
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
    ETAG_ENABLED = True
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "Kijani: publish community events, register several tickets at once, "
                "wait on a fair waitlist, get notified, check in and leave feedback. "
                "Errors always have the shape `{code, status, message, errors?}`."
            ),
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }

    SQLALCHEMY_RECORD_QUERIES = False

    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "message"

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_HEADER_RETRY_AFTER_VALUE = "delta-seconds"
    RATELIMIT_KEY_PREFIX = "kijani"
    #: per client IP and per account on login, sign-up, verification and password reset
    KIJANI_RATELIMIT_AUTH_IP = "20 per minute"
    KIJANI_RATELIMIT_AUTH_ACCOUNT = "5 per minute"

    #: argon2id cost (RFC 9106 "second recommended option": 64 MiB, 3 passes)
    KIJANI_ARGON2_TIME_COST = 3
    KIJANI_ARGON2_MEMORY_KIB = 64 * 1024
    KIJANI_ARGON2_PARALLELISM = 4

    KIJANI_CODE_TTL_MINUTES = 15
    KIJANI_CODE_MAX_ATTEMPTS = 5

    @property
    def SECRET_KEY(self):
        return _env("SECRET_KEY", "dev-secret-key-change-me")

    @property
    def JWT_SECRET_KEY(self):
        return _env("JWT_SECRET_KEY", "dev-jwt-secret-change-me-please-32b")

    @property
    def JWT_ACCESS_TOKEN_EXPIRES(self):
        return timedelta(minutes=_env_int("JWT_ACCESS_MINUTES", 15))

    @property
    def JWT_REFRESH_TOKEN_EXPIRES(self):
        return timedelta(days=_env_int("JWT_REFRESH_DAYS", 7))

    @property
    def SQLALCHEMY_DATABASE_URI(self):
        url = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kijani.db'}")
        # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self):
        options = {"pool_pre_ping": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # Every gunicorn thread holds a connection for its request: never wait for one.
            options.update(pool_size=max(5, _env_int("GUNICORN_THREADS", 4)), max_overflow=5)
        return options

    @property
    def REDIS_URL(self):
        return _env("REDIS_URL")

    @property
    def RATELIMIT_STORAGE_URI(self):
        return self.REDIS_URL or "memory://"

    @property
    def RATELIMIT_ENABLED(self):
        return _env_bool("KIJANI_RATELIMIT_ENABLED", True)

    @property
    def CELERY(self):
        broker = _env("CELERY_BROKER_URL", f"sqla+sqlite:///{INSTANCE_DIR / 'broker.db'}")
        transport_options = {}
        if broker.startswith(("redis://", "rediss://")):
            # A task unacknowledged for this long (worker crashed) is delivered again.
            transport_options["visibility_timeout"] = 3600
        return {
            "broker_url": broker,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": transport_options,
            "broker_connection_timeout": 3,
            # Publishing must not hang a request when the broker is down: the outbox and
            # the sweeps deliver later.
            "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                          "interval_step": 0.2, "interval_max": 0.2},
            "task_soft_time_limit": 60,
            "task_time_limit": 90,
            "timezone": "UTC",
            "worker_redirect_stdouts_level": "INFO",
            "beat_schedule_filename": str(INSTANCE_DIR / "celerybeat-schedule"),
        }

    @property
    def KIJANI_CORS_ORIGINS(self):
        return _env("KIJANI_CORS_ORIGINS", "*")

    @property
    def KIJANI_SMTP_HOST(self):
        return _env("KIJANI_SMTP_HOST")

    @property
    def KIJANI_SMTP_PORT(self):
        return _env_int("KIJANI_SMTP_PORT", 25)

    @property
    def KIJANI_SMTP_USER(self):
        return _env("KIJANI_SMTP_USER")

    @property
    def KIJANI_SMTP_PASSWORD(self):
        return _env("KIJANI_SMTP_PASSWORD")

    @property
    def KIJANI_SMTP_TLS(self):
        return _env_bool("KIJANI_SMTP_TLS", False)

    @property
    def KIJANI_MAIL_FROM(self):
        return _env("KIJANI_MAIL_FROM", "Kijani <no-reply@kijani.local>")

    @property
    def KIJANI_MAIL_BACKEND(self):
        # SMTP as soon as a host is configured; otherwise mails are printed to the console.
        return "smtp" if self.KIJANI_SMTP_HOST else "console"

    @property
    def KIJANI_PUBLIC_URL(self):
        return _env("KIJANI_PUBLIC_URL", "http://localhost:5000")

    @property
    def KIJANI_REQUIRE_EMAIL_VERIFICATION(self):
        return _env_bool("KIJANI_REQUIRE_EMAIL_VERIFICATION", False)

    @property
    def KIJANI_EVENTS_CACHE_SECONDS(self):
        # Public event reads are cached in Redis (REDIS_URL) and invalidated by every write;
        # this bounds how long an entry stays (and so how long an event that has just
        # started may still be listed as upcoming). 0 turns the cache off.
        return _env_int("KIJANI_EVENTS_CACHE_SECONDS", 60)

    @property
    def KIJANI_BENCH_CEILING(self):
        # `make bench` only: adds GET /bench/ceiling, the baseline every endpoint is compared to.
        return _env_bool("KIJANI_BENCH_CEILING", False)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # Cheap hashing keeps the suite fast; production cost is asserted in test_factory.
    KIJANI_ARGON2_TIME_COST = 1
    KIJANI_ARGON2_MEMORY_KIB = 1024
    KIJANI_ARGON2_PARALLELISM = 1

    @property
    def RATELIMIT_ENABLED(self):
        return _env_bool("KIJANI_RATELIMIT_ENABLED", False)


class ProductionConfig(Config):
    ENV_NAME = "production"

    @property
    def SECRET_KEY(self):
        return _env("SECRET_KEY")

    @property
    def JWT_SECRET_KEY(self):
        return _env("JWT_SECRET_KEY")

    @property
    def KIJANI_REQUIRE_EMAIL_VERIFICATION(self):
        return _env_bool("KIJANI_REQUIRE_EMAIL_VERIFICATION", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name=None):
    """Return the config object for KIJANI_ENV (or the given name)."""
    name = (name or _env("KIJANI_ENV", "development")).lower()
    if name not in CONFIGS:
        raise RuntimeError(f"KIJANI_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]()
