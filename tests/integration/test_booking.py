"""Booking through the JSON API and the pages: what a patient and the practitioner see."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_confirmed, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday; New York is UTC-5
# Thursday 3 December 2026 10:00 in New York
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


pytestmark = pytest.mark.frozen_at(NOW)


def book_api(client, start: datetime | str, slug: str = "initial"):
    token = csrf_token(client, "/account")
    start = start if isinstance(start, str) else start.isoformat()
    return client.post("/api/v1/bookings", json={"type": slug, "start": start, "safety_screen": {"all_no": True}},
                       headers={"X-CSRFToken": token})


def active_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.status.in_(("confirmed", "pending_payment"))))


def test_consultation_types_lists_active_types(client, practice):
    body = client.get("/api/v1/consultation-types").get_json()
    assert [t["slug"] for t in body["consultation_types"]] == ["initial"]
    assert body["consultation_types"][0]["price"] == {"amount": 30000, "currency": "usd"}


def test_slots_are_shown_in_the_requested_zone(client, practice, frozen):
    body = client.get("/api/v1/slots?type=initial&start=2026-12-03&end=2026-12-03&tz=Europe/London").get_json()
    assert body["timezone"] == "Europe/London"
    starts = [s["start"] for s in body["slots"]]
    # 09:00-17:00 New York is 14:00-22:00 London; 60-minute slots on a 15-minute grid.
    assert starts[0] == "2026-12-03T14:00:00+00:00"
    assert starts[-1] == "2026-12-03T21:00:00+00:00"
    assert body["slots"][0]["end"] == "2026-12-03T15:00:00+00:00"


def test_slots_respect_minimum_notice(client, practice, frozen):
    frozen.move_to(datetime(2026, 12, 1, 15, 10, tzinfo=UTC))  # 10:10 in New York: 24 h notice ends at 10:10 tomorrow
    body = client.get("/api/v1/slots?type=initial&start=2026-12-01&end=2026-12-02&tz=America/New_York").get_json()
    starts = [datetime.fromisoformat(s["start"]) for s in body["slots"]]
    assert starts[0] == datetime(2026, 12, 2, 15, 15, tzinfo=UTC)  # 10:15, the first grid time after the notice
    assert all(start >= datetime(2026, 12, 2, 15, 10, tzinfo=UTC) for start in starts)
    assert len(starts) == 24  # 10:15 to 16:00 on the 15-minute grid; nothing on the 1st


@pytest.mark.parametrize(("query", "param"), [
    ("type=nope&start=2026-12-01&end=2026-12-02", "type"),
    ("type=initial&start=2026-13-01&end=2026-12-02", "start"),
    ("type=initial&start=2026-12-01&end=yesterday", "end"),
    ("type=initial&start=2026-12-05&end=2026-12-01", "end"),
    ("type=initial&start=2026-12-01&end=2027-02-02", "end"),
    ("type=initial&start=2026-12-01&end=2026-12-02&tz=Mars/Base", "tz"),
])
def test_bad_slot_parameters_answer_422_naming_the_parameter(client, practice, query, param):
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["param"] == param


def test_patient_books_an_open_slot(client, practice, patient, frozen):
    response = book_api(client, THURSDAY_10)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed"
    assert body["payment"] == {"status": "pay_at_appointment", "checkout_url": None}
    assert body["start"] == "2026-12-03T15:00:00+00:00"  # in the patient's zone, London
    assert response.headers["Location"] == f"/api/v1/bookings/{body['id']}"
    appointment = db.session.get(Appointment, body["id"])
    assert (appointment.starts_at, appointment.price_minor) == (THURSDAY_10, 30000)


def test_booking_without_csrf_header_is_refused_as_json_and_nothing_is_written(client, practice, patient, frozen):
    response = client.post("/api/v1/bookings", json={"type": "initial", "start": THURSDAY_10.isoformat()})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert active_count() == 0


@pytest.mark.parametrize(("start", "message"), [
    ("2026-12-03T15:17:00+00:00", "not one of the open times"),  # 10:17, off the grid
    ("2026-12-05T15:00:00+00:00", "not one of the open times"),  # Saturday: no hours
    ("2026-11-30T15:00:00+00:00", "in the past"),
    ("2026-12-01T18:00:00+00:00", "24 hours' notice"),
    ("2027-03-01T15:00:00+00:00", "60 days ahead"),
    ("2026-12-03T15:00:00", "UTC offset"),
    ("tomorrow at ten", "ISO-8601"),
])
def test_times_that_are_not_offered_are_refused_with_422(client, practice, patient, frozen, start, message):
    response = book_api(client, start)
    assert response.status_code == 422
    assert message in response.get_json()["error"]["message"]
    assert active_count() == 0


def test_a_taken_time_answers_409_with_the_nearest_open_times(client, app, practice, patient, make_user, frozen):
    assert book_api(client, THURSDAY_10).status_code == 201
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    response = book_api(other, THURSDAY_10)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["message"] == "That time was just taken."
    assert error["nearest"] and all(n != THURSDAY_10.isoformat() for n in error["nearest"])
    assert active_count() == 1


def test_overlapping_time_is_refused_too(client, practice, patient, frozen):
    assert book_api(client, THURSDAY_10).status_code == 201
    assert book_api(client, THURSDAY_10 + timedelta(minutes=30)).status_code == 409


def test_buffers_keep_appointments_apart(client, make_practice, patient, frozen):
    make_practice(buffer_after_minutes=15)
    assert book_api(client, THURSDAY_10).status_code == 201
    assert book_api(client, THURSDAY_10 + timedelta(minutes=60)).status_code == 409
    assert book_api(client, THURSDAY_10 + timedelta(minutes=75)).status_code == 201


def test_daily_maximum_is_respected(client, make_practice, patient, frozen):
    make_practice(max_per_day=1)
    assert book_api(client, THURSDAY_10).status_code == 201
    assert book_api(client, THURSDAY_10 + timedelta(hours=3)).status_code == 409
    assert book_api(client, THURSDAY_10 + timedelta(days=1)).status_code == 201


def _hold(patient, practice, start: datetime, expires: datetime) -> Appointment:
    _, profile, ct = practice
    hold = Appointment(patient_id=patient.id, practitioner_id=profile.id, consultation_type_id=ct.id,
                       starts_at=start, ends_at=start + timedelta(hours=1), blocked_start=start,
                       blocked_end=start + timedelta(hours=1), status="pending_payment", hold_expires_at=expires,
                       payment_status="unpaid", price_minor=30000, currency="usd", patient_timezone="UTC")
    db.session.add(hold)
    db.session.commit()
    return hold


def test_an_unexpired_hold_blocks_the_time(client, practice, patient, make_user, frozen):
    _hold(make_user("bea@example.com"), practice, THURSDAY_10, NOW + timedelta(minutes=10))
    assert book_api(client, THURSDAY_10).status_code == 409


def test_an_expired_hold_blocks_nothing(client, practice, patient, make_user, frozen):
    hold = _hold(make_user("bea@example.com"), practice, THURSDAY_10, NOW - timedelta(minutes=1))
    slots = client.get("/api/v1/slots?type=initial&start=2026-12-03&end=2026-12-03&tz=UTC").get_json()["slots"]
    assert THURSDAY_10.isoformat() in [s["start"] for s in slots]
    assert book_api(client, THURSDAY_10).status_code == 201
    db.session.refresh(hold)
    assert hold.status == "expired"
    assert active_count() == 1


def test_patient_sees_only_her_own_booking(client, app, practice, patient, make_user, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    assert client.get(f"/api/v1/bookings/{booking_id}").status_code == 200
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert other.get(f"/api/v1/bookings/{booking_id}").status_code == 404
    assert other.get(f"/account/appointments/{booking_id}").status_code == 404
    assert app.test_client().get(f"/api/v1/bookings/{booking_id}").status_code == 404


def test_practitioner_sees_the_booking(client, app, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    assert dr.get(f"/api/v1/bookings/{booking_id}").get_json()["status"] == "confirmed"
    page = dr.get(f"/practice/appointments/{booking_id}").get_data(as_text=True)
    assert "ada@example.com" in page


def test_cancelling_frees_the_time(client, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    token = csrf_token(client, "/account")
    response = client.post(f"/api/v1/bookings/{booking_id}/cancel", json={}, headers={"X-CSRFToken": token})
    assert response.get_json()["status"] == "cancelled"
    assert book_api(client, THURSDAY_10).status_code == 201


@pytest.mark.parametrize("body", ["0", "0.0", "[]", "1", "\"cancel\"", "false", "\x00", "{", "null"])
def test_a_cancel_body_that_is_not_an_object_is_refused_and_the_booking_kept(client, practice, patient, frozen, body):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    token = csrf_token(client, "/account")
    response = client.post(f"/api/v1/bookings/{booking_id}/cancel", data=body,
                           headers={"X-CSRFToken": token, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON object" in response.get_json()["error"]["message"]
    assert client.get(f"/api/v1/bookings/{booking_id}").get_json()["status"] == "confirmed"


DEEP = "[" * 1000 + "]" * 1000  # overflows the JSON parser's recursion (issue 20: it was a 500)


@pytest.mark.parametrize("field", [None, "note"], ids=["deep-array", "deep-in-a-field"])
def test_json_nested_too_deep_is_refused_with_422_on_booking_and_cancel(client, practice, patient, frozen, field):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    headers = {"X-CSRFToken": csrf_token(client, "/account"), "Content-Type": "application/json"}
    wanted = ('"type": "initial", "start": "%s", "safety_screen": {"all_no": true}'
              % (THURSDAY_10 + timedelta(hours=1)).isoformat())
    body = DEEP if field is None else "{%s, \"%s\": %s}" % (wanted, field, DEEP)
    booked = client.post("/api/v1/bookings", data=body, headers=headers)
    assert booked.status_code == 422 and "JSON object" in booked.get_json()["error"]["message"]
    cancel_body = DEEP if field is None else '{"reason": %s}' % DEEP
    cancelled = client.post(f"/api/v1/bookings/{booking_id}/cancel", data=cancel_body, headers=headers)
    assert cancelled.status_code == 422 and "JSON object" in cancelled.get_json()["error"]["message"]
    assert client.get(f"/api/v1/bookings/{booking_id}").get_json()["status"] == "confirmed"
    assert active_count() == 1


def test_account_lists_upcoming_appointments_in_the_patients_zone(client, practice, patient, frozen):
    book_api(client, THURSDAY_10)
    page = client.get("/account").get_data(as_text=True)
    assert "Thursday 3 December 2026, 15:00 GMT" in page  # 10:00 New York, shown in London time


def test_patient_reschedules_keeping_the_appointment(client, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    new_start = THURSDAY_10 + timedelta(days=1)
    response = post_confirmed(client, f"/account/appointments/{booking_id}/reschedule",
                              {"start": new_start.isoformat()})
    assert response.status_code == 303
    appointment = db.session.get(Appointment, booking_id)
    assert (appointment.starts_at, appointment.rescheduled_from, appointment.reschedule_count) == \
        (new_start, THURSDAY_10, 1)
    assert book_api(client, THURSDAY_10).status_code == 201  # the old time is free again


def test_reschedule_is_refused_inside_the_notice_window(client, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    frozen.move_to(THURSDAY_10 - timedelta(hours=23))
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    response = post_confirmed(client, f"/account/appointments/{booking_id}/reschedule",
                              {"start": (THURSDAY_10 + timedelta(days=1)).isoformat()})
    assert response.status_code == 409
    assert "up to 24 hours before" in response.get_data(as_text=True)


def test_reschedule_is_refused_after_the_maximum(client, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    for days in (1, 6):
        post_confirmed(client, f"/account/appointments/{booking_id}/reschedule",
                       {"start": (THURSDAY_10 + timedelta(days=days)).isoformat()})
    response = post_confirmed(client, f"/account/appointments/{booking_id}/reschedule",
                              {"start": (THURSDAY_10 + timedelta(days=7)).isoformat()})
    assert response.status_code == 409
    assert "at most 2 times" in response.get_data(as_text=True)


def test_practitioner_must_give_a_reason_to_cancel(client, app, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    path = f"/practice/appointments/{booking_id}"
    assert post_confirmed(dr, f"{path}/cancel", {"reason": " "}, token_from=path).status_code == 422
    assert post_confirmed(dr, f"{path}/cancel", {"reason": "Unwell"}, token_from=path).status_code == 303
    assert db.session.get(Appointment, booking_id).cancel_reason == "Unwell"


def test_practitioner_marks_outcome_only_after_the_start(client, app, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    path = f"/practice/appointments/{booking_id}"
    assert post_form(dr, f"{path}/outcome", {"outcome": "completed"}, token_from=path).status_code == 409
    frozen.move_to(THURSDAY_10 + timedelta(minutes=5))
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    assert post_form(dr, f"{path}/outcome", {"outcome": "no_show"}, token_from=path).status_code == 303
    assert db.session.get(Appointment, booking_id).status == "no_show"


def test_practitioner_books_on_behalf_of_a_patient(client, app, practice, patient, frozen):
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = post_form(dr, "/practice/book", {"type": "initial", "patient_id": patient.id,
                                                "start": THURSDAY_10.isoformat()})
    assert response.status_code == 303
    appointment = db.session.scalar(select(Appointment))
    assert (appointment.patient_id, appointment.booked_by_id) == (patient.id, practice[0].id)


def test_practice_notes_are_private_to_the_practitioner(client, app, practice, patient, frozen):
    booking_id = book_api(client, THURSDAY_10).get_json()["id"]
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    path = f"/practice/appointments/{booking_id}"
    post_form(dr, f"{path}/note", {"section-0": "Consider DAO test", "action": "sign"}, token_from=path)
    assert "Consider DAO test" in dr.get(path).get_data(as_text=True)
    assert "Consider DAO test" not in client.get(f"/account/appointments/{booking_id}").get_data(as_text=True)
    assert "Consider DAO test" not in client.get(f"/api/v1/bookings/{booking_id}").get_data(as_text=True)


statements_text = []


def _queries_for(app, client, path: str) -> int:
    statements = statements_text
    statements.clear()

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):  # transaction control is not a query
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_slots_cost_the_same_few_queries_however_many_appointments(app, client, practice, make_user, frozen):
    _, profile, ct = practice
    path = "/api/v1/slots?type=initial&start=2026-12-02&end=2026-12-31&tz=UTC"
    patient = make_user("bea@example.com")

    def add(n: int, offset_days: int) -> None:
        for i in range(n):
            start = datetime(2025, 1, 1, 14, tzinfo=UTC) + timedelta(days=offset_days + i)
            db.session.add(Appointment(patient_id=patient.id, practitioner_id=profile.id, consultation_type_id=ct.id,
                                       starts_at=start, ends_at=start + timedelta(hours=1), blocked_start=start,
                                       blocked_end=start + timedelta(hours=1), status="confirmed",
                                       payment_status="paid", price_minor=1, currency="usd", patient_timezone="UTC"))
        db.session.commit()

    add(10, 0)
    few = _queries_for(app, client, path)
    add(500, 20)
    many = _queries_for(app, client, path)
    assert few == many <= 5, statements_text


def test_postgresql_itself_refuses_overlapping_active_appointments(app, practice, make_user, database_url):
    """The last line of defence: even a write that bypasses the booking service cannot double-book."""
    if not database_url.startswith("postgresql"):
        pytest.skip("exclusion constraints are PostgreSQL's; SQLite relies on the write-locked transaction")
    from sqlalchemy.exc import IntegrityError

    bea, cal = make_user("bea@example.com"), make_user("cal@example.com")
    _hold(bea, practice, THURSDAY_10, datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(IntegrityError, match="appointments_no_overlap"):
        _hold(cal, practice, THURSDAY_10 + timedelta(minutes=30), datetime(2030, 1, 1, tzinfo=UTC))
    db.session.rollback()
    # A cancelled or expired appointment does not block.
    _hold(cal, practice, THURSDAY_10 + timedelta(hours=2), datetime(2030, 1, 1, tzinfo=UTC))
    db.session.execute(Appointment.__table__.update().where(Appointment.patient_id == cal.id).values(status="expired"))
    db.session.commit()
    _hold(make_user("dee@example.com"), practice, THURSDAY_10 + timedelta(hours=2), datetime(2030, 1, 1, tzinfo=UTC))


def test_review_without_payments_says_she_pays_at_the_appointment(client, practice, patient):
    from tests.support.payments import pass_safety_screen

    pass_safety_screen(client)
    html = client.get("/book/initial/review",
                      query_string={"start": THURSDAY_10.isoformat(), "tz": "Europe/London"}).get_data(as_text=True)
    assert ">Confirm booking (pay at the appointment)</button>" in html
    assert "Continue to payment" not in html and "Stripe" not in html
