"""The diary, flares and medicines in the GDPR export (valid FHIR R5) and gone with the account."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from fhir.resources.medicationstatement import MedicationStatement
from fhir.resources.observation import Observation
from sqlalchemy import func, select

from app.extensions import db
from app.models.diary import DiaryEntry, DiaryPreferences, Flare, MedicationLog, MedicationPlan, TryptaseResult
from tests.support.seeded import A_DIARY, A_FLARE, A_MEDICINE, seed_two_patients
from tests.support.visitors import PASSWORD, Visitor


@pytest.fixture
def seeded(app):
    return seed_two_patients()


@pytest.fixture
def a(app, seeded):
    visitor = Visitor(app, seeded.a.email)
    visitor.post("/account/diary/symptoms", {"rating_skin": "2", "rating_gastrointestinal": "3"})
    visitor.post("/account/diary/medicines/answers", {"pregnant": "no", "takes_opioid": "no"})
    return visitor


def exported(visitor) -> dict:
    response = visitor.post("/account/export")
    assert response.status_code == 200
    return json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))["between_visits"]


def test_the_export_holds_her_diary_flares_and_medicines(a, seeded):
    data = exported(a)
    assert [e["text"] for e in data["entries"] if e["kind"] == "exposure"] == [A_DIARY]
    assert [e["ratings"] for e in data["entries"] if e["kind"] == "symptoms"] == [{"skin": 2, "gastrointestinal": 3}]
    assert data["flares"][0]["note"] == A_FLARE and data["flares"][0]["tryptase"][0]["value_ng_ml"] == "9.5"
    assert data["medicines"][0]["medicine"] == A_MEDICINE and data["medicines"][0]["log"][0]["status"] == "taken"
    assert data["answers"] == {"pregnant": "no", "takes_opioid": "no", "evening_reminder": False}


def test_the_exported_resources_are_valid_fhir_r5(a, seeded):
    data = exported(a)
    observations = [e["observation"] for e in data["entries"]] + [f["observation"] for f in data["flares"]] + [
        t["observation"] for f in data["flares"] for t in f["tryptase"]]
    statements = [m["medication_statement"] for m in data["medicines"]] + [
        log["medication_statement"] for m in data["medicines"] for log in m["log"]]
    for resource in observations:
        Observation.model_validate(resource)
    for resource in statements:
        MedicationStatement.model_validate(resource)
    tryptase = Observation.model_validate(data["flares"][0]["tryptase"][0]["observation"])
    assert tryptase.code.coding[0].code == "21582-4" and float(tryptase.valueQuantity.value) == 9.5
    symptoms = next(o for o in observations if o["code"]["text"].startswith("Symptom"))
    assert {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in symptoms["component"]} == {
        "system-skin": 2, "system-gastrointestinal": 3}
    log = MedicationStatement.model_validate(data["medicines"][0]["log"][0]["medication_statement"])
    assert log.adherence.code.coding[0].code == "taking"


def test_another_patients_export_has_none_of_it(app, a, seeded):
    data = exported(Visitor(app, seeded.b.email))
    assert data == {"entries": [], "flares": [], "tryptase_without_flare": [], "medicines": [], "answers": None}


def test_erasing_the_account_deletes_the_diary_and_keeps_her_medicine_plans_for_the_practitioner(a, seeded):
    # The plans are the practitioner's clinical record (issue 24 point 8): kept under the retained record.
    models = (DiaryEntry, Flare, TryptaseResult, MedicationPlan, MedicationLog, DiaryPreferences)
    assert all(db.session.scalar(select(func.count()).select_from(m)) > 0 for m in models)
    plans = db.session.scalar(select(func.count()).select_from(MedicationPlan))
    assert a.post("/account/delete", {"password": PASSWORD}).status_code == 303
    for model in (DiaryEntry, Flare, TryptaseResult, MedicationLog, DiaryPreferences):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    assert db.session.scalar(select(func.count()).select_from(MedicationPlan).where(
        MedicationPlan.patient_id.is_(None), MedicationPlan.retained_patient_id.is_not(None))) == plans
