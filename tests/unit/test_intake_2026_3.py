"""Questionnaire 2026.3 (issue 23): liver or kidney disease, opioids in the last 7-10 days, mastocytosis red
flags, a parent or guardian under 18; the practitioner's flags and every safety item as yes / not sure / no /
not asked / not answered. Tables: answers -> flags, intakes -> safety statuses. Old versions stay readable,
scored and exported as FHIR R5."""
from __future__ import annotations

import json
from datetime import date

import pytest
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from app.intake.answers import enabled_answers, is_complete, validate_step
from app.intake.fhir import answers_from_response, questionnaire_resource, response_resource
from app.intake.practitioner_flags import practitioner_flags, safety_checks
from app.intake.questionnaire import CURRENT_VERSION, get_questionnaire, item
from app.intake.scoring import score
from app.intake.summary import summary
from tests.support.fhir_conformance import conformance_errors
from tests.support.intake_forms import AUTHORED, BASE, COMPLETE_FORM_2

Q3 = get_questionnaire("2026.3")
TODAY = date(2026, 12, 7)
COMPLETE_FORM_3 = {
    **COMPLETE_FORM_2,
    "history": {**COMPLETE_FORM_2["history"], "liver_kidney": ["liver"], "liver_kidney.detail": "Hepatitis B",
                "mastocytosis_signs": ["fractures", "kit_test"]},
    "medicines": {**COMPLETE_FORM_2["medicines"], "opioid_recent": "yes"},
}


def answers_3(form=COMPLETE_FORM_3, today=TODAY):
    answers: dict = {}
    for step, raw in form.items():
        clean, errors = validate_step(Q3, step, raw, today=today, saved=answers)
        assert errors == {}, (step, errors)
        answers.update(clean)
    return answers


def test_2026_3_is_current_and_asks_the_new_questions():
    assert CURRENT_VERSION == "2026.3" and get_questionnaire() is Q3
    assert item(Q3, "liver_kidney").required and item(Q3, "opioid_recent").required
    assert set(item(Q3, "liver_kidney").codes) == {"liver", "kidney", "none", "not_sure"}
    assert set(item(Q3, "mastocytosis_signs").codes) == {"fractures", "skin_spots", "liver_spleen", "kit_test",
                                                        "none", "not_sure"}
    assert "7 to 10 days" in item(Q3, "opioid_recent").text
    assert item(Q3, "guardian_name").help and item(Q3, "guardian_phone").text_format == "phone"
    for version in ("2026.1", "2026.2"):  # the old versions stay, unchanged
        with pytest.raises(KeyError):
            item(get_questionnaire(version), "liver_kidney")


@pytest.mark.parametrize("date_of_birth, guardian, error", [
    ("2010-01-01", "", True),            # 16: a parent or guardian is required
    ("2008-12-08", "", True),            # 17, 18 tomorrow
    ("2008-12-07", "", False),           # 18 today
    ("1984-06-01", "", False),
    ("2010-01-01", "Sam Doe", False),
])
def test_under_18_needs_a_parent_or_guardian(date_of_birth, guardian, error):
    raw = {**COMPLETE_FORM_3["about"], "date_of_birth": date_of_birth, "guardian_name": guardian}
    _, errors = validate_step(Q3, "about", raw, today=TODAY)
    if error:
        assert errors == {"guardian_name": "You are under 18: give the name of a parent or guardian. Some "
                                           "medicines, including low-dose naltrexone, are not recommended under 18."}
    else:
        assert errors == {}


@pytest.mark.parametrize("shown, keys", [
    ({}, []),
    ({"opioid_recent": "no", "liver_kidney": {"selected": ["none"], "detail": ""}}, []),
    ({"opioid_recent": "yes"}, ["opioid_recent"]),
    ({"opioid_recent": "not_sure"}, ["opioid_recent"]),
    ({"liver_kidney": {"selected": ["liver"], "detail": ""}}, ["liver_kidney"]),
    ({"liver_kidney": {"selected": ["kidney"], "detail": ""}}, ["liver_kidney"]),
    ({"liver_kidney": {"selected": ["not_sure"], "detail": ""}}, ["liver_kidney"]),
    ({"mastocytosis_signs": {"selected": ["skin_spots"], "detail": ""}}, ["mastocytosis_signs"]),
    ({"mastocytosis_signs": {"selected": ["none"], "detail": ""}}, []),
    ({"sym_const_weight_loss": {"severity": 4, "frequency": "daily"}}, ["weight_loss"]),  # very severe
    ({"sym_const_weight_loss": {"severity": 3, "frequency": "daily"}}, []),
    ({"date_of_birth": "2010-01-01", "guardian_name": "Sam Doe"}, ["under_18"]),
    ({"date_of_birth": "1984-06-01"}, []),
    ({"medications": [{"name": "Oramorph 10 mg/5 ml"}]}, ["opioid"]),  # free text, 2026.1 too
    ({"medications": [{"name": "Cetirizine"}]}, []),
    ({"tryptase_baseline": 35.0}, ["tryptase_over_20", "tryptase_hat"]),
    ({"tryptase_baseline": 25.0, "tryptase_acute": 28.0}, ["tryptase", "tryptase_over_20", "tryptase_hat"]),
    ({"tryptase_results": [{"value": 9.0, "context": "baseline", "date": "2025-01-01"}]}, ["tryptase_hat"]),
])
def test_practitioner_flags_table(shown, keys):
    assert [f.key for f in practitioner_flags(shown, TODAY)] == keys


def test_the_under_18_flag_names_the_guardian_and_the_smpc():
    (flag,) = practitioner_flags({"date_of_birth": "2010-01-01", "guardian_name": "Sam Doe"}, TODAY)
    assert flag.text == ("Under 18 (age 16): naltrexone (LDN) is not recommended under 18 (SmPC); parent or "
                         "guardian: Sam Doe.")


def statuses(version: str, answers: dict) -> dict[str, str]:
    q = get_questionnaire(version)
    return {c.key: c.status for c in safety_checks(q, enabled_answers(q, answers), TODAY)}


@pytest.mark.parametrize("version, answers, expected", [
    # 2026.1 never asked most of them: "not asked", never "no".
    ("2026.1", {}, {"opioid": "not asked", "beta_blocker_ace": "not asked", "pregnancy": "not asked",
                    "no_auto_injector": "not answered", "weight_loss": "not asked", "tryptase": "not answered",
                    "tryptase_baseline": "not answered", "under_18": "not answered"}),
    ("2026.1", {"ldn_takes": True, "ldn_dose": 4.5, "medications": [{"name": "Oxycontin 10 mg"}]},
     {"opioid": "yes"}),
    # 2026.2: blanks (pregnancy and weight loss are optional) are "not answered".
    ("2026.2", {"opioid_use": "no", "heart_bp_medicines": {"selected": ["neither"], "detail": ""},
                "past_anaphylaxis": False, "date_of_birth": "1984-06-01"},
     {"opioid": "no", "beta_blocker_ace": "no", "pregnancy": "not answered", "no_auto_injector": "no",
      "weight_loss": "not answered", "tryptase": "not answered", "tryptase_baseline": "not answered",
      "under_18": "no"}),
    ("2026.2", {"opioid_use": "not_sure", "pregnancy": {"selected": ["none"], "detail": ""},
                "weight_loss_unintended": False, "tryptase_baseline": 5.0, "tryptase_acute": 7.9},
     {"opioid": "not sure", "pregnancy": "no", "weight_loss": "no", "tryptase": "no", "tryptase_baseline": "no"}),
    # 2026.3 adds its items; each shows whatever was answered.
    ("2026.3", {}, {"opioid": "not answered", "opioid_recent": "not answered", "liver_kidney": "not answered",
                    "mastocytosis_signs": "not answered"}),
    ("2026.3", {"opioid_recent": "yes", "liver_kidney": {"selected": ["none"], "detail": ""},
                "mastocytosis_signs": {"selected": ["liver_spleen"], "detail": ""},
                "sym_const_weight_loss": {"severity": 4, "frequency": "weekly"}, "date_of_birth": "2010-01-01"},
     {"opioid_recent": "yes", "liver_kidney": "no", "mastocytosis_signs": "yes", "weight_loss": "yes",
      "under_18": "yes"}),
])
def test_every_safety_item_has_a_status(version, answers, expected):
    found = statuses(version, answers)
    assert {k: found[k] for k in expected} == expected
    assert set(found.values()) <= {"yes", "not sure", "no", "not asked", "not answered"}


def test_a_complete_2026_3_intake_is_scored_flagged_and_a_conforming_fhir_response():
    answers = answers_3()
    assert is_complete(Q3, answers)
    keys = [f.key for f in summary(Q3, answers, TODAY).flags]
    assert {"opioid", "opioid_recent", "liver_kidney", "mastocytosis_signs"} <= set(keys)
    assert score(Q3, answers).involved_systems
    qj = questionnaire_resource(Q3, BASE)
    Questionnaire.model_validate(qj)
    assert qj["version"] == "2026.3"
    qr = response_resource(Q3, answers, response_id="qr-3", patient_ref="Patient/42", authored=AUTHORED,
                           status="completed", base_url=BASE)
    QuestionnaireResponse.model_validate(qr)
    assert qr["questionnaire"].endswith("|2026.3") and conformance_errors(qj, qr) == []
    assert answers_from_response(Q3, json.loads(json.dumps(qr))) == answers


def test_a_2026_2_intake_stays_scored_and_exported_under_its_own_version():
    q2 = get_questionnaire("2026.2")
    from tests.support.intake_forms import ANSWERS_2
    assert is_complete(q2, ANSWERS_2) and not is_complete(Q3, ANSWERS_2)  # 2026.3 asks more
    qr = response_resource(q2, ANSWERS_2, response_id="qr-2", patient_ref="Patient/42", authored=AUTHORED,
                           status="completed", base_url=BASE)
    assert qr["questionnaire"].endswith("|2026.2")
    assert conformance_errors(questionnaire_resource(q2, BASE), qr) == []
    assert summary(q2, ANSWERS_2, TODAY).checks  # readable, with its safety items
