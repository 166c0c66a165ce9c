"""Questionnaire 2026.2 in the app: the practitioner's flags come first, the patient without an
auto-injector is told kindly, and intakes answered on 2026.1 stay readable, scored and exported."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.intake import service
from app.models.intake import IntakeResponse
from tests.conftest import DEFAULT_PASSWORD
from tests.support.fhir_conformance import conformance_errors
from tests.support.intake_forms import ANSWERS
from tests.support.web import post_form, text_of

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
START = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def appointment(book_appointment, practice, ada):
    return book_appointment(ada, practice[2], starts_at=START)


RISKY = {
    "history": {"pregnancy": ["breastfeeding"], "weight_loss_unintended": "yes", "liver_kidney": ["none"]},
    "medicines": {**ANSWERS["medicines"], "opioid_use": "yes", "heart_bp_medicines": ["beta_blocker"]},
    "tests": {"tryptase_baseline": "5", "tryptase_acute": "9.5", "tryptase_acute_date": "2025-11-02",
              "tryptase_acute_hours": "2"},
}


def fill(appointment, **overrides):
    for step, raw in (ANSWERS | overrides).items():
        response = service.save_step(appointment, step, raw, now=utcnow())
    db.session.commit()
    return response


def test_each_new_flag_is_shown_first_on_the_summary(dr, appointment, ada):
    fill(appointment, **RISKY)
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    flags = page[page.index("Needs attention first"):page.index("Anaphylaxis history")]
    expected = [
        "Takes an opioid now: naltrexone (LDN) is contraindicated with opioids.",
        "Takes a beta-blocker: anaphylaxis can be more severe",
        "Breastfeeding: check every medicine and supplement.",
        "Past anaphylaxis and no adrenaline auto-injector",
        "Unintended weight loss in the last 6 months",
        "Acute 9.5 ng/mL vs baseline 5 ng/mL: the 20% + 2 threshold is 8.0 ng/mL, so this meets the "
        "consensus rise (not a diagnosis).",
    ]
    positions = [flags.index(text) for text in expected]
    assert positions == sorted(positions)
    assert page.index("Needs attention first") < page.index("Symptom scores") < page.index("Full answers")


def test_a_rise_below_the_threshold_and_a_late_sample_say_so(dr, appointment, ada):
    fill(appointment, tests={"tryptase_baseline": "10", "tryptase_acute": "13", "tryptase_acute_hours": "6"})
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert "the 20% + 2 threshold is 14.0 ng/mL, so this does not meet the consensus rise" in page
    assert "Drawn 6 h after onset: later than 4 h" in page


def safety_rows(page: str) -> dict[str, str]:
    """The safety table as {label: answer}, from the page text."""
    table = page[page.index("Each safety question"):page.index("Anaphylaxis history")]
    labels = ["Takes an opioid", "An opioid in the last 7-10 days", "A beta-blocker or an ACE inhibitor",
              "Pregnant, breastfeeding or planning a pregnancy", "Liver or kidney disease",
              "Past anaphylaxis without an adrenaline auto-injector", "Unintended or very severe weight loss",
              "Signs of systemic mastocytosis", "Tryptase rise (20% + 2)", "Baseline tryptase 8 ng/mL or more",
              "Under 18"]
    found = [(table.index(label + " "), label) for label in labels if label + " " in table]
    found.sort()
    rows = {}
    for n, (at, label) in enumerate(found):
        end = found[n + 1][0] if n + 1 < len(found) else len(table)
        rows[label] = table[at + len(label):end].strip()
    return rows


def test_nothing_flagged_shows_each_item_answered_or_blank(dr, appointment, ada):
    """Issue 23: blanks are "not answered", never "nothing flagged" (pregnancy and weight loss are optional)."""
    fill(appointment, reactions={**ANSWERS["reactions"], "carries_epinephrine": "yes"})
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert "Nothing flagged" not in page
    assert "No answer needs attention; check what was not asked or not answered below." in page
    assert safety_rows(page) == {
        "Takes an opioid": "No", "An opioid in the last 7-10 days": "No", "A beta-blocker or an ACE inhibitor": "No",
        "Pregnant, breastfeeding or planning a pregnancy": "Not answered", "Liver or kidney disease": "No",
        "Signs of systemic mastocytosis": "Not answered",
        "Past anaphylaxis without an adrenaline auto-injector": "No",
        "Unintended or very severe weight loss": "Not answered", "Tryptase rise (20% + 2)": "Not answered",
        "Baseline tryptase 8 ng/mL or more": "No (6.2 ng/mL)", "Under 18": "No"}


def test_a_2026_1_intake_shows_what_it_never_asked_and_the_opioid_it_names(dr, appointment, ada):
    """Issue 23: a 2026.1 intake with LDN 4.5 mg and "Oxycontin 10 mg" used to show zero flags."""
    old = IntakeResponse(patient_id=ada.id, appointment_id=appointment.id, version=1,
                         questionnaire_version="2026.1", status="in_progress", created_at=utcnow(),
                         updated_at=utcnow(), saved_steps=["history"],
                         answers={"ldn_takes": True, "ldn_dose": 4.5,
                                  "medications": [{"name": "Oxycontin 10 mg", "dose": "twice a day"}]})
    db.session.add(old)
    db.session.commit()
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    flags = page[page.index("Needs attention first"):page.index("Each safety question")]
    assert "An opioid is named in her medicines (Oxycontin 10 mg): naltrexone (LDN) is contraindicated" in flags
    assert safety_rows(page) == {
        "Takes an opioid": "Yes (named in her medicines: Oxycontin 10 mg)",
        "A beta-blocker or an ACE inhibitor": "Not asked",
        "Pregnant, breastfeeding or planning a pregnancy": "Not asked",
        "Past anaphylaxis without an adrenaline auto-injector": "Not answered",
        "Unintended or very severe weight loss": "Not asked", "Tryptase rise (20% + 2)": "Not answered",
        "Baseline tryptase 8 ng/mL or more": "Not answered", "Under 18": "Not answered"}


def test_the_patient_without_an_auto_injector_is_asked_kindly_to_see_her_doctor(app, appointment, ada):
    client = app.test_client()
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    fill(appointment, reactions={**ANSWERS["reactions"], "carries_epinephrine": "yes"})
    overview = client.get(f"/account/intake/{appointment.id}").get_data(as_text=True)
    assert "ask your doctor whether you should have one" not in overview
    step = client.get(f"/account/intake/{appointment.id}/reactions").get_data(as_text=True)
    token = step.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(f"/account/intake/{appointment.id}/reactions", data={
        **ANSWERS["reactions"], "csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Please ask your doctor whether you should have one" in saved  # told after saving
    overview = text_of(client.get(f"/account/intake/{appointment.id}").get_data(as_text=True))
    assert "do not carry an adrenaline auto-injector. Please ask your doctor" in overview


def test_a_2026_1_intake_stays_readable_scored_and_exported(client, auth, dr, appointment, ada):
    old = IntakeResponse(patient_id=ada.id, appointment_id=appointment.id, version=1,
                         questionnaire_version="2026.1", status="in_progress", created_at=utcnow(),
                         updated_at=utcnow(), saved_steps=["history", "symptoms"],
                         answers={"sym_skin_hives": {"severity": 4, "frequency": "daily"},
                                  "sym_gi_pain": {"severity": 3, "frequency": "weekly"},
                                  "past_anaphylaxis": True, "carries_epinephrine": False, "ldn_takes": False,
                                  "supplements": "Quercetin",
                                  "tryptase_results": [{"value": 5.0, "date": "2025-01-01", "context": "baseline"},
                                                       {"value": 9.5, "date": "2025-02-01", "context": "flare"}]})
    db.session.add(old)
    db.session.commit()
    page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert "questionnaire 2026.1" in page and "Hives: 4 of 4, daily" in page
    assert "Criterion A pattern not assessed: this questionnaire version did not ask" in page
    assert "Past anaphylaxis and no adrenaline auto-injector" in page
    assert "the 20% + 2 threshold is 8.0 ng/mL, so this meets" in page
    assert "Supplements: Quercetin" in page
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    body = client.get(f"/api/v1/intake/responses/{old.id}").get_json()
    QuestionnaireResponse.model_validate(body)
    assert body["questionnaire"].endswith("|2026.1") and body["status"] == "in-progress"
    old_questionnaire = client.get("/api/v1/intake/questionnaire?version=2026.1").get_json()
    assert old_questionnaire["version"] == "2026.1"
    assert conformance_errors(old_questionnaire, body) == []
    assert client.get("/api/v1/intake/questionnaire?version=1999.1").status_code == 404


def test_a_new_intake_carries_over_only_answers_that_fit_the_new_version(dr, appointment, ada):
    from app.intake.answers import carried_over
    from app.intake.questionnaire import get_questionnaire
    kept = carried_over(get_questionnaire(), {
        "sym_skin_hives": {"severity": 2, "frequency": "weekly"}, "supplements": "Quercetin",
        "symptom_triggers": {"selected": ["mould"], "detail": ""}, "ldn_timing": "noon",
        "past_anaphylaxis": True, "tryptase_results": [{"value": 5.0}]})
    assert kept == {"sym_skin_hives": {"severity": 2, "frequency": "weekly"},
                    "symptom_triggers": {"selected": ["mould"], "detail": ""}, "past_anaphylaxis": True}
    assert db.session.scalar(select(IntakeResponse)) is None


def test_her_age_is_counted_on_her_own_calendar_day_on_every_practice_page(dr, appointment, ada):
    """12:00 UTC on 1 December is already 2 December in Auckland: born 2 December 2008, she is 18 today by
    her own calendar (a day before by UTC's). No practice page may flag her as under 18."""
    ada.timezone = "Pacific/Auckland"
    db.session.commit()
    fill(appointment, about={**ANSWERS["about"], "date_of_birth": "2008-12-02"})
    patient_page = text_of(dr.get(f"/practice/patients/{ada.id}").get_data(as_text=True))
    assert safety_rows(patient_page)["Under 18"] == "No"
    for path in ("/practice/patients", f"/practice/appointments/{appointment.id}",
                 "/practice/schedule?view=week&date=2026-12-03"):
        page = text_of(dr.get(path).get_data(as_text=True))
        assert "Ada Lovelace" in page, path
        assert "Under 18" not in page.replace("Under 18 No", ""), path
