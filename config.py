"""Configuration read from the environment, with explicit defaults.

Development is the embedded default (SQLite in instance/, console email, payments off unless Stripe
keys are set). Production refuses to start on a setting that would quietly weaken it
(`production_problems`); an unknown HOMEOSTASIS_ENV is refused everywhere. Testing subclasses Development.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL") or default
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'homeostasis.sqlite3'}")
    # hide_parameters: a failing statement's error (and so the log) shows the SQL, never the values bound
    # to it, which may be intake answers or emails.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (and X-Request-ID):
    # with N, werkzeug's ProxyFix takes the client address N hops back. 0: no proxy, headers ignored.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    PRACTICE_NAME = os.environ.get("PRACTICE_NAME", "Homeostasis")

    # Sessions: signed cookie holding a server-side session token (see app/web/sessions.py).
    SESSION_COOKIE_NAME = "homeostasis_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # absolute limit
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which itself expires
    WTF_CSRF_SSL_STRICT = True

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis away (crashed, restarting, unreachable): Flask-Limiter counts the same limits in this process
    # instead (logged by the "flask-limiter" logger: "falling back to in-memory storage") and goes back to
    # Redis once it answers a ping again ("Rate limit storage recovered"; it retries after 1, 2, 4 ... 32 s).
    # Any other error of the limiter is logged and the request goes on: a limit is never a 500.
    # The short timeouts, and no retries (redis-py's default retries 3 times with growing pauses), keep an
    # unreachable Redis (no answer rather than a refusal) from holding a sign-in for more than about 1 s
    # (redis-py waits twice: the command, then one reconnection).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": None}

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Homeostasis <no-reply@homeostasis.example>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")

    # How long a worker answers GET /api/v1/slots from its own snapshot before reading the schedule's
    # version again (app/scheduling/cache.py). Its own changes show at once; another worker's within this.
    SLOTS_REVALIDATE_SECONDS = 1.0

    # The practitioner's own calendars (app/calendars). The key encrypts their addresses and passwords
    # (a Fernet key; unset: derived from SECRET_KEY with HKDF). Private and loopback hosts are refused
    # unless allowed (SSRF); development and testing allow them. The sync runs every
    # CALENDAR_SYNC_MINUTES (cron or the task queue): the page promises no sooner than that.
    CALENDAR_ENCRYPTION_KEY = os.environ.get("CALENDAR_ENCRYPTION_KEY") or None
    CALENDAR_ALLOW_PRIVATE_ADDRESSES = _bool("CALENDAR_ALLOW_PRIVATE_ADDRESSES", False)
    CALENDAR_SYNC_MINUTES = int(os.environ.get("CALENDAR_SYNC_MINUTES", "15"))
    # The most one calendar's fetch may take, all requests and redirects together (app/calendars/fetch.py).
    CALENDAR_FETCH_SECONDS = float(os.environ.get("CALENDAR_FETCH_SECONDS", "30"))
    # Consultation types with "a new Jitsi room for each appointment" get rooms under this address
    # (a self-hosted Jitsi Meet works the same way).
    JITSI_BASE_URL = os.environ.get("JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
    # Holding every open time for free (issue 20): one patient may hold at most this many unpaid times
    # at once, per consultation type and in all; and may ask for a booking this often (per account and
    # per IP address; Flask-Limiter's notation, several limits separated by ";").
    HOLDS_PER_TYPE = int(os.environ.get("HOLDS_PER_TYPE", "1"))
    HOLDS_TOTAL = int(os.environ.get("HOLDS_TOTAL", "2"))
    BOOKING_RATE_LIMIT_PATIENT = os.environ.get("BOOKING_RATE_LIMIT_PATIENT", "5 per minute;20 per day")
    BOOKING_RATE_LIMIT_IP = os.environ.get("BOOKING_RATE_LIMIT_IP", "30 per hour")
    # Every action that emails someone (sign-up, forgot password, waitlist join and leave, ...), counted
    # together: per IP address, per signed-in account and per typed address (app/web/limits.py).
    MAIL_RATE_LIMIT_IP = os.environ.get("MAIL_RATE_LIMIT_IP", "10 per minute;50 per day")
    MAIL_RATE_LIMIT_ACCOUNT = os.environ.get("MAIL_RATE_LIMIT_ACCOUNT", "5 per minute;30 per day")
    MAIL_RATE_LIMIT_ADDRESS = os.environ.get("MAIL_RATE_LIMIT_ADDRESS", "3 per minute;10 per day")
    # How long a time offered from the waitlist is held for the patient it is offered to.
    WAITLIST_HOLD_MINUTES = int(os.environ.get("WAITLIST_HOLD_MINUTES", "120"))

    # The task queue (app/tasks.py) reads HUEY_URL from the environment itself: redis://... in
    # production; unset, a SQLite file under instance/. Retention of what the worker's purge forgets:
    OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "30"))
    STRIPE_EVENT_RETENTION_DAYS = int(os.environ.get("STRIPE_EVENT_RETENTION_DAYS", "90"))
    # GET /healthz/ready names the worker as failing when no periodic task ran for this long (send-outbox
    # runs every minute). GET /healthz, the load balancer's probe, never looks at the worker.
    HEALTH_WORKER_STALE_MINUTES = int(os.environ.get("HEALTH_WORKER_STALE_MINUTES", "5"))

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024  # one lab file (10 MB) plus form overhead
    # What one form post may hold (Flask 3.1, werkzeug's form parser): more fields than any page has
    # (the biggest, an intake step with 50 rows of a repeating group, has about 250), and at most this
    # many bytes of fields outside file uploads. More is refused with 413 before any view runs.
    MAX_FORM_PARTS = 500
    MAX_FORM_MEMORY_SIZE = 500_000
    HSTS = False
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "homeostasis-demo")
    SEED_DEMO_ALLOWED = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    CALENDAR_ALLOW_PRIVATE_ADDRESSES = _bool("CALENDAR_ALLOW_PRIVATE_ADDRESSES", True)


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite://")
    MAIL_BACKEND = "console"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None
    CALENDAR_ALLOW_PRIVATE_ADDRESSES = True  # the tests' Radicale and .ics servers are on 127.0.0.1
    CALENDAR_ENCRYPTION_KEY = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True
    SEED_DEMO_ALLOWED = False
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


class ConfigError(RuntimeError):
    """A setting the app refuses to start with; the message names it and says what to set."""


def config_from_env() -> type[Config]:
    name = os.environ.get("HOMEOSTASIS_ENV") or "development"
    if name not in CONFIGS:
        raise ConfigError(f"HOMEOSTASIS_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}. "
                          "Refusing to start rather than guess (a typo would start development mode).")
    return CONFIGS[name]


MIN_SECRET_BYTES = 32


def production_problems(config) -> list[str]:
    """What production refuses to start with, one message per setting (empty: fine)."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if len(secret.encode() if isinstance(secret, str) else secret) < MIN_SECRET_BYTES:
        problems.append(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes of random text "
                        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        problems.append("RATELIMIT_STORAGE_URI=memory:// keeps separate counters in every worker, so limits are "
                        "not enforced; set it to a shared store, e.g. redis://localhost:6379/0.")
    if config.get("MAIL_BACKEND") == "console":
        problems.append("MAIL_BACKEND=console writes whole emails to the log and sends nothing; "
                        "use MAIL_BACKEND=smtp with MAIL_SERVER.")
    if not str(config.get("BASE_URL", "")).startswith("https://"):
        problems.append(f"BASE_URL={config.get('BASE_URL')!r} must start with https:// "
                        "(links in emails and the calendar feed use it).")
    return problems
