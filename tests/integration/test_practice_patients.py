"""/practice/patients: her patients found by name or email, each with her next appointment, her last visit
and the flags of her latest intake, a page of them in one query whatever their number."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.intake.questionnaire import get_questionnaire
from app.models.intake import IntakeResponse
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.queries import counting_queries

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
ROW = re.compile(r'<tr><th scope="row" data-label="Patient"><a href="/practice/patients/(\d+)">([^<]+)</a>')


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def practice(make_practice, frozen):
    return make_practice(timezone="Europe/London")


@pytest.fixture
def dr(practice, client, auth):
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    return client


def visit(practice, patient, days: float, status: str = "confirmed") -> Appointment:
    _, profile, ct = practice
    start = NOW + timedelta(days=days)
    end = start + timedelta(minutes=ct.duration_minutes)
    appointment = Appointment(
        patient_id=patient.id, practitioner_id=profile.id, consultation_type_id=ct.id, starts_at=start,
        ends_at=end, blocked_start=start, blocked_end=end, status=status, payment_status="pay_at_appointment",
        price_minor=ct.price_minor, currency=ct.currency, patient_timezone=patient.timezone,
        booked_by_id=patient.id, created_at=NOW - timedelta(days=60))
    db.session.add(appointment)
    db.session.commit()
    return appointment


def intake(patient, appointment, answers: dict, *, age_days: int = 1, version: int = 1) -> IntakeResponse:
    at = NOW - timedelta(days=age_days)
    response = IntakeResponse(patient_id=patient.id, appointment_id=appointment.id, answers=answers, version=version,
                              questionnaire_version=get_questionnaire().version, saved_steps=[],
                              created_at=at, updated_at=at)
    db.session.add(response)
    db.session.commit()
    return response


def names(page: str) -> list[str]:
    return [name for _, name in ROW.findall(page)]


def row_of(page: str, name: str) -> str:
    start = page.index(f">{name}</a>")
    return page[start:page.index("</tr>", start)]


def test_each_patient_shows_her_next_appointment_last_visit_and_open_flags(practice, dr, make_user):
    ada = make_user("ada@example.com", full_name="Ada Lovelace")
    visit(practice, ada, -30, "completed")
    visit(practice, ada, -7, "completed")  # her last visit: 3 March
    visit(practice, ada, -2, "cancelled")  # cancelled: not a visit
    visit(practice, ada, -1, "no_show")  # not a visit either
    later = visit(practice, ada, 14)
    visit(practice, ada, 6)  # her next: 16 March
    visit(practice, ada, 3, "cancelled")
    intake(ada, later, {"opioid_use": "no"}, age_days=20)  # an older intake: superseded
    intake(ada, later, {"opioid_use": "yes", "pregnancy": {"selected": ["pregnant"]}}, version=2)
    bo = make_user("bo@example.com", full_name="Bo Brown")
    visit(practice, bo, 2)

    page = dr.get("/practice/patients").get_data(as_text=True)
    assert names(page) == ["Ada Lovelace", "Bo Brown"]
    ada_row = row_of(page, "Ada Lovelace")
    assert 'data-label="Next appointment">Tue 16 Mar, 12:00' in ada_row
    assert 'data-label="Last visit">Wed 3 Mar, 12:00' in ada_row
    assert re.findall(r'data-flag="(\w+)"', ada_row) == ["opioid", "pregnancy"]
    assert "naltrexone (LDN) is contraindicated" in ada_row
    bo_row = row_of(page, "Bo Brown")
    assert 'data-label="Last visit">–' in bo_row and 'data-label="Flags">–' in bo_row
    assert 'data-label="Next appointment">Fri 12 Mar, 12:00' in bo_row


def test_search_finds_patients_by_name_or_email_in_any_case(practice, dr, make_user):
    for n, (email, name) in enumerate((("ada@example.com", "Ada Lovelace"), ("grace.h@navy.example", "Grace Hopper"),
                                       ("katherine@nasa.example", "Katherine Johnson"),
                                       ("50pc@example.com", "Percy Cent"))):
        visit(practice, make_user(email, full_name=name), 3 + n)
    stranger = make_user("ada.stranger@example.com", full_name="Ada Stranger")  # not her patient
    assert stranger.id

    def found(q: str) -> list[str]:
        response = dr.get("/practice/patients", query_string={"q": q})
        assert response.status_code == 200
        return names(response.get_data(as_text=True))

    assert found("ada") == ["Ada Lovelace"]
    assert found("LOVE") == ["Ada Lovelace"]
    assert found("NAVY.example") == ["Grace Hopper"]
    assert found("nasa") == ["Katherine Johnson"]
    assert found("%") == []  # a wildcard is a character like any other
    assert found("50p") == ["Percy Cent"]
    assert found("   ") == ["Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Percy Cent"]
    page = dr.get("/practice/patients?q=zebra").get_data(as_text=True)
    assert "No patient’s name or email contains “zebra”." in page
    assert 'value="zebra"' in page  # the search stays in its box


def test_patients_come_50_to_a_page(practice, dr, make_user):
    for n in range(55):
        visit(practice, make_user(f"p{n:02}@example.com", full_name=f"Patient {n:02}"), 1 + n / 10)
    first = dr.get("/practice/patients").get_data(as_text=True)
    assert names(first) == [f"Patient {n:02}" for n in range(50)]
    assert 'href="/practice/patients?page=2" rel="next"' in first
    second = dr.get("/practice/patients?page=2").get_data(as_text=True)
    assert names(second) == [f"Patient {n:02}" for n in range(50, 55)]
    assert 'rel="next"' not in second and 'href="/practice/patients?page=1" rel="prev"' in second
    assert names(dr.get("/practice/patients?q=Patient%205&page=1").get_data(as_text=True)) == [
        f"Patient {n:02}" for n in range(50, 55)]
    for bad in ("3", "0", "-1", "x", "99999999999"):
        assert dr.get(f"/practice/patients?page={bad}").status_code == 404, bad


def test_the_list_runs_the_same_queries_for_2_patients_as_for_50_and_one_reads_them_all(practice, dr, make_user):
    def queries() -> list[str]:
        dr.get("/practice/patients").close()  # warm: the session's last-seen time
        with counting_queries() as statements, dr.get("/practice/patients") as response:
            assert response.status_code == 200
        return statements

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            patient = make_user(f"q{n}@example.com", full_name=f"Query Patient {n:02}")
            visit(practice, patient, -3 - n / 10, "completed")
            intake(patient, visit(practice, patient, 4 + n / 10), {"opioid_use": "yes"})

    add(2, 0)
    few = queries()
    add(48, 2)
    many = queries()
    assert len(many) == len(few), [s[:60] for s in many[3:14]]
    listing = [s for s in many if "intake_responses" in s and "FROM users" in s]
    assert len(listing) == 1  # patients, next and last visits and latest intakes: one query
    assert sum(1 for s in many if "intake_responses" in s and "INSERT" not in s.upper()[:10]) == 1
