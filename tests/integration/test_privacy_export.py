"""A patient downloads all her data (GDPR Art. 20): one ZIP with data.json (profile, appointments,
payments and refunds, intake and check-ins as FHIR R5, course progress) and her lab files, as a no-store
attachment whose download is audited. Nobody else's data is in it."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.storage import StoredFile
from tests.support.fhir_conformance import conformance_errors
from tests.support.privacy import (
    NOTE,
    NOW,
    PDF,
    PNG,
    PRACTITIONER_NOTE,
    REFUND_REASON,
    THURSDAY_10,
    WEDNESDAY_10,
    fill_intake,
    login,
    pay_by_hand_and_refund_part,
    send_check_in,
    take_course,
    upload,
    write_notes,
)
from tests.support.web import post_form


@pytest.fixture
def app_config(app_config, tmp_path):
    """Uploads in this test's own folder, so the export's files are only this test's."""
    return {**app_config, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


pytestmark = pytest.mark.frozen_at(NOW)


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


@pytest.fixture
def everything(client, ada, dr, practice, book_appointment):
    """Ada with one of each kind of data, each made the way the app makes it."""
    appointment = book_appointment(ada, practice[2], starts_at=WEDNESDAY_10, note=NOTE)
    fill_intake(client, appointment)
    send_check_in(client)
    upload(client, PDF, "tryptase March.pdf")
    upload(client, PNG, "rash.png", "image/png")
    take_course(client, ada)
    write_notes(dr, appointment)
    pay_by_hand_and_refund_part(dr, appointment)
    return appointment


def download(client):
    return post_form(client, "/account/export", {})


def archive_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response.data))


def data_of(response) -> dict:
    return json.loads(archive_of(response).read("data.json"))


def test_the_export_is_a_zip_attachment_no_cache_keeps_and_the_download_is_audited(client, ada, everything):
    response = download(client)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=homeostasis-data-2026-12-01.zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert archive_of(response).testzip() is None
    recorded = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (recorded.object_type, recorded.actor_id, recorded.patient_id) == ("account_data", ada.id, ada.id)


def test_data_json_holds_her_profile_appointments_payments_check_ins_and_course_progress(client, ada, everything):
    data = data_of(download(client))
    assert data["profile"]["email"] == "ada@example.com" and data["profile"]["full_name"] == "Ada Lovelace"
    [appointment] = data["appointments"]
    assert (appointment["id"], appointment["consultation"], appointment["starts_at"], appointment["your_note"]) == (
        everything.id, "Initial consultation", "2026-12-02T15:00:00+00:00", NOTE)
    [payment] = data["payments"]
    assert (payment["amount_minor"], payment["currency"], payment["refunded_minor"]) == (30000, "usd", 5000)
    assert [(r["amount_minor"], r["reason"]) for r in payment["refunds"]] == [(5000, REFUND_REASON)]
    assert len(data["intake"]["responses"]) == 1 and len(data["symptom_check_ins"]["check_ins"]) == 1
    assert data["symptom_check_ins"]["check_ins"][0]["medication_changes"] == [
        {"medicine": "Ketotifen", "change": "started"}]
    [course] = data["courses"]
    assert course["course"] == "Histamine Basics" and course["enrolled"] is True
    assert {(lesson["slug"], lesson["completed_at"] is not None) for lesson in course["lessons"]} == {
        ("what-histamine-is", False), ("mast-cells", True)}
    assert [f["original_name"] for f in data["lab_results"]] == ["tryptase March.pdf", "rash.png"]


def test_intake_answers_and_check_ins_are_valid_fhir_r5_questionnaire_responses(client, ada, everything):
    data = data_of(download(client))
    pairs = [(data["intake"]["questionnaires"][0], data["intake"]["responses"][0]["questionnaire_response"]),
             (data["symptom_check_ins"]["questionnaires"][0],
              data["symptom_check_ins"]["check_ins"][0]["questionnaire_response"])]
    for questionnaire, response in pairs:
        Questionnaire.model_validate(questionnaire)
        model = QuestionnaireResponse.model_validate(response)
        assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
        assert (model.status, model.subject.reference) == ("completed", f"Patient/{ada.id}")
        assert conformance_errors(questionnaire, response) == []
    hives = [item for step in pairs[1][1]["item"] for item in step["item"] if item["linkId"] == "sym_skin_hives"]
    assert hives[0]["item"][0]["answer"][0]["valueCoding"]["code"] == "2"


def test_her_lab_files_are_in_the_zip_byte_for_byte(client, ada, everything):
    response = download(client)
    archive, data = archive_of(response), data_of(response)
    pdf, png = data["lab_results"]
    assert archive.read(pdf["file"]) == PDF and archive.read(png["file"]) == PNG
    assert pdf["file"].startswith("lab-results/") and pdf["file"].endswith("-tryptase March.pdf")
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_file_missing_from_storage_is_listed_without_breaking_the_export(app, client, ada):
    upload(client, PDF, "gone.pdf")
    db.session.execute(sql_delete(StoredFile))
    db.session.commit()
    response = download(client)
    assert response.status_code == 200
    [listed] = data_of(response)["lab_results"]
    assert listed["original_name"] == "gone.pdf" and listed["file"] is None


def test_her_signed_consultation_notes_are_in_her_export_and_a_draft_is_not(client, ada, everything, dr, practice,
                                                                            book_appointment):
    [note] = data_of(download(client))["consultation_notes"]
    assert note["sections"][3] == {"title": "Plan", "text": PRACTITIONER_NOTE} and note["signed_at"]
    assert note["appointment_id"] == everything.id
    later = book_appointment(ada, practice[2], starts_at=THURSDAY_10)
    path = f"/practice/appointments/{later.id}"
    draft = "Draft only, not yet a record"
    assert post_form(dr, f"{path}/note", {"section-0": draft, "action": "save"}, token_from=path).status_code == 303
    data = archive_of(download(client)).read("data.json")
    assert PRACTITIONER_NOTE.encode() in data and draft.encode() not in data


def test_another_patient_downloads_only_her_own_data(app, ada, everything, make_user):
    make_user("bea@example.com", full_name="Bea Tester")
    bea = app.test_client()
    login(bea, "bea@example.com")
    response = download(bea)
    data = data_of(response)
    assert data["profile"]["email"] == "bea@example.com"
    assert [data[key] for key in ("appointments", "payments", "courses", "lab_results")] == [[], [], [], []]
    assert data["intake"] == {"questionnaires": [], "responses": []}
    assert data["symptom_check_ins"] == {"questionnaires": [], "check_ins": []}
    assert archive_of(response).namelist() == ["data.json", "README.txt"]
    assert b"ada@example.com" not in archive_of(response).read("data.json")


def test_the_download_needs_the_forms_csrf_token(client, ada, everything):
    assert client.post("/account/export").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")) == 0


def test_the_practitioner_has_no_patient_export(dr):
    assert dr.get("/account/export").status_code == 403
    assert post_form(dr, "/account/export", {}, token_from="/practice").status_code == 403
