"""The waitlist, end to end: a freed time goes to the first patient waiting whom it suits, held for her
and emailed; not taken, it passes to the next; leaving is one click; one time is never offered twice."""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.red_flags import QUESTIONS
from app.models.notify import OutboxMessage
from app.models.scheduling import CANCELLED, CONFIRMED, Appointment
from app.models.waitlist import LEFT, OFFER_LAPSED, OFFER_OPEN, WaitlistEntry, WaitlistOffer
from app.scheduling import waitlist
from tests.conftest import DEFAULT_PASSWORD
from tests.support.seeded import appointment_row
from tests.support.web import csrf_token, post_form

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday
THURSDAY = date(2026, 12, 3)
TEN = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thursday 10:00 in New York
ELEVEN = TEN + timedelta(hours=1)
HOLD = timedelta(minutes=120)  # WAITLIST_HOLD_MINUTES' default


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def full_thursday(make_practice, make_user, frozen):
    """Thursday is open 10:00-12:00 New York time only, and both hours are booked."""
    _, _, ct = make_practice(intake_required=False, hours=[(3, time(10), time(12))])
    fillers = [appointment_row(make_user(f"filler{n}@example.com"), ct, start=start)
               for n, start in enumerate((TEN, ELEVEN))]
    return ct, fillers


def wait(make_user, ct, email: str, *, earliest=None, latest=None, at=None) -> WaitlistEntry:
    patient = make_user(email, timezone="America/New_York")
    entry = waitlist.join(patient, ct, waitlist.Wish(THURSDAY, THURSDAY, "America/New_York", earliest, latest),
                          now=at or NOW)
    db.session.commit()
    return entry


def free(appointment: Appointment) -> None:
    appointment.status, appointment.cancelled_at = CANCELLED, NOW
    db.session.commit()


def run(app, command: str = "process-waitlist") -> str:
    result = app.test_cli_runner().invoke(args=[command])
    assert result.exit_code == 0, result.output
    return result.output


def offers_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to == email, OutboxMessage.kind == "waitlist_offer").order_by(OutboxMessage.created_at)))


def open_offers() -> list[WaitlistOffer]:
    return list(db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.status == OFFER_OPEN)))


def sign_in(client, email: str) -> None:
    post_form(client, "/auth/login", {"email": email, "password": DEFAULT_PASSWORD})


def test_a_freed_time_is_held_for_the_first_patient_waiting_and_emailed(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    wait(make_user, ct, "second@example.com", at=NOW + timedelta(minutes=1))
    assert "offered 0 time(s)" in run(app)
    free(ten)
    assert "offered 1 time(s)" in run(app)
    [offer] = open_offers()
    assert (offer.entry.patient.email, offer.starts_at, offer.expires_at) == ("first@example.com", TEN, NOW + HOLD)
    [email] = offers_to("first@example.com")
    assert "Thursday 3 December 2026, 10:00 EST" in email.text_body
    assert f"/account/waitlist/offers/{offer.id}" in email.text_body and "/waitlist/leave/" in email.text_body
    assert offers_to("second@example.com") == []
    slots = client.get("/api/v1/slots?type=initial&start=2026-12-03&end=2026-12-03&tz=UTC").get_json()
    assert slots["slots"] == []  # the hold blocks the time for everyone else


def test_only_a_time_that_suits_her_is_offered(app, full_thursday, make_user):
    ct, (ten, eleven) = full_thursday
    wait(make_user, ct, "late@example.com", earliest=time(11), latest=time(12))
    free(ten)
    assert "offered 0 time(s)" in run(app)
    free(eleven)
    run(app)
    assert [o.starts_at for o in open_offers()] == [ELEVEN]


def test_an_offer_not_taken_passes_to_the_next_when_its_hold_runs_out(app, full_thursday, make_user, frozen):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    wait(make_user, ct, "second@example.com", at=NOW + timedelta(minutes=1))
    free(ten)
    run(app)
    frozen.move_to(NOW + HOLD - timedelta(minutes=1))
    assert "offered 0 time(s)" in run(app, "expire-holds")
    frozen.move_to(NOW + HOLD + timedelta(minutes=1))
    assert "offered 1 time(s) from the waitlist" in run(app, "expire-holds")
    [offer] = open_offers()
    assert (offer.entry.patient.email, offer.starts_at) == ("second@example.com", TEN)
    first = db.session.scalar(select(WaitlistOffer).join(WaitlistEntry).where(WaitlistOffer.status == OFFER_LAPSED))
    assert first.entry.patient.email == "first@example.com" and first.entry.status == "waiting"
    assert len(offers_to("first@example.com")) == 1  # never offered the same time again


def test_she_takes_the_offer_and_it_is_booked(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    free(ten)
    run(app)
    [offer] = open_offers()
    sign_in(client, "first@example.com")
    page = client.get(f"/account/waitlist/offers/{offer.id}").get_data(as_text=True)
    assert "held for you until" in page
    response = post_form(client, f"/account/waitlist/offers/{offer.id}/accept", {},
                         token_from=f"/account/waitlist/offers/{offer.id}")
    assert response.headers["Location"].startswith("/book/safety")  # the red-flag screen comes first
    client.post("/book/safety", data={"csrf_token": csrf_token(client, "/book/safety"),
                                      **{q.field: "no" for q in QUESTIONS}})
    response = post_form(client, f"/account/waitlist/offers/{offer.id}/accept", {},
                         token_from=f"/account/waitlist/offers/{offer.id}")
    assert response.status_code == 303
    appointment = db.session.get(Appointment, offer.appointment_id)
    assert (appointment.status, appointment.starts_at, appointment.hold_expires_at) == (CONFIRMED, TEN, None)
    assert db.session.get(WaitlistOffer, offer.id).entry.status == "booked"
    subjects = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to == "first@example.com")).all()
    assert any(s.startswith("Booked") for s in subjects)


def test_an_expired_offer_cannot_be_taken(app, client, full_thursday, make_user, frozen):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    free(ten)
    run(app)
    [offer] = open_offers()
    client.post("/book/safety", data={"csrf_token": csrf_token(client, "/book/safety"),
                                      **{q.field: "no" for q in QUESTIONS}})
    frozen.move_to(NOW + HOLD + timedelta(seconds=1))
    sign_in(client, "first@example.com")
    client.post("/book/safety", data={"csrf_token": csrf_token(client, "/book/safety"),
                                      **{q.field: "no" for q in QUESTIONS}})
    response = post_form(client, f"/account/waitlist/offers/{offer.id}/accept", {},
                         token_from=f"/account/waitlist/offers/{offer.id}")
    assert response.status_code == 409
    assert db.session.get(Appointment, offer.appointment_id).status != CONFIRMED


def test_declining_passes_the_time_to_the_next_at_once(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    wait(make_user, ct, "second@example.com", at=NOW + timedelta(minutes=1))
    free(ten)
    run(app)
    [offer] = open_offers()
    sign_in(client, "first@example.com")
    post_form(client, f"/account/waitlist/offers/{offer.id}/decline", {},
              token_from=f"/account/waitlist/offers/{offer.id}")
    assert [o.entry.patient.email for o in open_offers()] == ["second@example.com"]


def test_leaving_by_the_emails_link_is_one_click_and_releases_the_held_time(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    entry = wait(make_user, ct, "first@example.com")
    wait(make_user, ct, "second@example.com", at=NOW + timedelta(minutes=1))
    free(ten)
    run(app)
    link = re.search(r"http://localhost(/waitlist/leave/\S+)", offers_to("first@example.com")[0].text_body).group(1)
    page = client.get(link).get_data(as_text=True)  # not signed in; viewing the link changes nothing
    assert "Leave the waitlist</button>" in page and db.session.get(WaitlistEntry, entry.id).status == "waiting"
    response = post_form(client, link, {})
    assert response.status_code == 200 and "You are off the waitlist" in response.get_data(as_text=True)
    assert db.session.get(WaitlistEntry, entry.id).status == LEFT
    run(app)
    assert [o.entry.patient.email for o in open_offers()] == ["second@example.com"]


@pytest.mark.parametrize("token", ["nonsense", "WzEsMTc2NDUwNDAwMF0.forged-signature"])
def test_a_tampered_leave_link_is_404(client, full_thursday, make_user, token):
    entry = wait(make_user, full_thursday[0], "first@example.com")
    assert client.get(f"/waitlist/leave/{token}").status_code == 404
    assert db.session.get(WaitlistEntry, entry.id).status == "waiting"


def test_leaving_from_the_account_is_one_button(app, client, full_thursday, make_user):
    entry = wait(make_user, full_thursday[0], "first@example.com")
    sign_in(client, "first@example.com")
    assert "Leave the waitlist</button>" in client.get("/account").get_data(as_text=True)
    response = post_form(client, f"/account/waitlist/{entry.id}/leave", {}, token_from="/account")
    assert response.status_code == 303 and db.session.get(WaitlistEntry, entry.id).status == LEFT


def test_another_patients_waitlist_place_and_offer_are_404(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    entry = wait(make_user, ct, "first@example.com")
    free(ten)
    run(app)
    [offer] = open_offers()
    make_user("eve@example.com")
    sign_in(client, "eve@example.com")
    assert client.get(f"/account/waitlist/offers/{offer.id}").status_code == 404
    assert post_form(client, f"/account/waitlist/{entry.id}/leave", {}, token_from="/account").status_code == 404
    assert db.session.get(WaitlistEntry, entry.id).status == "waiting"


JOIN_REFUSALS = [
    ({"first_day": "2026-11-29", "last_day": "2026-12-03"}, 422, "Choose dates from today on."),
    ({"first_day": "2026-12-04", "last_day": "2026-12-03"}, 422, "The last date must be on or after the first."),
    ({"first_day": "2026-12-03", "last_day": "2027-06-01"}, 422, "Bookings open 60 days ahead"),
    ({"first_day": "soon", "last_day": "2026-12-03"}, 422, "Enter the first date as a date"),
    ({"first_day": "2026-12-03", "last_day": "2026-12-03", "earliest": "10:00"}, 422, "or neither"),
    ({"first_day": "2026-12-03", "last_day": "2026-12-03", "earliest": "12:00", "latest": "10:00"}, 422,
     "must be before the latest"),
    ({"first_day": "2026-12-03", "last_day": "2026-12-03", "earliest": "25:00", "latest": "26:00"}, 422,
     "as a time of day"),
]


@pytest.mark.parametrize("form, status, message", JOIN_REFUSALS)
def test_joining_with_bad_dates_or_times_is_refused_with_a_clear_message(client, full_thursday, make_user, form,
                                                                         status, message):
    make_user("ada@example.com")
    sign_in(client, "ada@example.com")
    response = post_form(client, "/book/initial/waitlist", form)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert db.session.scalar(select(WaitlistEntry.id)) is None


def test_joining_from_the_booking_page_and_twice_is_409(client, full_thursday, make_user):
    make_user("ada@example.com")
    sign_in(client, "ada@example.com")
    client.post("/book/safety", data={"csrf_token": csrf_token(client, "/book/safety"),
                                      **{q.field: "no" for q in QUESTIONS}})
    month = client.get("/book/initial?tz=America/New_York").get_data(as_text=True)
    assert 'href="/book/initial/waitlist"' in month
    form = {"first_day": "2026-12-03", "last_day": "2026-12-10", "earliest": "09:00", "latest": "12:00"}
    assert post_form(client, "/book/initial/waitlist", form).status_code == 303
    assert post_form(client, "/book/initial/waitlist", form).status_code == 409
    entry = db.session.scalar(select(WaitlistEntry))
    assert (entry.first_day, entry.earliest, entry.timezone) == (THURSDAY, time(9), "Europe/London")


def test_two_cancellations_three_waiting_two_runs_at_once_never_offer_a_time_twice(app, full_thursday, make_user):
    """Two runs race (threads, each its own session and connection); the holds are active appointments,
    so the database itself keeps a second offer of one time out (and one open offer per patient)."""
    ct, fillers = full_thursday
    for n, email in enumerate(("p1@example.com", "p2@example.com", "p3@example.com")):
        wait(make_user, ct, email, at=NOW + timedelta(minutes=n))
    for filler in fillers:
        free(filler)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def one_run():
        try:
            with app.app_context():
                barrier.wait()
                waitlist.offer_open_times(NOW, hold=HOLD)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    db.session.expire_all()
    offers = open_offers()
    assert sorted(o.starts_at for o in offers) == [TEN, ELEVEN]  # each freed time exactly once
    assert sorted(o.entry.patient.email for o in offers) == ["p1@example.com", "p2@example.com"]
    holds = db.session.scalars(select(Appointment).where(Appointment.status == "pending_payment")).all()
    assert sorted(h.starts_at for h in holds) == [TEN, ELEVEN]


def test_a_booking_cancelled_by_the_patient_is_offered_at_once(app, client, full_thursday, make_user):
    ct, (ten, _) = full_thursday
    wait(make_user, ct, "first@example.com")
    sign_in(client, "filler0@example.com")  # who booked Thursday 10:00
    token = csrf_token(client, "/account")
    assert client.post(f"/api/v1/bookings/{ten.id}/cancel", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert [(o.entry.patient.email, o.starts_at) for o in open_offers()] == [("first@example.com", TEN)]


def test_her_data_export_lists_her_waitlist_places_and_offers(app, full_thursday, make_user):
    from app.privacy.export import collect

    ct, (ten, _) = full_thursday
    entry = wait(make_user, ct, "first@example.com", earliest=time(9), latest=time(12))
    free(ten)
    run(app)
    [place] = collect(entry.patient, base_url="http://localhost", now=NOW).data["waitlist"]
    assert (place["first_day"], place["earliest"], place["status"]) == ("2026-12-03", "09:00:00", "waiting")
    assert [o["starts_at"] for o in place["offers"]] == [TEN.isoformat()]


def test_erasing_her_account_removes_her_waitlist_places(app, full_thursday, make_user):
    from app.privacy.erasure import erase

    ct, (ten, _) = full_thursday
    entry = wait(make_user, ct, "first@example.com")
    free(ten)
    run(app)
    with app.test_request_context():
        erase(entry.patient, DEFAULT_PASSWORD, now=NOW)
        db.session.commit()
    assert db.session.scalars(select(WaitlistEntry)).all() == []
    assert db.session.scalars(select(WaitlistOffer)).all() == []


# --- issue 20: joining must not hold a time that was plainly open ----------------------------------

@pytest.fixture
def open_thursday(make_practice, make_user, frozen):
    """Thursday 10:00-12:00 New York time, both hours open."""
    _, _, ct = make_practice(intake_required=False, hours=[(3, time(10), time(12))], granularity_minutes=60)
    return ct


def test_joining_while_times_are_open_holds_none_of_them(app, open_thursday, make_user):
    ct = open_thursday
    wait(make_user, ct, "squatter@example.com")
    run(app)
    assert open_offers() == [] and offers_to("squatter@example.com") == []
    from app.scheduling import schedule
    assert schedule.open_slots(ct, TEN - timedelta(hours=1), ELEVEN + timedelta(hours=2), NOW) == [TEN, ELEVEN]


def test_a_time_that_opens_up_after_she_joined_is_offered(app, open_thursday, make_user, frozen):
    ct = open_thursday
    wait(make_user, ct, "waiting@example.com")
    # Both open times are booked after she joined; one is cancelled, the other's hold runs out.
    booked = appointment_row(make_user("someone@example.com"), ct, start=TEN)
    run(app)
    assert open_offers() == []
    free(booked)
    run(app)
    assert [(o.starts_at, o.entry.patient.email) for o in open_offers()] == [(TEN, "waiting@example.com")]


def test_new_hours_added_after_she_joined_are_offered(app, open_thursday, make_user):
    from app.models.scheduling import WeeklyAvailability

    ct = open_thursday
    wait(make_user, ct, "waiting@example.com")
    db.session.add(WeeklyAvailability(practitioner_id=ct.practitioner_id, weekday=3, start_time=time(12),
                                      end_time=time(13)))
    db.session.commit()
    run(app)
    assert [o.starts_at for o in open_offers()] == [ELEVEN + timedelta(hours=1)]


@pytest.mark.frozen_at(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # 1 Dec in UTC, still 30 Nov in Honolulu
def test_the_join_forms_dates_start_at_her_today_in_her_zone(client, make_practice, make_user, frozen):
    """Her dates are her own calendar's (join() checks them in her zone): in her evening, behind UTC, the
    form must still let her pick her today."""
    make_practice(intake_required=False)
    make_user("kai@example.com", timezone="Pacific/Honolulu")
    sign_in(client, "kai@example.com")
    page = client.get("/book/initial/waitlist").get_data(as_text=True)
    assert re.findall(r'name="(first_day|last_day)" type="date" required min="([0-9-]+)"', page) == [
        ("first_day", "2026-11-30"), ("last_day", "2026-11-30")]
    form = {"first_day": "2026-11-30", "last_day": "2026-12-02", "earliest": "", "latest": ""}
    assert post_form(client, "/book/initial/waitlist", form).status_code == 303
