"""Validating one posted step of the intake."""

import json
from datetime import date

import pytest

from app.intake.answers import is_complete, is_enabled, missing_required, validate_step
from app.intake.questionnaire import get_questionnaire, item

Q = get_questionnaire("2026.1")  # the released version: its answers stay readable
TODAY = date(2026, 3, 15)
ABOUT = {"date_of_birth": "1984-06-01", "sex_at_birth": "female",
         "emergency_contact_name": "Sam Doe", "emergency_contact_phone": "+44 20 7946 0000"}
HISTORY = {"past_anaphylaxis": "no", "carries_epinephrine": "no", "ldn_takes": "no"}


def check(step, raw, saved=None):
    return validate_step(Q, step, raw, today=TODAY, saved=saved)


@pytest.mark.parametrize("step, raw, key, message", [
    ("about", {**ABOUT, "date_of_birth": ""}, "date_of_birth", "Enter a date"),
    ("about", {**ABOUT, "date_of_birth": "2026-03-16"}, "date_of_birth",
     "Enter a date in the past"),
    ("about", {**ABOUT, "date_of_birth": "1899-12-31"}, "date_of_birth",
     "Enter a date after 1900"),
    ("about", {**ABOUT, "date_of_birth": "2023-02-30"}, "date_of_birth",
     "Enter a real date, as year-month-day"),
    ("about", {**ABOUT, "date_of_birth": "01/06/1984"}, "date_of_birth",
     "Enter a real date, as year-month-day"),
    ("about", {**ABOUT, "sex_at_birth": ""}, "sex_at_birth", "Choose an answer"),
    ("about", {**ABOUT, "sex_at_birth": "robot"}, "sex_at_birth",
     "Choose one of the options listed"),
    ("about", {**ABOUT, "emergency_contact_name": "   "}, "emergency_contact_name",
     "Enter an answer"),
    ("about", {**ABOUT, "emergency_contact_name": "x" * 201}, "emergency_contact_name",
     "Keep this under 200 characters"),
    ("about", {**ABOUT, "emergency_contact_phone": "call me"}, "emergency_contact_phone",
     "Enter a phone number using digits, spaces and an optional + at the start"),
    ("about", {**ABOUT, "emergency_contact_phone": "12-34"}, "emergency_contact_phone",
     "Enter a phone number using digits, spaces and an optional + at the start"),
    ("symptoms", {"sym_skin_hives.severity": "5", "sym_skin_hives.frequency": "daily"},
     "sym_skin_hives", "Choose a severity from 0 to 4"),
    ("symptoms", {"sym_skin_hives.frequency": "daily"}, "sym_skin_hives",
     "Choose a severity from 0 to 4"),
    ("symptoms", {"sym_skin_hives.severity": "2"}, "sym_skin_hives",
     "Choose how often this happens"),
    ("symptoms", {"sym_skin_hives.severity": "2", "sym_skin_hives.frequency": "hourly"},
     "sym_skin_hives", "Choose how often this happens"),
    ("symptoms", {"sym_skin_hives.severity": "2", "sym_skin_hives.frequency": "never"},
     "sym_skin_hives",
     "You chose never: choose how often it happens, or set the severity to none"),
    ("triggers", {"symptom_triggers": ["mould", "glitter"]}, "symptom_triggers",
     "Choose only from the options listed"),
    ("triggers", {"symptom_triggers": ["other"]}, "symptom_triggers",
     "Tell us more about “Something else”"),
    ("history", {**HISTORY, "past_anaphylaxis": ""}, "past_anaphylaxis", "Choose yes or no"),
    ("history", {**HISTORY, "carries_epinephrine": "maybe"}, "carries_epinephrine",
     "Choose yes or no"),
    ("history", {**HISTORY, "ldn_takes": "yes", "ldn_dose": "12"}, "ldn_dose",
     "Enter a dose between 0.1 and 10 mg"),
    ("history", {**HISTORY, "ldn_takes": "yes", "ldn_dose": "0"}, "ldn_dose",
     "Enter a dose between 0.1 and 10 mg"),
    ("history", {**HISTORY, "ldn_takes": "yes", "ldn_dose": "a little"}, "ldn_dose",
     "Enter the dose as a number"),
    ("history", {**HISTORY, "ldn_takes": "yes", "ldn_dose": "NaN"}, "ldn_dose",
     "Enter the dose as a number"),
    ("history", {**HISTORY, "ldn_takes": "yes", "ldn_timing": "noon"}, "ldn_timing",
     "Choose one of the options listed"),
    ("history", {**HISTORY, "tryptase_results-0-value": "2000",
                 "tryptase_results-0-date": "2025-01-01"}, "tryptase_results-0-value",
     "Enter a tryptase level between 0 and 1000 ng/mL"),
    ("history", {**HISTORY, "tryptase_results-2-value": "5"}, "tryptase_results-2-date",
     "Enter a date"),
    ("history", {**HISTORY, "tryptase_results-0-value": "5",
                 "tryptase_results-0-date": "2027-01-01"}, "tryptase_results-0-date",
     "Enter a date in the past"),
    ("history", {**HISTORY, "tryptase_results-0-date": "2025-01-01"}, "tryptase_results",
     "Check the entries marked below"),
    ("history", {**HISTORY, "medications-0-dose": "10 mg"}, "medications-0-name",
     "Enter an answer"),
    ("history", {**HISTORY, "medications-50-name": "x"}, "medications",
     "Add at most 50 entries"),
    ("history", {**HISTORY, "diagnoses": ["other_autoimmune"]}, "diagnoses",
     "Tell us more about “Another autoimmune condition”"),
    ("history", {**HISTORY, "antihistamines_helped": "sometimes"}, "antihistamines_helped",
     "Choose one of the options listed"),
    ("goals", {"consultation_goals": ""}, "consultation_goals", "Enter an answer"),
    ("goals", {"consultation_goals": "x" * 5001}, "consultation_goals",
     "Keep this under 5000 characters"),
    ("visit", {"visit_sensitivities": ["latex"], "visit_sensitivities.detail": "x" * 1001},
     "visit_sensitivities", "Keep this under 1000 characters"),
])
def test_validation_messages(step, raw, key, message):
    clean, errors = check(step, raw)
    assert errors.get(key) == message
    assert key not in clean


def test_valid_about_step_is_clean():
    clean, errors = check("about", {**ABOUT, "gender": "  woman ", "heard_about_us": "friend"})
    assert errors == {}
    assert clean == {**ABOUT, "gender": "woman", "heard_about_us": "friend"}


def test_values_become_json_types():
    raw = {**HISTORY, "ldn_takes": ["yes"], "ldn_dose": "1,5", "ldn_timing": "bedtime",
           "diagnoses": ["pots", "mcas", "pots"], "diagnoses.detail": "2019",
           "tryptase_results-3-value": "8.1", "tryptase_results-3-date": "2025-02-01",
           "tryptase_results-3-context": "flare", "tryptase_results-1-value": "",
           "medications-0-name": "Cetirizine", "medications-0-timing": "morning"}
    clean, errors = check("history", raw)
    assert errors == {}
    assert clean["ldn_takes"] is True and clean["ldn_dose"] == 1.5
    # option order, duplicates removed
    assert clean["diagnoses"] == {"selected": ["mcas", "pots"], "detail": "2019"}
    # blank rows dropped, rows renumbered from 0
    assert clean["tryptase_results"] == [{"value": 8.1, "date": "2025-02-01",
                                          "context": "flare"}]
    assert clean["medications"] == [{"name": "Cetirizine", "timing": "morning"}]
    assert json.loads(json.dumps(clean)) == clean


def test_werkzeug_multidict_is_read_directly():
    from werkzeug.datastructures import MultiDict

    form = MultiDict([("visit_sensitivities", "latex"), ("visit_sensitivities", "temperature")])
    clean, errors = check("visit", form)
    assert clean["visit_sensitivities"]["selected"] == ["latex", "temperature"]


def test_severity_answers():
    clean, errors = check("symptoms", {
        "sym_skin_hives.severity": "3", "sym_skin_hives.frequency": "weekly",
        "sym_gi_pain.severity": "0"})
    assert errors == {}
    assert clean == {"sym_skin_hives": {"severity": 3, "frequency": "weekly"},
                     "sym_gi_pain": {"severity": 0, "frequency": "never"}}


def test_how_often_left_from_an_earlier_rating_is_ignored_for_none():
    """The form asks how often only above none (issue 21): a row rated, given a frequency, then set back to
    none still posts that hidden frequency, and it means what she sees: none, never."""
    clean, errors = check("symptoms", {"sym_skin_hives.severity": "0", "sym_skin_hives.frequency": "weekly"})
    assert errors == {}
    assert clean == {"sym_skin_hives": {"severity": 0, "frequency": "never"}}


def test_symptoms_are_optional():
    assert check("symptoms", {}) == ({}, {})


def test_hidden_items_lose_answers_and_errors():
    clean, errors = check("history", {**HISTORY, "ldn_takes": "no", "ldn_dose": "99",
                                      "ldn_timing": "bedtime"})
    assert errors == {}
    assert "ldn_dose" not in clean and "ldn_timing" not in clean


def test_diet_effect_follows_not_equals_semantics():
    hidden, _ = check("lifestyle", {"low_histamine_diet": "no",
                                    "low_histamine_diet_effect": "worse"})
    shown, _ = check("lifestyle", {"low_histamine_diet": "past",
                                   "low_histamine_diet_effect": "worse"})
    assert "low_histamine_diet_effect" not in hidden
    assert shown["low_histamine_diet_effect"] == "worse"


def test_conditions_can_use_saved_answers_from_other_steps():
    it = item(Q, "ldn_dose")
    assert is_enabled(it, {"ldn_takes": True})
    assert not is_enabled(it, {"ldn_takes": "yes"})  # compare typed values, not text
    assert not is_enabled(it, {})


def test_saved_answers_for_the_same_step_are_replaced_by_the_post():
    clean, _ = check("history", {**HISTORY, "ldn_dose": "2"}, saved={"ldn_takes": True})
    assert "ldn_dose" not in clean


def test_missing_required_and_complete():
    answers = {**check("about", ABOUT)[0], **check("history", HISTORY)[0],
               "consultation_goals": "Understand my flares"}
    assert missing_required(Q, {}) == [
        "date_of_birth", "sex_at_birth", "emergency_contact_name", "emergency_contact_phone",
        "past_anaphylaxis", "carries_epinephrine", "ldn_takes", "consultation_goals"]
    assert missing_required(Q, answers) == []
    assert is_complete(Q, answers)
    assert not is_complete(Q, {**answers, "consultation_goals": ""})


def test_missing_required_honours_enable_when():
    from dataclasses import replace

    history = Q.step("history")
    items = tuple(replace(it, required=True) if it.link_id == "ldn_dose" else it
                  for it in history.items)
    q = replace(Q, steps=tuple(replace(s, items=items) if s is history else s for s in Q.steps))
    assert "ldn_dose" in missing_required(q, {"ldn_takes": True})
    assert "ldn_dose" not in missing_required(q, {"ldn_takes": False})
    assert "ldn_dose" not in missing_required(q, {})
