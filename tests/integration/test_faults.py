"""Faults: the database going away and coming back, and a request that dies halfway through its work.

Outage: an app of its own on a scratch database of the suite's kind. PostgreSQL: the database stops
accepting connections and its sessions are terminated (ALTER DATABASE ... ALLOW_CONNECTIONS false), then
accepts them again. SQLite: the database's directory is moved away and back; SQLite keeps a moved file
usable through a connection already open, so this app opens one per request (NullPool), which makes a
moved database an unreachable one. Either way: /healthz answers 503, pages answer a friendly 503 (never the
500 page), and the next requests after the database returns succeed, with no restart.

Dying mid-request: a step inside booking, saving an intake step and payment fulfilment raises after the
first write. Nothing of it may stay: no appointment, no intake answers, no payment marked paid, no Stripe
event recorded (so Stripe's retry is processed in full), no email queued.
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.models.billing import Payment, StripeEvent
from app.models.intake import IntakeResponse
from app.models.notify import OutboxMessage
from app.models.scheduling import Appointment
from app.scheduling import schedule
from tests.support.fakestripe import FakeStripe
from tests.support.seeded import PASSWORD, fresh_hold, next_open_start, seed_two_patients
from tests.support.visitors import Visitor

FRIENDLY = "reach our database right now"  # "We can't reach our database right now." (the 503 page)


@pytest.fixture(scope="module")
def fake_stripe():
    with FakeStripe(webhook_secret="whsec_test_faults") as fake:
        yield fake


pytestmark = pytest.mark.payments  # payments on, against this module's own fake Stripe server


# --- the database goes away ----------------------------------------------------------------------------

class SqliteOutage:
    def __init__(self, directory):
        self.home = directory / "database"
        self.away = directory / "database-unmounted"
        self.home.mkdir()
        self.url = f"sqlite:///{self.home / 'homeostasis.sqlite3'}"
        self.engine_options = {"poolclass": NullPool}

    def down(self) -> None:
        os.rename(self.home, self.away)

    def up(self) -> None:
        os.rename(self.away, self.home)

    def close(self) -> None:
        if self.away.exists():
            self.up()


class PostgresOutage:
    def __init__(self, suite_url: str):
        self.name = f"hs_outage_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(suite_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url = f"{suite_url.rpartition('/')[0]}/{self.name}"
        self.engine_options = {"pool_pre_ping": True}

    def _admin(self, *statements: str) -> None:
        with self.admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def down(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'")

    def up(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def close(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true', f'DROP DATABASE "{self.name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture
def outage(database_url, tmp_path):
    made = PostgresOutage(database_url) if database_url.startswith("postgresql") else SqliteOutage(tmp_path)
    yield made
    made.close()


@pytest.fixture
def scratch_app(outage, app_config):
    from flask_migrate import upgrade

    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": outage.url,
                      "SQLALCHEMY_ENGINE_OPTIONS": outage.engine_options})
    with app.app_context():
        upgrade()
        seeded = seed_two_patients()
        emails = (seeded.a.email, seeded.practitioner.email)
        db.session.remove()
    yield app, emails
    with app.app_context():
        db.engine.dispose()


def test_database_outage_answers_503_and_the_app_recovers_by_itself(scratch_app, outage):
    app, (patient_email, practitioner_email) = scratch_app
    patient, practitioner, visitor = Visitor(app, patient_email), Visitor(app, practitioner_email), Visitor(app, None)
    pages = [(patient, "/account"), (patient, "/account/symptoms"), (practitioner, "/practice"),
             (visitor, "/book"), (visitor, "/courses")]
    assert app.test_client().get("/healthz").status_code == 200
    assert all(who.client.get(path).status_code == 200 for who, path in pages)

    outage.down()
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "unavailable"}
    for who, path in pages:
        with who.client.get(path) as page:
            assert page.status_code == 503, path
            assert FRIENDLY in page.get_data(as_text=True), path
    with visitor.post("/auth/login", {"email": patient_email, "password": PASSWORD}) as login:
        assert login.status_code == 503 and FRIENDLY in login.get_data(as_text=True)
    with app.test_client().get("/api/v1/consultation-types") as api:
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "unavailable"

    outage.up()
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"
    assert all(who.client.get(path).status_code == 200 for who, path in pages)  # still signed in


# --- a request dies halfway --------------------------------------------------------------------------

class Killed(Exception):
    """Stands for the worker dying: raised after the request's first write."""


def kill(*args, **kwargs):
    raise Killed("killed mid-request")


def counts(*models) -> dict[str, int]:
    db.session.commit()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in models}


def test_a_booking_that_dies_after_inserting_the_appointment_leaves_nothing(app, monkeypatch):
    s = seed_two_patients()
    b = Visitor(app, s.b.email)
    start = next_open_start(s.initial_type)
    before = counts(Appointment, OutboxMessage)
    monkeypatch.setattr("app.scheduling.booking.record", kill)  # the audit row written after the insert

    with b.post(f"/book/{s.initial_type.slug}/confirm", {"start": start.isoformat()}) as response:
        assert response.status_code == 500
        assert "Nothing you entered was half-saved" in response.get_data(as_text=True)
    assert counts(Appointment, OutboxMessage) == before
    monkeypatch.undo()
    assert start in schedule.open_slots(s.initial_type, start - timedelta(hours=1), start + timedelta(hours=2),
                                        utcnow())
    assert b.post(f"/book/{s.initial_type.slug}/confirm", {"start": start.isoformat()}).status_code == 303


def test_an_intake_step_that_dies_after_its_first_write_leaves_nothing(app, monkeypatch):
    s = seed_two_patients()
    b = Visitor(app, s.b.email)
    answers = {"date_of_birth": "1990-01-01", "sex_at_birth": "female", "emergency_contact_name": "Sam Other",
               "emergency_contact_phone": "+33 1 23 45 67 89"}
    monkeypatch.setattr("app.intake.service.record", kill)  # the audit row written after the answers

    with b.post(f"/account/intake/{s.b_appointment.id}/about", answers) as response:
        assert response.status_code == 500
    assert counts(IntakeResponse)["intake_responses"] == 1  # A's only
    monkeypatch.undo()
    assert b.post(f"/account/intake/{s.b_appointment.id}/about", answers).status_code == 303
    assert counts(IntakeResponse)["intake_responses"] == 2


def test_a_payment_whose_fulfilment_dies_is_not_half_fulfilled_and_the_retry_completes_it(app, monkeypatch,
                                                                                          fake_stripe):
    s = seed_two_patients(fake_stripe)
    hold = fresh_hold(s.b, s.initial_type)
    payment = db.session.scalar(select(Payment).where(Payment.purpose_id == hold.id, Payment.purpose == "appointment"))
    event = fake_stripe.pay(payment.checkout_session_id)
    before = counts(StripeEvent, OutboxMessage)
    # The payment is marked paid and the time confirmed before the confirmation email is queued: die there.
    monkeypatch.setattr("app.billing.appointment_purpose.booking_confirmed", kill)

    body, headers = fake_stripe.signed(event)
    client = app.test_client()
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 500  # Stripe retries a 5xx
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "open"
    assert db.session.get(Appointment, hold.id).status == "pending_payment"
    assert counts(StripeEvent, OutboxMessage) == before

    monkeypatch.undo()
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200  # the retry
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200  # and a duplicate
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "paid"
    assert db.session.get(Appointment, hold.id).status == "confirmed"
    confirmations = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.kind == "booking_confirmed"))
    assert confirmations == 1
    assert json.loads(body)["id"] in {row.id for row in db.session.scalars(select(StripeEvent))}
