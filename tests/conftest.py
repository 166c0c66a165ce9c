"""Shared fixtures. The schema comes from the migrations (never create_all), once per run; each test
then starts from empty tables. TEST_DATABASE_URL picks the database (SQLite file by default)."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

# The task queue's backend is chosen when app.tasks is imported: a SQLite file of this test process
# (each xdist worker its own: they inherit the controller's environment, hence the marker), unless the run
# asks for another (HUEY_URL=redis://... in CI's Redis pass).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
if "HUEY_URL" not in os.environ or os.environ.get("HOMEOSTASIS_TEST_OWN_HUEY", _WORKER) != _WORKER:
    os.environ["HOMEOSTASIS_TEST_OWN_HUEY"] = _WORKER
    os.environ["HUEY_URL"] = "sqlite:///" + os.path.join(
        tempfile.mkdtemp(prefix="homeostasis-huey-"), f"huey-{_WORKER}.sqlite3")
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db, limiter
from config import TestingConfig
from tests.support.mailbox import Mailbox
from tests.support.web import Auth

DEFAULT_PASSWORD = "correct horse battery"

# CI explores the same examples every run (a red CI is then reproducible, never a coin toss);
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config):
    config.addinivalue_line("markers", "payments: payments on, against the fake Stripe server (see `app_config`)")


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Still argon2id, at the lowest cost: production-cost hashing would be most of the suite's time,
    and only one test is about the hash itself (it checks the algorithm, not the cost)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("app.accounts.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    # Parallel workers each get their own database next to the given one, dropped at the end.
    base, _, name = url.rpartition("/")
    own = f"{name}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{own}"'))
    yield f"{base}/{own}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def migrated(database_url, mailbox):
    """Run the migrations once for the session, from an empty database."""
    from flask_migrate import downgrade, upgrade

    app = create_app({**_config(database_url, mailbox)})
    with app.app_context():
        _drop_everything()
        upgrade()
    yield database_url
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()


def _config(database_url: str, mailbox: Mailbox) -> dict:
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                  MAIL_PORT=mailbox.port, MAIL_TIMEOUT=5, BASE_URL="http://localhost",
                  UPLOAD_FOLDER=str(Path(database_url.replace("sqlite:///", "")).parent / "uploads")
                  if database_url.startswith("sqlite:///") else "/tmp/homeostasis-test-uploads")
    return config


def _drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def app_config(migrated, mailbox, request) -> dict:
    """The app's settings for one test. A test or module marked `pytest.mark.payments` has payments on, against
    the fake Stripe server (`fake_stripe`: a module may give its own). Override in a test module, from this
    one, to change other settings."""
    config = _config(migrated, mailbox)
    if request.node.get_closest_marker("payments") is not None:
        config.update(_stripe_settings(request.getfixturevalue("fake_stripe")))
    return config


def _stripe_settings(fake_stripe) -> dict:
    fake_stripe.forget_idempotency_keys()  # each test is an account of its own (ids restart at 1)
    return {"STRIPE_SECRET_KEY": fake_stripe.api_key, "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
            "STRIPE_API_BASE": fake_stripe.url}


@pytest.fixture(scope="session")
def fake_stripe():
    """A Stripe-compatible server on 127.0.0.1 that the real stripe SDK talks to (tests/support)."""
    from tests.support.fakestripe import FakeStripe

    with FakeStripe(webhook_secret="whsec_test_homeostasis") as fake:
        yield fake


@pytest.fixture
def app(app_config, mailbox):
    from app.tasks import calendar_huey, huey

    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    limiter.reset()
    mailbox.clear()
    huey.flush()
    calendar_huey.flush()
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own `g` and database session), as in production,
    even though the test itself holds an app context to read the database.

    After each request the worker's turn comes: the tasks the request queued (its emails, refunds)
    run, in this process, before the test goes on, as a worker would run them a moment later. The
    request itself never sends mail or calls Stripe. A test about that sets `run_worker = False` and
    runs tests.support.worker.run_pending() itself."""

    run_worker = True

    def open(self, *args, **kwargs):
        from flask import has_app_context

        in_test = has_app_context()  # False when a test drives a client from another thread
        if in_test:
            db.session.commit()  # end the test's own transaction, so it sees what the request writes
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if self.run_worker:
            from tests.support.worker import run_pending

            run_pending()
        if in_test:
            db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def make_user(app):
    """Factory: make_user(email=..., role="patient", password=..., **overrides) -> User (committed)."""
    from app.accounts.passwords import hash_password
    from app.models.accounts import User

    hashes: dict[str, str] = {}
    counter = {"n": 0}

    def make(email: str | None = None, *, role: str = "patient", password: str = DEFAULT_PASSWORD, **overrides) -> User:
        counter["n"] += 1
        if password not in hashes:
            hashes[password] = hash_password(password)
        # Verified unless a test says otherwise (email_verified_at=None): signing up is tested through the
        # pages, with the emailed code (tests/support/verification.py).
        overrides.setdefault("email_verified_at", datetime.now(timezone.utc))
        user = User(email=(email or f"patient{counter['n']}@example.com").lower(),
                    full_name=overrides.pop("full_name", f"Test Person {counter['n']}"),
                    password_hash=hashes[password], role=role,
                    timezone=overrides.pop("timezone", "Europe/London"), **overrides)
        db.session.add(user)
        db.session.flush()
        if role == "practitioner":  # as accounts.service.create_user does: her profile comes with her account
            from app.scheduling.profiles import create_profile

            create_profile(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_practice(app, make_user):
    """Factory: a practitioner with weekly hours and a consultation type. Returns (user, profile, type).

    Defaults: America/New_York, Monday-Friday 09:00-17:00, a 60-minute type `initial` with no buffers,
    24 h notice, 60-day horizon."""
    from datetime import time as clock

    from app.models.scheduling import ConsultationType, WeeklyAvailability
    from app.scheduling.profiles import profile_for

    def make(*, timezone: str = "America/New_York", hours=None, email: str = "dr@example.com", **type_fields):
        user = make_user(email, role="practitioner", full_name="Dr Maya Test", timezone=timezone)
        profile = profile_for(user)
        profile.timezone = timezone
        for weekday, start, end in hours or [(d, clock(9), clock(17)) for d in range(5)]:
            db.session.add(WeeklyAvailability(practitioner_id=profile.id, weekday=weekday, start_time=start,
                                              end_time=end))
        fields = {"slug": "initial", "name": "Initial consultation", "duration_minutes": 60, "price_minor": 30000,
                  "currency": "usd", "location": "https://meet.example.com/room"}
        fields.update(type_fields)
        ct = ConsultationType(practitioner_id=profile.id, **fields)
        db.session.add(ct)
        db.session.commit()
        return user, profile, ct

    return make


@pytest.fixture
def make_appointment(app):
    """Factory (Indico's style): make_appointment(ct, patient, starts_at=..., **overrides) -> Appointment
    (committed), written straight to the table as the booking service would leave it: confirmed, paid at
    the appointment, no buffers unless the type has them."""
    from app.models.scheduling import Appointment

    def make(ct, patient, *, starts_at, **overrides) -> Appointment:
        ends_at = overrides.pop("ends_at", starts_at + timedelta(minutes=ct.duration_minutes))
        fields = dict(patient_id=getattr(patient, "id", patient), practitioner_id=ct.practitioner_id,
                      consultation_type_id=ct.id, starts_at=starts_at, ends_at=ends_at,
                      blocked_start=starts_at - timedelta(minutes=ct.buffer_before_minutes),
                      blocked_end=ends_at + timedelta(minutes=ct.buffer_after_minutes), status="confirmed",
                      payment_status="pay_at_appointment", price_minor=ct.price_minor, currency=ct.currency,
                      patient_timezone=getattr(patient, "timezone", "UTC"))
        fields.update(overrides)
        appointment = Appointment(**fields)
        db.session.add(appointment)
        db.session.commit()
        return appointment

    return make


@pytest.fixture
def book_appointment(app):
    """Factory: book_appointment(patient, ct, starts_at=..., **overrides) -> Appointment (committed), booked
    through the booking service as the pages book it: pay at the appointment, in the patient's own zone, now.
    Overrides are BookingRequest's fields (note=, take_payment=, patient_timezone=, ...) and `now`.

    With send_confirmation=True it is placed as a page places it (app.bookings.place: the confirmation is
    queued in the same transaction) and the confirmation is delivered at once, as the worker would after the
    request."""
    from app import bookings
    from app.clock import utcnow
    from app.notify.mail import deliver_committed
    from app.scheduling import booking

    def book(patient, ct, *, starts_at, now=None, send_confirmation=False, **overrides):
        fields = dict(patient=patient, consultation_type=ct, start=starts_at, patient_timezone=patient.timezone,
                      take_payment=False)
        fields.update(overrides)
        request, when = booking.BookingRequest(**fields), utcnow() if now is None else now
        if send_confirmation:
            appointment = bookings.place(request, when).appointment
            deliver_committed()
            return appointment
        appointment = booking.book(request, when)
        db.session.commit()
        return appointment

    return book


@pytest.fixture
def redis_server():
    """A redis-server of this test's own on a free port (tests/support/redisserver.py), which the test may
    stop (a crash) and start again on the same port; killed at the end."""
    from tests.support.redisserver import RedisServer

    server = RedisServer().start()
    yield server
    server.cleanup()
