"""Nothing that cannot be undone happens on one click: cancelling, refunding and rescheduling, by the
patient and by the practitioner, first show a page that says exactly what will happen (the new time in
both zones, the refund and its currency, who is emailed) and change nothing; only that page's own
submit acts. Payments on, against the fake Stripe server."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import Refund
from app.models.notify import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.support.payments import NOW, THURSDAY_10, appointment, book_via_api, deliver, session_of
from tests.support.web import confirmation_form, post_form

FRIDAY_10 = THURSDAY_10 + timedelta(days=1)  # 10:00 in New York, 15:00 in London
ADA = "ada@example.com"


pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


@pytest.fixture
def practice(make_practice):
    user, profile, ct = make_practice()
    profile.late_cancel_refund_percent = 50
    db.session.commit()
    return user, profile, ct


@pytest.fixture
def patient(make_user, auth, frozen, practice):
    user = make_user(ADA, timezone="Europe/London", full_name="Ada Lovelace")
    auth.login(ADA, DEFAULT_PASSWORD)
    return user


@pytest.fixture
def paid(client, patient, fake_stripe, mailbox) -> int:
    """A confirmed visit paid $300.00 on Stripe, Thursday 10:00 New York (15:00 London)."""
    booking_id = book_via_api(client).get_json()["id"]
    assert deliver(client, fake_stripe, fake_stripe.pay(session_of(booking_id))).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    mailbox.wait_for(ADA)  # the confirmation, so that what follows starts from a quiet mailbox
    mailbox.clear()
    return booking_id


def outbox() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def refunds() -> list[int]:
    db.session.rollback()
    return db.session.scalars(select(Refund.amount_minor).order_by(Refund.id)).all()


def ask(client, path: str, data: dict, page: str):
    """The first submission: must answer 200 with a confirmation and change nothing at all."""
    queued = outbox()
    response = post_form(client, path, data, token_from=page)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert outbox() == queued  # nothing queued ...
    return response.get_data(as_text=True)


def confirm(client, html: str):
    action, fields = confirmation_form(html)
    assert fields["csrf_token"]  # the confirmation's own submit is CSRF-protected like any form
    return client.post(action, data=fields)


def test_patient_cancel_asks_first_with_the_refund_and_who_is_told(client, paid, mailbox):
    page = f"/account/appointments/{paid}"
    html = ask(client, f"{page}/cancel", {"reason": "Feeling better"}, page)
    assert appointment(paid).status == "confirmed" and refunds() == []
    assert mailbox.to(ADA) == [] and mailbox.to("dr@example.com") == []  # ... and nothing sent
    assert "You are refunded <strong>$300.00 (USD)</strong>" in html
    assert "Thursday 3 December 2026, 15:00 GMT" in html  # her visit, in her zone
    assert f"We email you the cancellation at <strong>{ADA}</strong>" in html
    assert "The practice is told by email" in html
    assert confirm(client, html).status_code == 303
    assert appointment(paid).status == "cancelled" and appointment(paid).cancel_reason == "Feeling better"
    assert refunds() == [30000]
    assert [m["Subject"] for m in mailbox.wait_for(ADA)] == ["Cancelled: Initial consultation"]


def test_patient_cancel_late_shows_the_policys_share(client, paid, frozen):
    frozen.move_to(THURSDAY_10 - timedelta(hours=30))  # inside the 48 h notice: 50% back
    post_form(client, "/auth/login", {"email": ADA, "password": DEFAULT_PASSWORD})
    page = f"/account/appointments/{paid}"
    html = ask(client, f"{page}/cancel", {}, page)
    assert "You are refunded <strong>$150.00 (USD)</strong> of the $300.00 you paid" in html
    assert confirm(client, html).status_code == 303
    assert refunds() == [15000]


def test_a_refund_that_changed_between_the_two_pages_is_asked_again(client, paid, frozen):
    frozen.move_to(THURSDAY_10 - timedelta(hours=48, minutes=10))
    post_form(client, "/auth/login", {"email": ADA, "password": DEFAULT_PASSWORD})
    page = f"/account/appointments/{paid}"
    html = ask(client, f"{page}/cancel", {}, page)
    assert "$300.00 (USD)" in html
    frozen.move_to(THURSDAY_10 - timedelta(hours=47, minutes=50))  # she confirms once the 48 h notice passed
    again = confirm(client, html)
    assert again.status_code == 409 and appointment(paid).status == "confirmed" and refunds() == []
    assert "The refund due has changed" in again.get_data(as_text=True)
    assert "$150.00 (USD)" in again.get_data(as_text=True)
    assert confirm(client, again.get_data(as_text=True)).status_code == 303
    assert refunds() == [15000]


def test_patient_reschedule_asks_first_with_the_time_in_both_zones(client, paid, mailbox):
    path = f"/account/appointments/{paid}/reschedule"
    html = ask(client, path, {"start": FRIDAY_10.isoformat()}, path)
    assert appointment(paid).starts_at == THURSDAY_10 and appointment(paid).reschedule_count == 0
    assert mailbox.to(ADA) == []
    assert "to <strong>Friday 4 December 2026, 15:00 GMT</strong> (your time, Europe/London)" in html
    assert "For the practice (America/New_York) that is Friday 4 December 2026, 10:00 EST" in html
    assert "you can move this appointment online 1 more time" in html
    assert f"We email you the new time at <strong>{ADA}</strong>" in html and "The practice is told" in html
    assert confirm(client, html).status_code == 303
    assert appointment(paid).starts_at == FRIDAY_10
    assert [m["Subject"] for m in mailbox.wait_for(ADA)] == ["Moved: Initial consultation"]


def test_the_reschedule_page_moves_nothing_on_the_first_tap_of_a_time(client, paid):
    path = f"/account/appointments/{paid}/reschedule"
    page = client.get(f"{path}?day=2026-12-04").get_data(as_text=True)  # the booking screen's day link
    assert 'aria-label="Choose Friday 4 December 2026, 15:00 GMT"' in page
    ask(client, path, {"start": FRIDAY_10.isoformat()}, path)  # the tap
    assert appointment(paid).starts_at == THURSDAY_10


def test_practitioner_cancel_asks_first_with_the_full_refund_and_the_patients_address(client, paid, dr, mailbox):
    page = f"/practice/appointments/{paid}"
    html = ask(dr, f"{page}/cancel", {"reason": "I am unwell"}, page)
    assert appointment(paid).status == "confirmed" and refunds() == [] and mailbox.to(ADA) == []
    assert "The patient is refunded in full: <strong>$300.00 (USD)</strong>" in html
    assert f"Ada Lovelace is emailed at <strong>{ADA}</strong>, with your reason (“I am unwell”)" in html
    assert "Thursday 3 December 2026, 10:00 EST" in html  # in her zone
    assert confirm(dr, html).status_code == 303
    assert appointment(paid).status == "cancelled" and refunds() == [30000]
    assert [m["Subject"] for m in mailbox.wait_for(ADA)] == ["Cancelled: Initial consultation"]


def test_practitioner_refund_asks_first_with_amount_and_currency(client, paid, dr, mailbox):
    page = f"/practice/appointments/{paid}"
    html = ask(dr, f"{page}/refund", {"amount": "120.50", "reason": "Shorter visit"}, page)
    assert refunds() == [] and mailbox.to(ADA) == []
    assert "Refund <strong>$120.50 (USD)</strong> of the $300.00 paid" in html
    assert "$179.50 could still be refunded after it" in html
    assert f"Ada Lovelace is emailed at <strong>{ADA}</strong>" in html
    assert confirm(dr, html).status_code == 303
    assert refunds() == [12050]
    assert [m["Subject"] for m in mailbox.wait_for(ADA)] == ["Refund issued: Initial consultation"]


def test_practitioner_refund_over_what_remains_is_refused_on_the_first_post(client, paid, dr):
    page = f"/practice/appointments/{paid}"
    response = post_form(dr, f"{page}/refund", {"amount": "300.01"}, token_from=page)
    assert response.status_code == 422 and "At most 300.00 USD" in response.get_data(as_text=True)
    assert refunds() == []


def test_practitioner_reschedule_asks_first_with_the_time_in_both_zones(client, paid, dr, mailbox):
    path = f"/practice/appointments/{paid}/reschedule"
    html = ask(dr, path, {"start": FRIDAY_10.isoformat()}, path)
    assert appointment(paid).starts_at == THURSDAY_10 and mailbox.to(ADA) == []
    assert "to <strong>Friday 4 December 2026, 10:00 EST</strong> (your time, America/New_York)" in html
    assert "For the patient (Europe/London) that is <strong>Friday 4 December 2026, 15:00 GMT</strong>" in html
    assert f"Ada Lovelace is emailed the new time at <strong>{ADA}</strong>" in html
    assert confirm(dr, html).status_code == 303
    assert appointment(paid).starts_at == FRIDAY_10
    assert [m["Subject"] for m in mailbox.wait_for(ADA)] == ["Moved: Initial consultation"]


def test_a_taken_time_is_refused_on_the_first_post_not_after_confirming(client, paid, make_user, fake_stripe):
    other = make_user("bo@example.com")
    from tests.support.seeded import appointment_row

    appointment_row(other, appointment(paid).consultation_type, start=FRIDAY_10)
    path = f"/account/appointments/{paid}/reschedule"
    response = post_form(client, path, {"start": FRIDAY_10.isoformat()})
    assert response.status_code == 409 and appointment(paid).starts_at == THURSDAY_10


NEXT_THURSDAY = THURSDAY_10 + timedelta(days=7)


def test_a_visit_moved_after_the_full_refund_notice_keeps_it(client, paid, frozen):
    """Moving a visit 30 h away (inside the 48 h notice) to next week, then cancelling, refunds the late
    share (50%), not the whole price: rescheduling does not get round the refund policy either."""
    frozen.move_to(THURSDAY_10 - timedelta(hours=30))
    post_form(client, "/auth/login", {"email": ADA, "password": DEFAULT_PASSWORD})
    path = f"/account/appointments/{paid}/reschedule"
    html = ask(client, path, {"start": NEXT_THURSDAY.isoformat()}, path)
    assert ("The 48 hours' notice for a full refund has passed, and the moved visit keeps it: if you cancel it "
            "later, 50% of the price is refunded, as now.") in html
    assert confirm(client, html).status_code == 303
    assert appointment(paid).starts_at == NEXT_THURSDAY
    assert appointment(paid).refund_notice_closed_at == THURSDAY_10 - timedelta(hours=48)
    page = f"/account/appointments/{paid}"
    assert "keeps that notice" in client.get(page).get_data(as_text=True)
    cancel = ask(client, f"{page}/cancel", {}, page)
    assert "You are refunded <strong>$150.00 (USD)</strong> of the $300.00 you paid" in cancel
    assert confirm(client, cancel).status_code == 303
    assert refunds() == [15000]


def test_a_visit_moved_before_the_full_refund_notice_is_refunded_in_full_later(client, paid):
    path = f"/account/appointments/{paid}/reschedule"  # 51 h before: the notice has not passed
    html = ask(client, path, {"start": NEXT_THURSDAY.isoformat()}, path)
    assert "notice for a full refund has passed" not in html
    assert confirm(client, html).status_code == 303
    assert appointment(paid).refund_notice_closed_at is None
    page = f"/account/appointments/{paid}"
    assert confirm(client, ask(client, f"{page}/cancel", {}, page)).status_code == 303
    assert refunds() == [30000]
