"""Her records outlive an account deletion (issue 24 point 8, DESIGN invariant 8): the patient is told what
goes now and what the practitioner keeps until when; the account, diary, courses, waitlist and emails go at
once; the clinical record stays under a retained record only the practitioner reads (each read audited),
until the worker's purge ends it (files included), or she erases it early with a reason, after confirming."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models.accounts import User, VerificationCode
from app.models.audit import AuditEvent
from app.models.billing import Payment, Refund
from app.models.courses import Enrollment, LessonProgress
from app.models.diary import DiaryEntry, MedicationLog, MedicationPlan
from app.models.intake import IntakeResponse, LabUpload, SymptomCheckIn
from app.models.notes import ConsultationNote
from app.models.notify import OutboxMessage
from app.models.retention import RetainedPatient
from app.models.scheduling import Appointment
from app.models.storage import StoredFile
from app.models.waitlist import WaitlistEntry
from app.scheduling.profiles import profile_for
from app.web.devices import COOKIE
from tests.conftest import DEFAULT_PASSWORD
from tests.support.privacy import (
    NOTE,
    NOW,
    PDF,
    PRACTITIONER_NOTE,
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
from tests.support.web import post_form

KEPT_UNTIL = WEDNESDAY_10.replace(year=WEDNESDAY_10.year + 8)  # 8 years after her last visit (NHS Code 2021)
KEPT_UNTIL_TEXT = KEPT_UNTIL.strftime("%A %-d %B %Y")  # her zone and the practitioner's: the same date here
CLINICAL = (IntakeResponse, SymptomCheckIn, LabUpload, MedicationPlan)


pytestmark = pytest.mark.frozen_at(NOW, tick=True)


@pytest.fixture
def dr(app, practice):
    client = app.test_client()
    login(client, "dr@example.com")
    return client


@pytest.fixture
def ada(app, make_user, practice, dr, frozen, book_appointment):
    """Ada's visit on Wednesday took place (intake, check-in, a lab file, a signed note, a medicine plan, a cash
    payment partly refunded); she also keeps a diary, takes the course, waits for a time and has email."""
    client = app.test_client()
    user = make_user("ada@example.com", full_name="Ada Lovelace")
    login(client, "ada@example.com")
    visit = book_appointment(user, practice[2], starts_at=WEDNESDAY_10, note=NOTE)
    fill_intake(client, visit)
    send_check_in(client)
    upload(client, PDF, "tryptase March.pdf")
    take_course(client, user)
    write_notes(dr, visit)
    pay_by_hand_and_refund_part(dr, visit)
    plan = MedicationPlan(patient_id=user.id, practitioner_id=practice[1].id, medicine="Cromolyn sodium",
                          steps=[{"from": "2026-12-02", "dose": "100 mg"}])
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([
        MedicationLog(plan_id=plan.id, patient_id=user.id, taken_on=date(2026, 12, 2), status="taken"),
        DiaryEntry(patient_id=user.id, kind="exposure", occurred_at=NOW, text="aged cheese"),
        WaitlistEntry(patient_id=user.id, consultation_type_id=practice[2].id, first_day=date(2026, 12, 10),
                      last_day=date(2026, 12, 20), timezone="UTC", status="waiting", created_at=NOW),
        OutboxMessage(to="ada@example.com", subject="Reminder", text_body="Your visit", kind="reminder",
                      next_attempt_at=NOW + timedelta(days=3)),
        VerificationCode(purpose="signup", email="ada@example.com", code_hash="0" * 64,
                         expires_at=NOW + timedelta(hours=1)),
    ])
    db.session.commit()
    frozen.move_to(WEDNESDAY_10 + timedelta(days=1))
    login(client, "ada@example.com")
    login(dr, "dr@example.com")
    return SimpleNamespace(client=client, id=user.id, visit_id=visit.id)


def erase(client):
    return post_form(client, "/account/delete", {"password": DEFAULT_PASSWORD})


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def kept_record() -> RetainedPatient:
    db.session.expire_all()
    return db.session.scalar(select(RetainedPatient))


# --- before she confirms --------------------------------------------------------------------------------

def test_the_confirmation_page_lists_what_goes_now_and_what_is_kept_until_when_and_why(ada):
    html = ada.client.get("/account/delete").get_data(as_text=True)
    page = text_of(html)
    now, kept = page.split("Deleted now", 1)[1].split(f"Kept by your practitioner until {KEPT_UNTIL_TEXT}", 1)
    assert "Your account: your sign-in" in now and "Your diary" in now and "course enrolments" in now
    assert "intake answers" not in now  # kept, not deleted
    assert "Your intake answers and symptom check-ins, and your 1 lab result file" in kept
    assert "The medicine plans your practitioner gave you" in kept
    assert "consultation notes, and your payments and refunds" in kept
    assert "GDPR Article 17(3)(b) and (c)" in kept and "NHS Records Management Code of Practice 2021" in kept
    assert "keeps records for 8 years after the last visit: your last visit was Wednesday 2 December 2026" in kept
    assert f"On {KEPT_UNTIL_TEXT} it is deleted automatically, files included" in kept
    assert 'href="/account/export"' in html
    assert f"Delete my account (my clinical record is kept until {KEPT_UNTIL_TEXT})" in page


def test_someone_who_never_was_a_patient_is_told_nothing_is_kept_and_everything_goes(app, make_user, practice):
    client = app.test_client()
    make_user("bea@example.com", full_name="Bea Reader")
    login(client, "bea@example.com")
    upload(client, PDF, "my own notes.pdf")
    page = text_of(client.get("/account/delete").get_data(as_text=True))
    assert "Nothing about your health: you have not had an appointment with the practice" in page
    assert "Kept by your practitioner" not in page
    assert erase(client).status_code == 303
    assert kept_record() is None
    assert count(LabUpload) == 0 and count(StoredFile) == 0


def test_with_no_visit_yet_the_period_counts_from_the_deletion(app, make_user, practice, frozen, book_appointment):
    """She booked, then deleted her account before the visit: the booking and its payment record are kept,
    8 years from the day of the deletion."""
    client = app.test_client()
    user = make_user("cy@example.com", full_name="Cy Early")
    book_appointment(user, practice[2], starts_at=WEDNESDAY_10)
    login(client, "cy@example.com")
    page = text_of(client.get("/account/delete").get_data(as_text=True))
    assert "you have had no visit, so the period counts from today" in page
    erase(client)
    kept = kept_record()
    assert kept.last_visit_at is None
    assert kept.keep_until == kept.erased_at.replace(year=kept.erased_at.year + 8)
    assert kept.erased_at.date() == NOW.date()
    assert count(Appointment, Appointment.retained_patient_id == kept.id, Appointment.status == "cancelled") == 1


# --- the deletion -------------------------------------------------------------------------------------

def test_the_rest_goes_at_once_and_the_clinical_record_is_kept_under_a_retained_record(ada):
    assert count(StoredFile) == 1
    response = erase(ada.client)
    assert response.status_code == 303
    # At once: the account, its sessions and sign-in codes, the diary and medicine logs, the course, the
    # waitlist, the emails to her.
    assert count(User, User.id == ada.id) == 0
    for model in (DiaryEntry, MedicationLog, Enrollment, LessonProgress, WaitlistEntry):
        assert count(model) == 0, model.__name__
    assert count(OutboxMessage, OutboxMessage.to == "ada@example.com") == 0
    assert count(VerificationCode, VerificationCode.email == "ada@example.com") == 0
    # Kept, under the retained record, with who she was.
    kept = kept_record()
    assert (kept.former_user_id, kept.full_name, kept.email, kept.date_of_birth) == (
        ada.id, "Ada Lovelace", "ada@example.com", date(1984, 6, 1))
    assert (kept.last_visit_at, kept.keep_until, kept.retention_years, kept.basis) == (
        WEDNESDAY_10, KEPT_UNTIL, 8, "adult")
    for model in CLINICAL:
        assert count(model, model.retained_patient_id == kept.id, model.patient_id.is_(None)) == 1, model.__name__
    assert count(Appointment, Appointment.retained_patient_id == kept.id) == 1
    assert count(Payment, Payment.retained_patient_id == kept.id) == 1
    assert count(ConsultationNote) == 1 and count(Refund) == 1 and count(StoredFile) == 1
    # The browser no longer vouches for her account.
    assert any(header.startswith(f"{COOKIE}=;") and "Path=/auth/" in header
               for header in response.headers.getlist("Set-Cookie"))


def test_her_pages_and_her_sign_in_are_gone(ada):
    erase(ada.client)
    for path in ("/account", "/account/delete", "/account/lab-results", "/account/export"):
        assert ada.client.get(path).headers["Location"].startswith("/auth/login"), path
    assert login(ada.client, "ada@example.com").status_code == 401


def test_her_health_data_table_rows_cannot_lose_their_owner(ada):
    """The database keeps the rule too: a clinical row names an account or a retained record, and a users row
    that still owns one cannot be deleted (no ON DELETE CASCADE took the record away)."""
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(IntakeResponse.__table__.update().values(patient_id=None))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(User.__table__.delete().where(User.id == ada.id))
        db.session.flush()
    db.session.rollback()
    assert count(IntakeResponse, IntakeResponse.patient_id == ada.id) == 1


# --- the practitioner's view --------------------------------------------------------------------------

def audit_rows(action: str, object_type: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.object_type == object_type)
                                                     .order_by(AuditEvent.id)))


def test_the_practitioner_reads_the_retained_record_and_each_read_is_audited(ada, dr, practice):
    erase(ada.client)
    kept = kept_record()
    listing = text_of(dr.get("/practice/retained").get_data(as_text=True))
    assert ("Ada Lovelace ada@example.com Account deleted Thursday 3 December 2026. Last visit: Wednesday 2 December "
            f"2026. Kept until {KEPT_UNTIL_TEXT}.") in listing
    response = dr.get(f"/practice/retained/{kept.id}")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    for shown in ("Ada Lovelace", "1 June 1984", PRACTITIONER_NOTE, NOTE, "Sam Doe", "tryptase March.pdf",
                  "Cromolyn sodium: 100 mg from 2026-12-02", "$300.00", "$50.00 refunded",
                  f"Kept until {KEPT_UNTIL_TEXT}: 8 years after the last visit"):
        assert shown in page, shown
    upload_id = db.session.scalar(select(LabUpload.id))
    file = dr.get(f"/practice/retained/{kept.id}/files/{upload_id}")
    assert (file.status_code, file.data) == (200, PDF)
    assert [(e.patient_id, e.actor_id, e.object_id) for e in audit_rows("view", "retained_record")] == [
        (ada.id, practice[0].id, str(kept.id)), (ada.id, practice[0].id, str(kept.id))]
    assert [e.detail["page"] for e in audit_rows("view", "retained_record")] == ["list", "record"]
    assert [(e.patient_id, e.object_id) for e in audit_rows("view", "lab_upload")
            if e.detail.get("retained_record")] == [(ada.id, str(upload_id))]


def test_another_practitioner_cannot_open_the_record(app, ada, make_user):
    erase(ada.client)
    kept = kept_record()
    other = make_user("dr2@example.com", role="practitioner", full_name="Dr Other", timezone="UTC")
    profile_for(other)
    db.session.commit()
    client = app.test_client()
    login(client, "dr2@example.com")
    assert "Ada Lovelace" not in client.get("/practice/retained").get_data(as_text=True)
    assert client.get(f"/practice/retained/{kept.id}").status_code == 404
    upload_id = db.session.scalar(select(LabUpload.id))
    assert client.get(f"/practice/retained/{kept.id}/files/{upload_id}").status_code == 404
    assert post_form(client, f"/practice/retained/{kept.id}/erase",
                     {"reason": "Not mine to erase at all", "confirm": "yes"},
                     token_from="/practice/retained").status_code == 404
    assert kept_record() is not None


def test_the_retention_setting_sets_the_end_of_records_kept_from_then_on(ada, dr, practice):
    page = dr.get("/practice/retained").get_data(as_text=True)
    assert 'id="retention_years"' in page and 'value="8"' in page
    for bad in ("0", "31", "ten", ""):
        response = post_form(dr, "/practice/retained/settings", {"retention_years": bad},
                             token_from="/practice/retained")
        assert response.status_code == 422, bad
        db.session.expire_all()
        assert practice[1].retention_years == 8
    assert post_form(dr, "/practice/retained/settings", {"retention_years": "10"},
                     token_from="/practice/retained").status_code == 303
    text = text_of(ada.client.get("/account/delete").get_data(as_text=True))
    assert "keeps records for 10 years after the last visit" in text
    erase(ada.client)
    assert kept_record().keep_until == WEDNESDAY_10.replace(year=2036)
    # A later change leaves the date a kept record's patient was shown.
    assert post_form(dr, "/practice/retained/settings", {"retention_years": "6"},
                     token_from="/practice/retained").status_code == 303
    assert kept_record().keep_until == WEDNESDAY_10.replace(year=2036)


# --- the end of the record ----------------------------------------------------------------------------

def test_the_purge_deletes_the_record_and_its_file_bytes_once_keep_until_passes(ada, frozen):
    erase(ada.client)
    kept = kept_record()
    frozen.move_to(KEPT_UNTIL - timedelta(minutes=1))
    assert jobs.purge()["retained_records"] == 0
    assert kept_record() is not None and count(StoredFile) == 1
    frozen.move_to(KEPT_UNTIL + timedelta(minutes=1))
    assert jobs.purge()["retained_records"] == 1
    assert jobs.purge()["retained_records"] == 0  # idempotent: nothing left to purge
    db.session.expire_all()
    assert kept_record() is None
    for model in (*CLINICAL, Appointment, Payment, Refund, ConsultationNote, StoredFile):
        assert count(model) == 0, model.__name__
    purge = audit_rows("purge", "retained_record")
    assert [(e.object_id, e.patient_id, e.actor_id, e.detail["lab_files"]) for e in purge] == [
        (str(kept.id), ada.id, None, 1)]


def test_the_purge_leaves_other_patients_records_alone(ada, make_user, practice, frozen, book_appointment):
    bea = make_user("bea@example.com", full_name="Bea Reader")
    visit = book_appointment(bea, practice[2], starts_at=WEDNESDAY_10 + timedelta(days=6))
    erase(ada.client)
    frozen.move_to(KEPT_UNTIL + timedelta(days=1))
    assert jobs.purge()["retained_records"] == 1
    db.session.expire_all()
    assert db.session.get(Appointment, visit.id).patient_id == bea.id


def test_she_can_erase_a_record_early_with_a_reason_after_confirming(ada, dr, practice):
    erase(ada.client)
    kept = kept_record()
    path = f"/practice/retained/{kept.id}"
    # No reason: refused, nothing erased.
    response = post_form(dr, f"{path}/erase", {"reason": "  "}, token_from=path)
    assert response.status_code == 422 and "Say why the record may be erased" in response.get_data(as_text=True)
    # A reason: the confirmation, listing what will go; still nothing erased.
    reason = "Retention under my state's law ended: 7 years"
    response = post_form(dr, f"{path}/erase", {"reason": reason}, token_from=path)
    page = text_of(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f"It would otherwise be kept until {KEPT_UNTIL_TEXT}" in page
    for item in ("1 intake version", "1 symptom check-in", "1 lab result file", "1 medicine plan", "1 appointment",
                 "1 consultation note", "1 payment"):
        assert item in page, item
    assert kept_record() is not None and count(StoredFile) == 1
    # The confirmation's own submit erases.
    response = post_form(dr, f"{path}/erase", {"reason": reason, "confirm": "yes"}, token_from=path)
    assert (response.status_code, response.headers["Location"]) == (303, "/practice/retained")
    assert kept_record() is None
    for model in (*CLINICAL, Appointment, Payment, Refund, ConsultationNote, StoredFile):
        assert count(model) == 0, model.__name__
    [event] = audit_rows("erase_early", "retained_record")
    assert (event.actor_id, event.patient_id, event.detail["reason"]) == (practice[0].id, ada.id, reason)
    assert dr.get(path).status_code == 404


def test_her_calendar_shows_no_flag_from_a_kept_intake(ada, dr):
    """The week grid's badges read intakes; a deleted account's intake is read only at /practice/retained."""
    erase(ada.client)
    before = count(AuditEvent, AuditEvent.object_type == "intake")
    page = text_of(dr.get("/practice/schedule?view=week&date=2026-12-02").get_data(as_text=True))
    assert "Account deleted: record kept" in page and "Intake complete" not in page
    assert count(AuditEvent, AuditEvent.object_type == "intake") == before  # no intake was read


def test_a_kept_note_cannot_be_changed_from_the_appointment(ada, dr):
    erase(ada.client)
    path = f"/practice/appointments/{ada.visit_id}"
    response = post_form(dr, f"{path}/note/addenda", {"text": "Seen again"}, token_from="/practice/retained")
    assert response.status_code == 409 and "deleted her account" in response.get_data(as_text=True)
    assert count(ConsultationNote) == 1 and not db.session.scalar(select(ConsultationNote)).addenda


def test_the_confirmation_refuses_a_missing_reason_too(ada, dr):
    erase(ada.client)
    kept = kept_record()
    path = f"/practice/retained/{kept.id}"
    response = post_form(dr, f"{path}/erase", {"reason": "short", "confirm": "yes"}, token_from=path)
    assert response.status_code == 422
    assert kept_record() is not None


# --- the rule -----------------------------------------------------------------------------------------

def test_a_childs_record_is_kept_until_her_25th_birthday(app, make_user, practice, dr, frozen, book_appointment):
    """Intake says she was born in 2012: 14 at the visit, so the NHS Code's child rule (25th birthday, in
    2037) outlasts 8 years after the visit (2034)."""
    client = app.test_client()
    user = make_user("kid@example.com", full_name="Kit Young")
    login(client, "kid@example.com")
    visit = book_appointment(user, practice[2], starts_at=WEDNESDAY_10)
    fill_intake(client, visit)
    db.session.expire_all()
    intake = db.session.scalar(select(IntakeResponse))
    intake.answers = {**intake.answers, "date_of_birth": "2012-03-04"}
    db.session.commit()
    frozen.move_to(WEDNESDAY_10 + timedelta(days=1))
    login(client, "kid@example.com")
    assert "Kept by your practitioner until Wednesday 4 March 2037" in text_of(
        client.get("/account/delete").get_data(as_text=True))
    erase(client)
    kept = kept_record()
    assert (kept.keep_until, kept.basis) == (datetime(2037, 3, 4, tzinfo=WEDNESDAY_10.tzinfo), "child")
