"""What the practitioner sees of a patient's intake — summary and scores first, labelled "not a
diagnosis" — every view of it audited, and the FHIR R5 export of the questionnaire and the answers."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.intake import service
from app.intake.fhir import ITEM_WEIGHT
from app.models.audit import AuditEvent
from app.models.intake import IntakeResponse
from app.scheduling import booking
from tests.conftest import DEFAULT_PASSWORD
from tests.support.fhir_conformance import conformance_errors
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)

# Known answers: skin 9 of 20 (hives 4, flushing 3, itching 2), digestion 5 of 24 (pain 3, nausea 2),
# palpitations rated 1 (heart 1 of 16, not involved). Total 15 of 112 = 13.4%.
ANSWERS = {
    "about": {"date_of_birth": "1984-06-01", "sex_at_birth": "female", "emergency_contact_name": "Sam Doe",
              "emergency_contact_phone": "+44 20 7946 0000"},
    "symptoms": {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
                 "sym_skin_flushing.severity": "3", "sym_skin_flushing.frequency": "weekly",
                 "sym_skin_itching.severity": "2", "sym_skin_itching.frequency": "weekly",
                 "sym_gi_pain.severity": "3", "sym_gi_pain.frequency": "weekly",
                 "sym_gi_nausea.severity": "2", "sym_gi_nausea.frequency": "monthly",
                 "sym_cv_palpitations.severity": "1", "sym_cv_palpitations.frequency": "monthly"},
    "triggers": {"symptom_triggers": ["mould", "smells"], "symptom_triggers.detail": "Perfume in lifts"},
    "reactions": {"episodes_sudden_together": "yes", "past_anaphylaxis": "yes", "carries_epinephrine": "no",
                  "has_allergies": "no"},
    "history": {"diagnoses": ["mcas"], "liver_kidney": ["none"]},
    "medicines": {"opioid_use": "no", "opioid_recent": "no", "heart_bp_medicines": ["neither"], "ldn_takes": "yes",
                  "ldn_dose": "1.5",
                  "ldn_timing": "bedtime", "medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
                  "medications-0-timing": "morning"},
    "tests": {"tryptase_baseline": "6.2", "tryptase_baseline_date": "2025-01-10"},
    "lifestyle": {"low_histamine_diet": "no"},
    "goals": {"consultation_goals": "Fewer flares"},
    "visit": {"visit_sensitivities": ["fragrance_free", "latex"], "visit_sensitivities.detail": "Cool room"},
}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practice(make_practice, frozen):
    return make_practice()


@pytest.fixture
def patient(make_user):
    return make_user("ada@example.com", full_name="Ada Patient")


@pytest.fixture
def appointment(practice, patient):
    appointment = booking.book(booking.BookingRequest(patient=patient, consultation_type=practice[2], start=START,
                                                      patient_timezone="Europe/London", take_payment=False), utcnow())
    db.session.commit()
    return appointment


@pytest.fixture
def intake(appointment) -> IntakeResponse:
    for step, raw in ANSWERS.items():
        response = service.save_step(appointment, step, raw, now=utcnow())
    db.session.commit()
    return response


@pytest.fixture
def dr(app, practice):
    client = app.test_client()
    post_form(client, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    return client


def intake_views(patient_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_type == "intake", AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.id)))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the patient page -----------------------------------------------------------------------------------

def test_scores_for_known_answers_are_shown_first_and_labelled_not_a_diagnosis(dr, patient, intake):
    html = dr.get(f"/practice/patients/{patient.id}").get_data(as_text=True)
    page = text_of(html)
    assert "Not a diagnosis" in page and "not a diagnosis" in page
    assert re.search(r"Skin 9 / 20 0\.45 Yes 2", page)  # 5 skin symptoms, 3 rated
    assert re.search(r"Digestion 5 / 24 0\.21 Yes 4", page)
    assert re.search(r"Heart and circulation 1 / 20 0\.05 No 4", page)  # low blood pressure is its own item
    assert re.search(r"Breathing, nose and eyes 0 / 16 0\.00 No 4", page)  # and wheeze too
    assert "Total burden 15 / 124 12.1% of the maximum" in page
    assert "Pattern consistent with consensus criterion A for MCAS (multi-system involvement)" in page
    assert "Involved systems: Skin, Digestion" in page
    assert page.index("Symptom scores") < page.index("Full answers")  # summary first


def test_the_summary_names_red_flags_top_symptoms_triggers_medicines_and_sensitivities(dr, patient, intake):
    page = text_of(dr.get(f"/practice/patients/{patient.id}").get_data(as_text=True))
    assert "Past anaphylaxis Yes" in page and "Carries an adrenaline auto-injector No" in page
    assert "Hives (urticaria): 4 of 4, daily" in page.split("Top symptoms")[1]
    assert "Mould; Smells (perfumes, beauty products)" in page and "“Perfume in lifts”" in page
    assert "Low-dose naltrexone 1.5 mg, at bedtime" in page
    assert "Cetirizine, 10 mg, morning" in page
    assert "A fragrance-free room; Latex-free gloves and equipment" in page and "“Cool room”" in page


def test_no_criterion_a_flag_when_only_one_of_its_systems_is_involved(dr, appointment, patient):
    service.save_step(appointment, "symptoms", {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
                                                "sym_neuro_brain_fog.severity": "3",
                                                "sym_neuro_brain_fog.frequency": "daily"}, now=utcnow())
    db.session.commit()
    page = text_of(dr.get(f"/practice/patients/{patient.id}").get_data(as_text=True))
    assert "Pattern consistent with consensus criterion A" not in page
    assert "No criterion A pattern: she did not report episodes" in page  # never answered "together"
    assert "Involved systems: Skin, Brain, nerves and mood" in page


def test_the_appointment_page_shows_the_visit_sensitivities(dr, appointment, intake):
    page = text_of(dr.get(f"/practice/appointments/{appointment.id}").get_data(as_text=True))
    assert "Prepare for the visit: A fragrance-free room; Latex-free gloves and equipment. “Cool room”" in page
    assert "Intake complete" in page


def test_a_new_version_shows_what_changed(dr, frozen, appointment, patient, intake):
    frozen.move_to(START - timedelta(hours=2))
    service.save_step(appointment, "goals", {"consultation_goals": "Travel plan"}, now=utcnow())
    db.session.commit()
    second = db.session.scalar(select(IntakeResponse).where(IntakeResponse.version == 2))
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    page = text_of(dr.get(f"/practice/patients/{patient.id}/intake/{second.id}").get_data(as_text=True))
    assert "Changed since version 1: 1 answer" in page
    assert "Travel plan Changed" in page


# --- audit ------------------------------------------------------------------------------------------------

def test_every_practitioner_view_of_health_data_writes_an_audit_row(dr, appointment, patient, intake):
    dr.get(f"/practice/patients/{patient.id}")
    dr.get(f"/practice/patients/{patient.id}")
    dr.get(f"/practice/patients/{patient.id}/intake/{intake.id}")
    dr.get(f"/api/v1/intake/responses/{intake.id}")
    dr.get(f"/practice/appointments/{appointment.id}")
    views = intake_views(patient.id)
    assert [v.detail.get("page") or v.detail.get("format") for v in views] == \
        ["patient", "patient", "version", "fhir", "appointment"]
    practitioner_id = db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.id == views[0].id))
    assert all(v.actor_id == practitioner_id and v.object_id == str(intake.id) for v in views)
    assert all(v.at == NOW for v in views)


def test_the_patients_own_views_are_not_recorded_as_staff_reads(app, client, auth, patient, intake):
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    client.get(f"/account/intake/{intake.appointment_id}")
    client.get(f"/api/v1/intake/responses/{intake.id}")
    assert intake_views(patient.id) == []


def test_the_patient_list_shows_only_the_flags_of_her_intake_and_records_that_read(dr, patient, intake):
    page = dr.get("/practice/patients").get_data(as_text=True)
    assert "Ada Patient" in page and "Hives" not in page  # her answers stay on her page
    assert 'data-flag="no_auto_injector"' in page  # past anaphylaxis, no auto-injector
    views = intake_views(patient.id)
    assert [(v.object_id, v.detail) for v in views] == [
        (str(intake.id), {"page": "patients", "flags": ["no_auto_injector"]})]


# --- FHIR -------------------------------------------------------------------------------------------------

def test_the_questionnaire_is_public_valid_fhir_r5_with_weighted_severities(client):
    response = client.get("/api/v1/intake/questionnaire")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    body = response.get_json()
    Questionnaire.model_validate(body)
    assert (body["resourceType"], body["version"], body["status"]) == ("Questionnaire", "2026.3", "active")
    assert body["url"] == "http://localhost/fhir/Questionnaire/mcas-intake"
    symptoms = next(step for step in body["item"] if step["linkId"] == "symptoms")
    hives = next(it for it in symptoms["item"] if it["linkId"] == "sym_skin_hives")
    severity = next(it for it in hives["item"] if it["linkId"] == "sym_skin_hives.severity")
    weights = [o["extension"][0] for o in severity["answerOption"]]
    assert weights == [{"url": ITEM_WEIGHT, "valueDecimal": n} for n in range(5)]


def test_the_patients_answers_are_a_valid_and_conforming_fhir_r5_response(client, auth, dr, patient, intake):
    questionnaire = client.get("/api/v1/intake/questionnaire").get_json()
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    for who in (client, dr):
        response = who.get(f"/api/v1/intake/responses/{intake.id}")
        assert response.status_code == 200 and response.mimetype == "application/fhir+json"
        body = response.get_json()
        QuestionnaireResponse.model_validate(body)
        assert conformance_errors(questionnaire, body) == []
        assert (body["status"], body["subject"], body["questionnaire"]) == \
            ("completed", {"reference": f"Patient/{patient.id}"},
             "http://localhost/fhir/Questionnaire/mcas-intake|2026.3")


def test_a_partly_filled_intake_is_an_in_progress_response_that_still_conforms(client, auth, appointment, patient):
    service.save_step(appointment, "about", ANSWERS["about"], now=utcnow())
    db.session.commit()
    saved = db.session.scalar(select(IntakeResponse))
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    body = client.get(f"/api/v1/intake/responses/{saved.id}").get_json()
    QuestionnaireResponse.model_validate(body)
    assert body["status"] == "in-progress"
    assert conformance_errors(client.get("/api/v1/intake/questionnaire").get_json(), body) == []


def test_a_fhir_response_is_404_for_anyone_but_its_patient_and_her_practitioner(app, client, make_user, intake):
    assert client.get(f"/api/v1/intake/responses/{intake.id}").status_code == 404  # signed out
    make_user("bea@example.com")
    post_form(client, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    response = client.get(f"/api/v1/intake/responses/{intake.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/intake/responses/99999").status_code == 404


def test_the_api_description_names_both_fhir_endpoints_and_the_safety_screen(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "application/fhir+json" in doc["paths"]["/intake/questionnaire"]["get"]["responses"]["200"]["content"]
    assert "404" in doc["paths"]["/intake/responses/{id}"]["get"]["responses"]
    booking = doc["paths"]["/bookings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "safety_screen" in booking["properties"]
    assert "all_no" in doc["components"]["schemas"]["SafetyScreen"]["properties"]
