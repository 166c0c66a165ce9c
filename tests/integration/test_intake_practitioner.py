"""What the practitioner sees of a patient's intake — summary and scores first, labelled "not a
diagnosis" — every view of it audited, and the FHIR R5 export of the questionnaire and the answers."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from flask import before_render_template, template_rendered
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import db
from app.intake import service
from app.intake.fhir import ITEM_WEIGHT
from app.models.audit import AuditEvent
from app.models.intake import IntakeResponse
from tests.conftest import DEFAULT_PASSWORD
from tests.support.fhir_conformance import conformance_errors
from tests.support.intake_forms import ANSWERS
from tests.support.web import post_form, text_of

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def appointment(book_appointment, practice, ada):
    return book_appointment(ada, practice[2], starts_at=START)


@pytest.fixture
def intake(appointment) -> IntakeResponse:
    for step, raw in ANSWERS.items():
        response = service.save_step(appointment, step, raw, now=utcnow())
    db.session.commit()
    return response


def intake_views(patient_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_type == "intake", AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.id)))


# --- the patient page -----------------------------------------------------------------------------------

def test_scores_for_known_answers_are_shown_first_and_labelled_not_a_diagnosis(dr, ada, intake):
    html = dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True)
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


def test_the_summary_names_red_flags_top_symptoms_triggers_medicines_and_sensitivities(dr, ada, intake):
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert "Past anaphylaxis Yes" in page and "Carries an adrenaline auto-injector No" in page
    assert "Hives (urticaria): 4 of 4, daily" in page.split("Top symptoms")[1]
    assert "Mould; Smells (perfumes, beauty products)" in page and "“Perfume in lifts”" in page
    assert "Low-dose naltrexone 1.5 mg, at bedtime" in page
    assert "Cetirizine, 10 mg, morning" in page
    assert "A fragrance-free room; Latex-free gloves and equipment" in page and "“Cool room”" in page


def test_no_criterion_a_flag_when_only_one_of_its_systems_is_involved(dr, appointment, ada):
    service.save_step(appointment, "symptoms", {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
                                                "sym_neuro_brain_fog.severity": "3",
                                                "sym_neuro_brain_fog.frequency": "daily"}, now=utcnow())
    db.session.commit()
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert "Pattern consistent with consensus criterion A" not in page
    assert "No criterion A pattern: she did not report episodes" in page  # never answered "together"
    assert "Involved systems: Skin, Brain, nerves and mood" in page


def test_the_appointment_page_shows_the_visit_sensitivities(dr, appointment, intake):
    page = text_of(dr.get(f"/practice/appointments/{appointment.id}").get_data(as_text=True))
    assert "Prepare for the visit: A fragrance-free room; Latex-free gloves and equipment. “Cool room”" in page
    assert "Intake complete" in page


def test_a_new_version_shows_what_changed(dr, frozen, appointment, ada, intake):
    frozen.move_to(START - timedelta(hours=2))
    service.save_step(appointment, "goals", {"consultation_goals": "Travel plan"}, now=utcnow())
    db.session.commit()
    second = db.session.scalar(select(IntakeResponse).where(IntakeResponse.version == 2))
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    page = text_of(dr.get(f"/practice/patients/{ada.id}/intake/{second.id}").get_data(as_text=True))
    assert "Changed since version 1: 1 answer" in page
    assert "Travel plan Changed" in page


# --- audit ------------------------------------------------------------------------------------------------

def test_every_practitioner_view_of_health_data_writes_an_audit_row(dr, appointment, ada, intake):
    dr.get(f"/practice/patients/{ada.id}")
    dr.get(f"/practice/patients/{ada.id}")
    dr.get(f"/practice/patients/{ada.id}/intake/{intake.id}")
    dr.get(f"/api/v1/intake/responses/{intake.id}")
    dr.get(f"/practice/appointments/{appointment.id}")
    views = intake_views(ada.id)
    assert [v.detail.get("page") or v.detail.get("format") for v in views] == \
        ["patient", "patient", "version", "fhir", "appointment"]
    practitioner_id = db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.id == views[0].id))
    assert all(v.actor_id == practitioner_id and v.object_id == str(intake.id) for v in views)
    assert all(v.at == NOW for v in views)


def test_the_patients_own_views_are_not_recorded_as_staff_reads(app, client, auth, ada, intake):
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    client.get(f"/account/intake/{intake.appointment_id}")
    client.get(f"/api/v1/intake/responses/{intake.id}")
    assert intake_views(ada.id) == []


def test_the_patient_list_shows_only_the_flags_of_her_intake_and_records_that_read(dr, ada, intake):
    page = dr.get("/practice/patients").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Hives" not in page  # her answers stay on her page
    assert 'data-flag="no_auto_injector"' in page  # past anaphylaxis, no auto-injector
    views = intake_views(ada.id)
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


def test_the_patients_answers_are_a_valid_and_conforming_fhir_r5_response(client, auth, dr, ada, intake):
    questionnaire = client.get("/api/v1/intake/questionnaire").get_json()
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    for who in (client, dr):
        response = who.get(f"/api/v1/intake/responses/{intake.id}")
        assert response.status_code == 200 and response.mimetype == "application/fhir+json"
        body = response.get_json()
        QuestionnaireResponse.model_validate(body)
        assert conformance_errors(questionnaire, body) == []
        assert (body["status"], body["subject"], body["questionnaire"]) == \
            ("completed", {"reference": f"Patient/{ada.id}"},
             "http://localhost/fhir/Questionnaire/mcas-intake|2026.3")


def test_a_partly_filled_intake_is_an_in_progress_response_that_still_conforms(client, auth, appointment, ada):
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


# --- templates render; views gather (issue 22 point 7) -------------------------------------------------

@contextmanager
def renders(app):
    """Each top-level template rendered meanwhile: its name, the SQL it ran and the rows it added to the
    session while it rendered (a template that gathers or audits shows here)."""
    seen, current = [], []

    def started(sender, template, context, **extra):
        current.append({"template": template.name, "sql": [], "added": []})

    def finished(sender, template, context, **extra):
        if current and current[-1]["template"] == template.name:
            seen.append(current.pop())

    def ran(conn, cursor, statement, *args):
        if current:
            current[-1]["sql"].append(statement.split()[0].upper())

    def added(session, instance):
        if current:
            current[-1]["added"].append(type(instance).__name__)

    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", ran)
    event.listen(Session, "after_attach", added)
    try:
        yield seen
    finally:
        event.remove(Session, "after_attach", added)
        event.remove(engine, "before_cursor_execute", ran)
        template_rendered.disconnect(finished, app)
        before_render_template.disconnect(started, app)


def test_pages_of_health_data_gather_and_audit_in_the_view_and_only_render_in_the_template(
        app, client, auth, dr, appointment, ada, intake):
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    with renders(app) as seen:
        for page in (dr.get(f"/practice/appointments/{appointment.id}"), dr.get(f"/practice/patients/{ada.id}"),
                     client.get("/account"), client.get(f"/account/appointments/{appointment.id}")):
            assert page.status_code == 200
    assert [r["template"] for r in seen] == ["practice/appointment.html", "intake/practice/patient.html",
                                             "account/home.html", "account/appointment.html"]
    for rendered in seen:
        assert rendered["added"] == [], rendered  # no audit row (nor any other) is written while rendering
        assert not {"INSERT", "UPDATE", "DELETE"} & set(rendered["sql"]), rendered
    # The patient's pages read nothing more while rendering: their views gathered the intake and check-in
    # state (web/intake.intake_panel, health_overview) and her courses.
    assert [r["sql"] for r in seen[2:]] == [[], []]
    # Both practitioner pages' reads are audited, and committed with the view's one commit.
    views = intake_views(ada.id)
    assert [v.detail["page"] for v in views] == ["appointment", "patient"]
    diary = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "diary",
                                                        AuditEvent.patient_id == ada.id)).all()
    assert [d.detail["page"] for d in diary] == ["patient", "patient"]  # the appointment page's panel, and hers
