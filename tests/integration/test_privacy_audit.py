"""The practitioner's audit log (/practice/audit): who did what to whose data, when and from where;
filters by patient and by days in her zone; pages; a CSV download; and records nobody can change."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models.audit import AuditEvent, record
from app.privacy.audit_log import PAGE_SIZE, AuditLogIsAppendOnly
from tests.support.privacy import NOW, UTC, WEDNESDAY_10, login, text_of
from tests.support.web import csrf_token

LATE_ON_THE_1ST = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 23:30 on 1 December in New York
EARLY_ON_THE_2ND = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)  # 00:30 on 2 December in New York


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com", full_name="Ada Lovelace")


@pytest.fixture
def bea(make_user):
    return make_user("bea@example.com", full_name="Bea Tester")


@pytest.fixture
def dr(app, practice, frozen):
    client = app.test_client()
    login(client, "dr@example.com")
    return client


def audit_at(when: datetime, action: str, object_type: str, *, patient=None, actor=None, object_id=None,
             detail=None, ip: str = "192.0.2.1") -> AuditEvent:
    """A record written by the app's own `record`, dated `when`."""
    event = record(action, object_type, object_id, actor=actor, patient_id=getattr(patient, "id", None),
                   detail=detail, ip=ip)
    event.at = when
    db.session.commit()
    return event


def page(client, query: str = "") -> str:
    response = client.get(f"/practice/audit?{query}")
    assert response.status_code == 200
    return text_of(response.get_data(as_text=True))


def test_a_view_of_an_appointment_shows_who_read_whose_data_when_and_from_where(app, practice, ada, frozen,
                                                                                book_appointment):
    appointment = book_appointment(ada, practice[2], starts_at=WEDNESDAY_10)
    dr = app.test_client()
    dr.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    login(dr, "dr@example.com")
    dr.get(f"/practice/appointments/{appointment.id}")
    assert (f"2026-12-01 07:00 Dr Maya Test (practitioner) Ada Lovelace view appointment #{appointment.id} "
            "203.0.113.9") in page(dr, f"patient={ada.id}")


def test_filtering_by_patient_shows_only_her_records(dr, practice, ada, bea):
    audit_at(NOW, "view", "intake", patient=ada, actor=practice[0])
    audit_at(NOW, "view", "lab_upload", patient=bea, actor=practice[0])
    shown = page(dr, f"patient={ada.id}")
    assert "1 record;" in shown and "Ada Lovelace view intake" in shown
    assert "lab_upload" not in shown


def test_dates_are_whole_days_in_the_practitioners_zone(dr, ada):
    audit_at(LATE_ON_THE_1ST, "view", "payment", patient=ada)
    audit_at(EARLY_ON_THE_2ND, "view", "appointment", patient=ada)
    first = page(dr, f"patient={ada.id}&from=2026-12-01&to=2026-12-01")
    second = page(dr, f"patient={ada.id}&from=2026-12-02&to=2026-12-02")
    assert "view payment" in first and "view appointment" not in first
    assert "view appointment" in second and "view payment" not in second


def test_records_are_shown_newest_first_fifty_to_a_page(dr, ada):
    for n in range(PAGE_SIZE + 1):
        audit_at(NOW - timedelta(minutes=n + 1), "view", "intake", patient=ada, object_id=n)
    first, second = page(dr, f"patient={ada.id}"), page(dr, f"patient={ada.id}&page=2")
    assert "51 records; page 1 of 2" in first and "Older records" in first
    assert first.index("intake #0 ") < first.index("intake #1 ") and "intake #50 " not in first
    assert "intake #50 " in second and "intake #49 " not in second and "Newer records" in second


def test_the_csv_is_a_no_store_attachment_of_the_filtered_records_in_her_zone(dr, practice, ada, bea):
    audit_at(LATE_ON_THE_1ST, "view", "intake", patient=ada, actor=practice[0], object_id=7,
             detail={"page": "patient"})
    audit_at(LATE_ON_THE_1ST, "view", "intake", patient=bea, actor=practice[0], object_id=8)
    response = dr.get(f"/practice/audit?patient={ada.id}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    assert list(csv.DictReader(io.StringIO(response.get_data(as_text=True)))) == [{
        "when": "2026-12-01T23:30:00-05:00", "actor": "Dr Maya Test (practitioner)", "actor_id": str(practice[0].id),
        "patient": "Ada Lovelace", "patient_id": str(ada.id), "action": "view", "object_type": "intake",
        "object_id": "7", "ip": "192.0.2.1", "detail": '{"page": "patient"}'}]


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_defused_in_the_csv(dr, make_user):
    mallory = make_user("mallory@example.com", full_name='=HYPERLINK("http://evil.example","x")')
    audit_at(NOW, "view", "intake", patient=mallory)
    [row] = list(csv.DictReader(io.StringIO(dr.get(f"/practice/audit?patient={mallory.id}&format=csv")
                                            .get_data(as_text=True))))
    assert row["patient"] == """'=HYPERLINK("http://evil.example","x")"""


def test_downloading_the_csv_is_itself_recorded(dr, practice):
    dr.get("/practice/audit?from=2026-11-01&format=csv")
    recorded = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export",
                                                          AuditEvent.object_type == "audit_log"))
    assert (recorded.actor_id, recorded.detail) == (practice[0].id, {"from": "2026-11-01"})


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-13-01", "Enter dates as YYYY-MM-DD"),
    ("to=yesterday", "Enter dates as YYYY-MM-DD"),
    ("patient=ada", "Choose a patient from the list"),
    ("from=2026-12-02&to=2026-12-01", "The first date must be on or before the last date"),
    ("page=0", "The page number must be a whole number from 1"),
    ("page=99999999999999999999999", "The page number must be a whole number from 1"),
    ("patient=%C2%B2", "Choose a patient from the list"),
    ("patient=99999999999999999999999", "Choose a patient from the list"),
    ("to=9999-12-31", "Choose dates from 2000-01-01 to 2099-12-31"),
])
def test_a_filter_that_makes_no_sense_gets_a_clear_message_and_422(dr, query, message):
    response = dr.get(f"/practice/audit?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_patient_is_refused_the_audit_log_and_its_csv(app, ada, frozen):
    client = app.test_client()
    login(client, "ada@example.com")
    assert client.get("/practice/audit").status_code == 403
    assert client.get("/practice/audit?format=csv").status_code == 403


def test_someone_signed_out_is_sent_to_log_in(client):
    response = client.get("/practice/audit?format=csv")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_no_audit_route_accepts_a_write(app, dr, ada):
    audit_at(NOW, "view", "intake", patient=ada)
    rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [rule.rule for rule in rules] == ["/practice/audit"]
    assert rules[0].methods <= {"GET", "HEAD", "OPTIONS"}
    token = csrf_token(dr, "/practice/audit")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert dr.open("/practice/audit", method=method, headers={"X-CSRFToken": token}).status_code == 405
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == ada.id)).all() == ["view"]


@pytest.mark.parametrize("how", ["change", "delete", "bulk_update", "bulk_delete", "table_delete"])
def test_the_orm_refuses_to_change_or_delete_an_audit_record(app, ada, how):
    event = audit_at(NOW, "view", "intake", patient=ada)
    with pytest.raises(AuditLogIsAppendOnly):
        if how == "change":
            event.action = "nothing to see"
            db.session.flush()
        elif how == "delete":
            db.session.delete(event)
            db.session.flush()
        elif how == "bulk_update":
            db.session.execute(update(AuditEvent).values(action="nothing to see"))
        elif how == "table_delete":
            db.session.execute(AuditEvent.__table__.delete())
        else:
            db.session.execute(delete(AuditEvent).where(AuditEvent.patient_id == ada.id))
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["view"]
