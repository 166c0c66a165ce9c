"""On SQLite a request takes the database's write lock only when it writes (app/database.py).

Pages that only read are served while another connection holds the write lock (a booking, a worker
task); form posts and audited reads queue behind it on the busy timeout and then succeed; a page marked
read-only that writes anyway is refused at its first write, before anything is half-written.

SQLite only: PostgreSQL has no database-wide write lock (it locks rows).
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.clock import utcnow
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.scheduling import Appointment
from tests.support.seeded import PASSWORD, seed_two_patients
from tests.support.visitors import Visitor

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")


@pytest.fixture
def seeded(app):
    return seed_two_patients()


class WriteLock:
    """Another connection (another process's booking, say) holding SQLite's write lock."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer

    def release(self) -> None:
        if self.connection.in_transaction:
            self.connection.rollback()

    def __exit__(self, *exc):
        self.release()
        self.connection.close()


def write_lock() -> WriteLock:
    return WriteLock(db.engine.url.database)


def audit_rows(action: str, patient_id: int | None = None) -> int:
    db.session.rollback()  # a fresh read of what the requests committed
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    return db.session.scalar(query)


def test_pages_that_only_read_are_served_while_another_connection_writes(app, seeded):
    patient = Visitor(app, seeded.a.email, PASSWORD)
    practitioner = Visitor(app, seeded.practitioner.email, PASSWORD)
    anonymous = app.test_client()
    ct = seeded.appointment.consultation_type
    with write_lock():
        # Each of these would wait for the lock (15 s) and then fail with "database is locked" if it took it.
        assert anonymous.get("/book").status_code == 200
        day = utcnow().date() + timedelta(days=7)
        slots = anonymous.get(f"/api/v1/slots?type={ct.slug}&start={day}&end={day + timedelta(days=6)}&tz=UTC")
        assert slots.status_code == 200
        assert anonymous.get("/courses").status_code == 200
        assert patient.client.get("/account").status_code == 200
        assert patient.client.get(f"/account/appointments/{seeded.appointment.id}").status_code == 200
        # (Her agenda shows intake flags, an audited read: it is in the next test.)
        assert practitioner.client.get("/practice/hours").status_code == 200


def test_a_form_post_waits_for_the_write_lock_and_then_succeeds(app, seeded):
    patient = Visitor(app, seeded.a.email, PASSWORD)
    page = patient.client.get(f"/account/appointments/{seeded.follow_up.id}")
    assert page.status_code == 200 and b"Cancel" in page.data
    with write_lock() as lock:
        timer = lock.release_after(0.5)
        response = patient.post(f"/account/appointments/{seeded.follow_up.id}/cancel",
                                {"confirm": "1", "refund_minor": "0"})  # the confirmation page's submit
        timer.join()
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Appointment, seeded.follow_up.id).status == "cancelled"


@pytest.mark.parametrize("page", ["/practice/patients/{a}", "/practice", "/practice/schedule"])
def test_an_audited_read_takes_the_lock_and_records_who_read_what(app, seeded, page):
    practitioner = Visitor(app, seeded.practitioner.email, PASSWORD)
    before = audit_rows("view", seeded.a.id)
    with write_lock() as lock:
        timer = lock.release_after(0.5)
        answer = practitioner.client.get(page.format(a=seeded.a.id))
        timer.join()
    assert answer.status_code == 200 and seeded.a.full_name.encode() in answer.data
    assert audit_rows("view", seeded.a.id) > before


def test_a_read_only_request_that_writes_is_refused_before_writing(app, seeded):
    with app.test_request_context("/courses", method="GET"):
        app.preprocess_request()  # the before-request hooks choose the transaction for a GET
        db.session.scalar(select(func.count()).select_from(Appointment))  # the request reads...
        with pytest.raises(RuntimeError, match="read-only request .*write lock"):
            db.session.execute(insert(AuditEvent).values(action="view", object_type="test"))  # ...then writes
        db.session.rollback()
    assert audit_rows("view") == 0


def test_a_post_may_read_then_write_in_one_transaction(app, seeded):
    with app.test_request_context("/courses", method="POST"):
        app.preprocess_request()
        db.session.scalar(select(func.count()).select_from(Appointment))
        db.session.execute(insert(AuditEvent).values(action="view", object_type="test"))
        db.session.commit()
    assert audit_rows("view") == 1
