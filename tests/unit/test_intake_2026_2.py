"""Questionnaire 2026.2: the questions the clinical review found missing, and the flags they raise."""

from datetime import date

import pytest

from app.intake.chart import Series, chart_svg
from app.intake.medication_changes import change_lines, read_changes
from app.intake.practitioner_flags import practitioner_flags, tryptase_rise
from app.intake.questionnaire import SYMPTOM_STEP, get_questionnaire, item, symptom_items

Q = get_questionnaire("2026.2")


def codes(link_id):
    return set(item(Q, link_id).codes)


def test_the_new_steps_and_required_safety_questions():
    assert [s.key for s in Q.steps] == ["about", "symptoms", "reactions", "triggers", "history", "medicines",
                                        "tests", "lifestyle", "goals", "visit"]
    for link_id in ("episodes_sudden_together", "past_anaphylaxis", "carries_epinephrine", "has_allergies",
                    "opioid_use", "heart_bp_medicines", "ldn_takes"):
        assert item(Q, link_id).required, link_id


def test_the_missing_questions_are_asked():
    assert codes("allergies.kind") >= {"drug", "food", "latex", "venom"}
    assert {f.field for f in item(Q, "allergies").fields} == {"kind", "substance", "reaction"}
    assert codes("pregnancy") >= {"pregnant", "breastfeeding", "planning"}
    assert codes("family_history") >= {"mast_cell", "allergy", "hat"}
    assert codes("symptom_triggers") >= {"alcohol", "insect_stings", "allergens"}
    assert codes("ldn_formulation") >= {"ir_capsule", "liquid"} and item(Q, "ldn_concentration").unit == "mg/mL"
    assert item(Q, "ldn_dose").min_value == 0.001
    assert codes("ldn_side_effects") >= {"vivid_dreams", "insomnia", "headache", "nausea"}
    assert {"ldn_start_date", "ldn_titration", "ldn_response"} <= {it.link_id for it in Q.step("medicines").items}
    assert codes("supplements_taken") == {"quercetin", "vitamin_c", "dao", "luteolin"}
    assert codes("mcas_medicines") == {"ketotifen", "montelukast", "cromolyn", "omalizumab", "ppi", "nsaid"}
    assert codes("other_tests.test") == {"n_methylhistamine", "pgf2a", "pgd2", "lte4", "chromogranin_a"}
    assert "raise chromogranin A" in item(Q, "other_tests.ppi").help
    assert {"anaphylaxis_count", "anaphylaxis_last_date", "anaphylaxis_cause_found"} <= {
        it.link_id for it in Q.step("reactions").items}


def test_symptoms_split_low_blood_pressure_and_weight_and_ask_about_two_weeks():
    ids = {it.link_id for it in symptom_items(Q)}
    assert {"sym_cv_low_bp", "sym_cv_orthostatic", "sym_const_weight_loss", "sym_const_weight_gain"} <= ids
    assert "sym_const_weight" not in ids
    assert "last two weeks" in Q.step(SYMPTOM_STEP).intro
    assert (Q.symptom_recall, get_questionnaire("2026.1").symptom_recall) == ("last_two_weeks", "usual")


@pytest.mark.parametrize("shown, keys", [
    ({}, []),
    ({"opioid_use": "no", "heart_bp_medicines": {"selected": ["neither"], "detail": ""}}, []),
    ({"opioid_use": "yes"}, ["opioid"]),
    ({"opioid_use": "not_sure"}, ["opioid"]),
    ({"heart_bp_medicines": {"selected": ["ace_inhibitor"], "detail": ""}}, ["beta_blocker_ace"]),
    ({"pregnancy": {"selected": ["none"], "detail": ""}}, []),
    ({"pregnancy": {"selected": ["planning"], "detail": ""}}, ["pregnancy"]),
    ({"past_anaphylaxis": True, "carries_epinephrine": False}, ["no_auto_injector"]),
    ({"past_anaphylaxis": True}, []),  # not answered is not "no"
    ({"past_anaphylaxis": False, "carries_epinephrine": False}, []),
    ({"weight_loss_unintended": True}, ["weight_loss"]),
    ({"tryptase_baseline": 5.0}, []),
    ({"tryptase_baseline": 5.0, "tryptase_acute": 8.0}, ["tryptase"]),
    ({"weight_loss_unintended": True, "opioid_use": "yes", "past_anaphylaxis": True,
      "carries_epinephrine": False}, ["opioid", "no_auto_injector", "weight_loss"]),
])
def test_practitioner_flags_table(shown, keys):
    assert [f.key for f in practitioner_flags(shown)] == keys


@pytest.mark.parametrize("shown, meets", [
    ({"tryptase_baseline": 5.0, "tryptase_acute": 8.0}, True),  # threshold 5 x 1.2 + 2 = 8.0
    ({"tryptase_baseline": 5.0, "tryptase_acute": 7.9}, False),
    ({"tryptase_results": [{"value": 10.0, "context": "baseline", "date": "2025-01-01"},
                           {"value": 14.0, "context": "flare", "date": "2025-02-01"}]}, True),
])
def test_the_tryptase_rule_from_either_version(shown, meets):
    assert tryptase_rise(shown).meets_rule is meets


def test_medicine_changes_are_read_and_described():
    changes, errors = read_changes({"medication_changes-0-medicine": "Ketotifen",
                                    "medication_changes-0-change": "stopped"}, today=date(2026, 3, 1))
    assert (changes, errors) == ([{"medicine": "Ketotifen", "change": "stopped"}], {})
    assert change_lines(changes) == ("Stopped: Ketotifen",)
    assert change_lines(None) == () and change_lines([{"change": "started"}, "junk"]) == ()
    _, errors = read_changes({"medication_changes-0-change": "sideways"}, today=date(2026, 3, 1))
    assert errors["medication_changes-0-change"] == "Choose one of the options listed"


def test_a_chart_marks_the_points_with_medicine_changes():
    svg = chart_svg(Series("skin", "Skin", (40.0, 20.0, 10.0)), ("1 Jan", "15 Jan", "29 Jan"), "c",
                    (False, True, False))
    assert svg.count('class="trend-marker"') == 1 and "Medicine changes reported on 15 Jan." in svg
