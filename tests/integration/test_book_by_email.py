"""Booking with name and email, no password (issue 21 point 3): the review of the chosen time asks a
visitor for her name, email and consent; a 6-digit code emailed to that address (app/accounts/verification.py)
books the time once typed in. A new address gets a patient account without a password; a returning
patient's address signs her in. The time is checked again at the code step, not held meanwhile."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import User, find_user_by_email
from app.models.audit import AuditEvent
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.book_by_email import THURSDAY_10, enter_code, give_details
from tests.support.verification import emailed_code
from tests.support.visitors import Visitor
from tests.support.web import csrf_from

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # Tuesday
REVIEW = f"/book/initial/review?start={THURSDAY_10:%Y-%m-%dT%H:%M:%SZ}&tz=Europe/London"


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def visitor(app, make_practice, frozen):
    make_practice()
    return Visitor(app, None)


def appointments() -> list[Appointment]:
    db.session.commit()
    return list(db.session.scalars(select(Appointment)))


def users() -> int:
    """Patients' accounts."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "patient"))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_new_patient_books_with_name_email_and_the_emailed_code(visitor, mailbox):
    review = visitor.client.get(REVIEW).get_data(as_text=True)
    assert "Your details" in review and 'type="password"' not in review and "Email me a code" in review

    sent = give_details(visitor)
    assert sent.status_code == 303 and sent.headers["Location"] == "/book/initial/code"
    page = visitor.client.get("/book/initial/code").get_data(as_text=True)
    assert "We emailed a 6-digit code to <strong>ada@example.com</strong>" in page
    assert "Thursday 3 December 2026, 15:00 GMT" in page  # the time she is booking, in her zone
    assert appointments() == [] and users() == 0  # nothing made before the code

    booked = enter_code(visitor, emailed_code(mailbox, "ada@example.com"))
    assert booked.status_code == 303 and booked.headers["Location"].startswith("/account/appointments/")
    [appointment] = appointments()
    ada = find_user_by_email("ada@example.com")
    assert (appointment.patient_id, appointment.starts_at, appointment.status) == (ada.id, THURSDAY_10, "confirmed")
    assert ada.full_name == "Ada Lovelace" and ada.timezone == "Europe/London"
    assert ada.email_verified and ada.health_data_consent_at is not None and not ada.has_password
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "consent", AuditEvent.patient_id == ada.id)) == 1
    home = visitor.client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "Your consultation is booked." in home  # signed in, on her appointment page


def test_the_code_is_refused_when_wrong_five_times_or_expired(visitor, mailbox, frozen):
    give_details(visitor)
    code = emailed_code(mailbox, "ada@example.com")
    first = enter_code(visitor, wrong(code))
    assert first.status_code == 422 and "That code is not right" in first.get_data(as_text=True)
    assert [enter_code(visitor, wrong(code)).status_code for _ in range(4)] == [422, 422, 422, 429]
    dead = enter_code(visitor, code)
    assert dead.status_code == 429 and "Ask for a new code" in dead.get_data(as_text=True)
    assert appointments() == [] and users() == 0

    mailbox.clear()
    visitor.post("/book/initial/code/resend")
    fresh = emailed_code(mailbox, "ada@example.com")
    frozen.shift(timedelta(minutes=31))
    late = enter_code(visitor, fresh)
    assert late.status_code == 422 and "This code has expired" in late.get_data(as_text=True)
    assert appointments() == [] and users() == 0


def test_asking_for_new_codes_is_limited(visitor, mailbox):
    give_details(visitor)  # the first email to the address
    statuses = [visitor.post("/book/initial/code/resend").status_code for _ in range(3)]
    assert statuses == [303, 303, 429]  # MAIL_RATE_LIMIT_ADDRESS: 3 a minute for one address
    assert len(mailbox.wait_for("ada@example.com", count=3)) == 3


@pytest.mark.parametrize("changes, message", [
    ({"consent": ""}, "We can only keep your health information with your explicit consent."),
    ({"email": "not-an-address"}, "Enter an email address like name@example.com."),
    ({"full_name": "  "}, "Enter your name."),
])
def test_missing_details_are_asked_for_on_the_same_page_and_nothing_is_sent(visitor, mailbox, changes, message):
    answer = give_details(visitor, **changes)
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert "Thursday 3 December 2026, 15:00 GMT" in answer.get_data(as_text=True)
    assert mailbox.to("ada@example.com") == [] and users() == 0


def test_a_returning_patient_signs_in_with_the_code_and_keeps_her_account(app, make_practice, make_user, mailbox,
                                                                            frozen):
    make_practice()
    ada = make_user("ada@example.com", full_name="Ada King")
    visitor = Visitor(app, None)
    answer = give_details(visitor, full_name="Someone Else")
    assert answer.headers["Location"] == "/book/initial/code"  # the same answer as for a new address
    assert enter_code(visitor, emailed_code(mailbox, "ada@example.com")).status_code == 303
    [appointment] = appointments()
    assert appointment.patient_id == ada.id and users() == 1  # nobody new
    db.session.refresh(ada)
    assert ada.full_name == "Ada King" and ada.has_password  # the name typed does not rewrite hers


def test_a_time_taken_while_she_read_her_email_shows_the_nearest_times(app, visitor, mailbox, make_user,
                                                                      make_appointment):
    give_details(visitor)
    from app.scheduling.schedule import active_type

    make_appointment(active_type("initial"), make_user("bob@example.com"), starts_at=THURSDAY_10)
    answer = enter_code(visitor, emailed_code(mailbox, "ada@example.com"))
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "The nearest open times" in html
    ada = find_user_by_email("ada@example.com")
    assert ada is not None and ada.email_verified  # she proved the address: the account stays for her
    assert [a.patient_id for a in appointments()] != [] and all(a.patient_id != ada.id for a in appointments())


def test_a_practitioners_address_cannot_book_or_sign_in_with_a_code(app, make_practice, mailbox, frozen):
    make_practice()
    visitor = Visitor(app, None)
    give_details(visitor, email="dr@example.com")
    answer = enter_code(visitor, emailed_code(mailbox, "dr@example.com"))
    assert answer.status_code == 403 and appointments() == []
    assert visitor.client.get("/practice").status_code in (302, 303)  # not signed in


def test_without_a_password_she_sets_one_later_and_password_login_waits_for_it(visitor, mailbox, app):
    give_details(visitor)
    enter_code(visitor, emailed_code(mailbox, "ada@example.com"))
    page = visitor.client.get("/account/password").get_data(as_text=True)
    assert "<h1>Set a password</h1>" in page and "Current password" not in page
    other = app.test_client()
    token = csrf_from(other.get("/auth/login").get_data(as_text=True))
    refused = other.post("/auth/login", data={"email": "ada@example.com", "password": "", "csrf_token": token})
    assert refused.status_code in (401, 422)
    token = csrf_from(page)
    assert visitor.client.post("/account/password", data={"password": "lavender tea at dawn",
                                                          "csrf_token": token}).status_code == 303
    token = csrf_from(other.get("/auth/login").get_data(as_text=True))
    signed_in = other.post("/auth/login", data={"email": "ada@example.com", "password": "lavender tea at dawn",
                                                "csrf_token": token})
    assert signed_in.status_code == 303


def test_the_register_and_login_pages_show_the_time_she_is_booking(visitor):
    from urllib.parse import quote

    for page in ("/auth/register", "/auth/login"):
        html = visitor.client.get(f"{page}?next={quote(REVIEW)}").get_data(as_text=True)
        assert "You are booking: <strong>Initial consultation, Thursday 3 December 2026, 15:00 GMT</strong>" in html


def test_a_signed_in_patient_still_books_from_the_review_without_the_details_form(app, make_practice, make_user,
                                                                                 frozen):
    make_practice()
    make_user("ada@example.com")
    visitor = Visitor(app, "ada@example.com", DEFAULT_PASSWORD)
    review = visitor.client.get(REVIEW).get_data(as_text=True)
    assert "Your details" not in review and "Confirm booking (pay at the appointment)" in review


def test_a_patient_without_a_password_signs_in_later_with_an_emailed_code(app, visitor, mailbox):
    give_details(visitor)
    enter_code(visitor, emailed_code(mailbox, "ada@example.com"))
    mailbox.clear()
    later = Visitor(app, None)  # another day, another browser
    assert "No password? Sign in with an emailed code" in later.client.get("/auth/login").get_data(as_text=True)
    asked = later.post("/book/sign-in", {"email": "ADA@example.com"})
    assert asked.status_code == 303 and asked.headers["Location"] == "/book/sign-in/code"
    code = emailed_code(mailbox, "ada@example.com")
    wrong_try = later.post("/book/sign-in/code", {"code": wrong(code)})
    assert wrong_try.status_code == 422 and later.client.get("/account").status_code == 302
    signed_in = later.post("/book/sign-in/code", {"code": code})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/account"
    assert "Ada Lovelace" in later.client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("email", ["nobody@example.com", "dr@example.com"])
def test_asking_for_a_sign_in_code_answers_the_same_and_emails_only_patients(visitor, mailbox, email):
    asked = visitor.post("/book/sign-in", {"email": email})
    assert asked.status_code == 303 and asked.headers["Location"] == "/book/sign-in/code"
    page = visitor.client.get("/book/sign-in/code").get_data(as_text=True)
    assert "If <strong>" in page and "belongs to a patient's account, we have emailed it" in page
    assert mailbox.to(email) == []
    assert visitor.post("/book/sign-in/code", {"code": "123456"}).status_code == 422
