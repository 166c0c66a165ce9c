"""A patient deletes her account (GDPR Art. 17): her password first; then, in one transaction, her
future appointments are cancelled under the refund policy, what is not her clinical record (the account,
courses, emails) is deleted, her clinical record (intake, check-ins, lab files, notes, appointments,
payments) moves to a retained record the practitioner must keep (tests/integration/test_retention.py), an
"erase" audit record is written, and she is signed out everywhere. The practitioner's everyday pages show
that she was erased, not her data: the record is read only through /practice/retained, audited."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import User, UserSession
from app.models.audit import AuditEvent
from app.models.billing import Payment, Refund
from app.models.courses import Enrollment, LessonProgress
from app.models.intake import IntakeResponse, LabUpload, SymptomCheckIn
from app.models.notes import ConsultationNote
from app.models.notify import OutboxMessage
from app.models.retention import RetainedPatient
from app.models.scheduling import Appointment
from app.models.storage import StoredFile
from tests.conftest import DEFAULT_PASSWORD
from tests.support.fakestripe import FakeStripe
from tests.support.privacy import (
    NOTE,
    NOW,
    PDF,
    PRACTITIONER_NOTE,
    REFUND_REASON,
    THURSDAY_10,
    WEDNESDAY_10,
    fill_intake,
    login,
    pay_by_hand_and_refund_part,
    send_check_in,
    take_course,
    text_of,
    upload,
    write_notes,
)
from tests.support.web import csrf_token, post_form


@pytest.fixture(scope="module")
def fake_stripe():
    with FakeStripe(webhook_secret="whsec_test_homeostasis") as fake:
        yield fake


@pytest.fixture
def app_config(app_config, tmp_path):
    """Uploads in this test's own folder, so a test can see which files erasure leaves."""
    return {**app_config, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


# Stripe's own clock (the fake's) is real time; ours is frozen but ticking, close enough to it.
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]  # this module's own fake Stripe


@pytest.fixture
def practice(make_practice):
    user, profile, ct = make_practice()  # 48 hours' notice for a full refund
    profile.late_cancel_refund_percent = 50
    db.session.commit()
    return user, profile, ct


@pytest.fixture
def ada(make_user, client, frozen):
    user = make_user("ada@example.com", full_name="Ada Lovelace")
    login(client, "ada@example.com")
    return user


@pytest.fixture
def dr(app, practice, frozen):
    client = app.test_client()
    login(client, "dr@example.com")
    return client


def book_and_pay(client, fake_stripe, start) -> int:
    token = csrf_token(client, "/account")
    booking_id = client.post("/api/v1/bookings", json={"type": "initial", "start": start.isoformat(),
                                                       "safety_screen": {"all_no": True}},
                             headers={"X-CSRFToken": token}).get_json()["id"]
    session_id = db.session.scalar(select(Payment.checkout_session_id).where(Payment.purpose_id == booking_id))
    body, headers = fake_stripe.signed(fake_stripe.pay(session_id))
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    return booking_id


@pytest.fixture
def everything(app, client, ada, dr, practice, fake_stripe, frozen, book_appointment):
    """Wednesday's visit (intake, notes, paid in cash, partly refunded) has taken place; Thursday's, paid
    online, is 22 hours away: inside the 48 hours' notice, so the policy refunds half of it."""
    past = book_appointment(ada, practice[2], starts_at=WEDNESDAY_10, note=NOTE)
    fill_intake(client, past)
    send_check_in(client)
    upload(client, PDF, "tryptase March.pdf")
    take_course(client, ada)
    write_notes(dr, past)
    pay_by_hand_and_refund_part(dr, past)
    future = book_and_pay(client, fake_stripe, THURSDAY_10)
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=2))
    login(client, "ada@example.com")
    login(dr, "dr@example.com")
    return SimpleNamespace(ada_id=ada.id, past_id=past.id, future_id=future,
                           folder=Path(app.config["UPLOAD_FOLDER"]))


def erase(client, password: str = DEFAULT_PASSWORD):
    return post_form(client, "/account/delete", {"password": password})


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(folder: Path) -> dict:
    db.session.expire_all()
    tables = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    rows = [tuple(row) for row in db.session.execute(select(Appointment.id, Appointment.status,
                                                            Appointment.patient_id, Appointment.patient_note))]
    return {"tables": tables, "appointments": rows, "files": sorted(db.session.scalars(select(StoredFile.key)))}


def test_the_page_says_which_appointments_are_cancelled_and_what_the_policy_refunds(client, everything):
    page = text_of(client.get("/account/delete").get_data(as_text=True))
    assert "Initial consultation, Thursday 3 December 2026, 15:00 GMT: $150.00 refunded" in page
    assert "Initial consultation, Wednesday 2 December" not in page  # it took place: nothing to cancel


def test_the_wrong_password_changes_nothing_and_answers_422(client, everything):
    before = snapshot(everything.folder)
    response = erase(client, "not my password at all")
    assert response.status_code == 422
    assert "Your password is not correct. Nothing has been deleted." in response.get_data(as_text=True)
    assert snapshot(everything.folder) == before
    assert client.get("/account").status_code == 200


def test_without_the_forms_token_nothing_is_erased(client, everything):
    assert client.post("/account/delete", data={"password": DEFAULT_PASSWORD}).status_code == 400
    assert count(User, User.id == everything.ada_id) == 1


def test_her_clinical_record_is_kept_under_a_retained_record_and_the_rest_is_deleted(client, everything):
    # Until issue 24 the erasure deleted her health data; the practitioner's duty to keep records now keeps it.
    assert count(LabUpload) == 1 and count(StoredFile) == 1
    assert erase(client).status_code == 303
    kept = db.session.scalar(select(RetainedPatient))
    assert (kept.former_user_id, kept.full_name, kept.email) == (everything.ada_id, "Ada Lovelace", "ada@example.com")
    for model in (IntakeResponse, SymptomCheckIn, LabUpload):
        assert count(model, model.patient_id.is_(None), model.retained_patient_id == kept.id) == 1, model.__name__
    assert count(ConsultationNote) == 1 and count(StoredFile) == 1
    for model in (Enrollment, LessonProgress):
        assert count(model) == 0, model.__name__
    past = db.session.get(Appointment, everything.past_id)
    assert (past.patient_id, past.retained_patient_id, past.patient_note) == (None, kept.id, NOTE)
    assert count(User, User.id == everything.ada_id) == 0


def test_payments_are_kept_with_the_record_not_with_an_account(client, everything):
    erase(client)
    kept = db.session.scalar(select(RetainedPatient))
    payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert [(p.patient_id, p.retained_patient_id, p.amount_minor, p.currency, p.provider, p.paid_at is not None)
            for p in payments] == [(None, kept.id, 30000, "usd", "manual", True),
                                   (None, kept.id, 30000, "usd", "stripe", True)]
    reasons = db.session.scalars(select(Refund.reason).order_by(Refund.id)).all()
    assert reasons == [REFUND_REASON, "Cancelled by the patient"]  # part of the record she keeps


def test_the_practices_typed_refund_reason_is_not_left_in_the_audit_log(client, everything):
    from sqlalchemy import text

    # A record made before issue 20 held the typed reason itself; records made now hold none.
    db.session.add(AuditEvent(action="refund_requested", object_type="payment", object_id="1",
                              patient_id=everything.ada_id, detail={"amount": 5000, "reason": REFUND_REASON}))
    db.session.commit()
    assert erase(client).status_code == 303
    raw = [str(detail) for detail in db.session.execute(text("SELECT detail FROM audit_events")).scalars()]
    assert not any(REFUND_REASON in detail for detail in raw)
    assert any("(erased with the patient)" in detail for detail in raw)


def test_a_future_paid_appointment_is_cancelled_with_the_policy_refund(client, everything, fake_stripe):
    erase(client)
    future = db.session.get(Appointment, everything.future_id)
    assert (future.status, future.payment_status, future.patient_id) == ("cancelled", "partially_refunded", None)
    refund = db.session.scalar(select(Refund).join(Payment).where(Payment.purpose_id == everything.future_id))
    assert (refund.amount_minor, refund.status) == (15000, "succeeded")
    assert [r["amount"] for r in fake_stripe.refunds.values()
            if r["payment_intent"] == refund.payment.payment_intent_id] == [15000]
    assert db.session.get(Appointment, everything.past_id).status == "confirmed"  # it took place


def test_an_erase_record_keeps_her_number_and_her_earlier_records_stay(client, everything):
    earlier = count(AuditEvent, AuditEvent.patient_id == everything.ada_id)
    erase(client)
    record = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
    assert (record.patient_id, record.object_type, record.actor_id) == (everything.ada_id, "account", None)
    assert (record.detail["appointments_cancelled"], record.detail["enrolments"]) == (1, 1)
    assert record.detail["kept"] == {"intake_responses": 1, "check_ins": 1, "lab_files": 1, "medication_plans": 0,
                                     "appointments": 2, "consultation_notes": 1, "payments": 2}
    assert record.detail["retained_record"] == db.session.scalar(select(RetainedPatient.id))
    assert record.detail["refunds_minor"] == {"usd": 15000}
    assert count(AuditEvent, AuditEvent.patient_id == everything.ada_id) > earlier


def test_she_is_signed_out_everywhere_and_shown_a_confirmation(app, client, everything):
    phone = app.test_client()
    login(phone, "ada@example.com")
    response = erase(client)
    assert response.status_code == 303 and response.headers["Location"] == "/account/deleted"
    page = text_of(client.get("/account/deleted").get_data(as_text=True))
    assert "Your account has been deleted" in page and "a refund of $150.00 is on its way" in page
    for device in (client, phone):
        assert device.get("/account").headers["Location"].startswith("/auth/login")
    assert count(UserSession, UserSession.user_id == everything.ada_id) == 0
    assert login(client, "ada@example.com").status_code == 401


def test_emails_to_her_are_deleted_from_the_outbox_and_the_practitioners_are_kept(client, everything):
    db.session.add(OutboxMessage(to="ada@example.com", subject="Reminder", text_body="Your visit", kind="reminder",
                                 next_attempt_at=WEDNESDAY_10 + timedelta(days=1)))
    db.session.commit()
    practitioners = count(OutboxMessage, OutboxMessage.to == "dr@example.com")
    erase(client)
    assert count(OutboxMessage, OutboxMessage.to == "ada@example.com") == 0
    assert count(OutboxMessage, OutboxMessage.to == "dr@example.com") == practitioners + 1  # the cancellation


def test_the_practitioner_sees_an_erased_patient_and_none_of_her_data(client, dr, everything):
    erase(client)
    secrets = ("Ada", "ada@example.com", NOTE, PRACTITIONER_NOTE, REFUND_REASON, "Sensitivities", "latex")
    pages = {path: dr.get(path) for path in (
        "/practice", "/practice/payments", "/practice/payments?format=csv", "/practice/patients", "/practice/audit",
        "/practice/audit?format=csv")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert not [s for s in secrets if s in body], path
    for path in ("/practice/payments", "/practice"):
        assert "Erased patient" in pages[path].get_data(as_text=True), path
    # Her appointments' pages lead to the retained record, the one (audited) place it is read.
    kept = db.session.scalar(select(RetainedPatient.id))
    for appointment_id in (everything.past_id, everything.future_id):
        response = dr.get(f"/practice/appointments/{appointment_id}")
        assert (response.status_code, response.headers["Location"]) == (303, f"/practice/retained/{kept}")
    audit = text_of(pages["/practice/audit"].get_data(as_text=True))
    assert f"The patient Erased patient #{everything.ada_id} erase account #{everything.ada_id}" in audit
    assert dr.get(f"/practice/patients/{everything.ada_id}").status_code == 404


def test_the_practitioner_cannot_use_the_patients_erasure(dr):
    assert dr.get("/account/delete").status_code == 403
