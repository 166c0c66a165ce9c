"""The intake questionnaire is complete, consistent data."""

from collections import Counter
from dataclasses import FrozenInstanceError, replace

import pytest

from app.intake import questionnaire as qn
from app.intake.questionnaire import (
    CURRENT_VERSION,
    QUESTIONNAIRES,
    SYSTEMS,
    EnableWhen,
    Item,
    get_questionnaire,
    item,
    iter_items,
    symptom_items,
)

Q = get_questionnaire("2026.1")  # the released version: its answers stay readable


def all_link_ids(q):
    for it in iter_items(q):
        yield it.link_id
        yield from (field.link_id for field in it.fields)


def codes(link_id):
    return set(item(Q, link_id).codes)


def test_registry_holds_the_current_version_and_keeps_the_first():
    assert CURRENT_VERSION == "2026.3"
    assert get_questionnaire() is QUESTIONNAIRES["2026.3"] is get_questionnaire("2026.3")
    assert QUESTIONNAIRES["2026.2"].version == "2026.2"  # earlier versions stay: their answers name them
    assert Q is QUESTIONNAIRES["2026.1"] and Q.version == "2026.1"


def test_unknown_version_is_a_key_error():
    with pytest.raises(KeyError, match="1999.1"):
        get_questionnaire("1999.1")


def test_steps_in_order():
    assert [s.key for s in Q.steps] == [
        "about", "symptoms", "triggers", "history", "lifestyle", "goals", "visit"]


def test_link_ids_are_unique_and_items_well_formed():
    ids = list(all_link_ids(Q))
    assert len(ids) == len(set(ids))
    for it in iter_items(Q):
        assert it.kind in qn.KINDS and it.text
        assert bool(it.options) == (it.kind in ("choice", "multi")), it.link_id
        assert bool(it.fields) == (it.kind == "group"), it.link_id


def test_definition_is_frozen():
    with pytest.raises(FrozenInstanceError):
        Q.steps[0].items[0].required = False  # type: ignore[misc]


def test_about_you():
    required = {it.link_id for it in Q.step("about").items if it.required}
    assert required == {"date_of_birth", "sex_at_birth", "emergency_contact_name",
                        "emergency_contact_phone"}
    assert item(Q, "date_of_birth").kind == "date"
    assert item(Q, "gender").required is False
    assert item(Q, "emergency_contact_phone").text_format == "phone"
    assert {"primary_care_doctor", "heard_about_us"} <= set(all_link_ids(Q))


def test_symptoms_cover_every_organ_system():
    symptoms = symptom_items(Q)
    assert symptoms == Q.step("symptoms").items
    assert all(it.kind == "severity" and not it.required for it in symptoms)
    assert list(SYSTEMS) == ["skin", "cardiovascular", "respiratory", "gastrointestinal",
                             "neuro", "constitutional", "musculoskeletal", "genitourinary"]
    per_system = Counter(it.system for it in symptoms)
    assert per_system == {"skin": 5, "cardiovascular": 4, "respiratory": 3,
                          "gastrointestinal": 6, "neuro": 5, "constitutional": 3,
                          "musculoskeletal": 1, "genitourinary": 1}


def test_severity_and_frequency_scales():
    assert [(o.code, o.label, o.score) for o in qn.SEVERITY_OPTIONS] == [
        ("0", "None", 0), ("1", "Mild", 1), ("2", "Moderate", 2), ("3", "Severe", 3),
        ("4", "Very severe", 4)]
    assert [o.code for o in qn.FREQUENCY_OPTIONS] == ["never", "monthly", "weekly", "daily"]


def test_symptom_step_carries_the_emergency_notice():
    notice = Q.step("symptoms").notice
    assert "call emergency services" in notice and "auto-injector" in notice


def test_triggers():
    assert codes("symptom_triggers") == {"mould", "allergens", "infections", "chemicals",
                                 "heavy_metals", "smells", "medications", "stress",
                                 "hormonal", "other"}
    triggers = item(Q, "symptom_triggers")
    assert triggers.detail_label and triggers.detail_required_for == ("other",)
    labels = " ".join(o.label for o in triggers.options)
    for example in ("insect bites", "gluten", "preservatives", "mercury", "perfumes",
                    "ibuprofen", "opiate", "lack of sleep", "menstrual cycle"):
        assert example in labels


def test_history_diagnoses_and_safety_questions():
    assert codes("diagnoses") == {"mcas", "histamine_intolerance", "mastocytosis", "pots",
                                  "eds_hypermobility", "fibromyalgia", "psoriasis",
                                  "other_autoimmune"}
    for link_id in ("past_anaphylaxis", "carries_epinephrine", "ldn_takes"):
        assert item(Q, link_id).kind == "boolean" and item(Q, link_id).required
    assert codes("antihistamines_helped") == {"yes", "partly", "no", "not_tried"}
    for link_id in ("antihistamines_h1", "antihistamines_h2", "mast_cell_stabilisers"):
        assert item(Q, link_id).kind == "text"
    assert item(Q, "supplements").kind == "longtext"


def test_repeating_groups():
    tryptase = item(Q, "tryptase_results")
    assert [f.field for f in tryptase.fields] == ["value", "date", "context"]
    value = item(Q, "tryptase_results.value")
    assert (value.kind, value.unit) == ("decimal", "ng/mL")
    assert codes("tryptase_results.context") == {"baseline", "flare"}
    medications = item(Q, "medications")
    assert [f.field for f in medications.fields] == ["name", "dose", "timing"]


def test_ldn_is_described_never_prescribed():
    dose = item(Q, "ldn_dose")
    assert (dose.kind, dose.min_value, dose.max_value, dose.unit) == ("decimal", 0.1, 10, "mg")
    # The same range as the course (lesson 15) and CLINICAL.md: typical 1.5-4.5 mg, studied 0.5-4.5 mg.
    assert dose.help == ("1.5–4.5 mg is the typical range (0.5–4.5 mg has been studied); never change a dose "
                         "without your doctor")
    assert dose.required is False
    for link_id in ("ldn_dose", "ldn_timing"):
        assert item(Q, link_id).enable_when == EnableWhen("ldn_takes", "=", True)


def test_diet_lifestyle_goals_and_visit():
    assert item(Q, "low_histamine_diet_effect").enable_when == EnableWhen(
        "low_histamine_diet", "!=", "no")
    for link_id in ("sleep_quality", "stress_level", "exercise_tolerance"):
        assert item(Q, link_id).kind == "choice"
    goals = item(Q, "consultation_goals")
    assert (goals.kind, goals.required) == ("longtext", True)
    visit = item(Q, "visit_sensitivities")
    assert set(visit.codes) == {"fragrance_free", "latex", "temperature", "excipients"}
    assert visit.detail_label


def test_conditions_point_back_to_earlier_items():
    seen = set()
    for it in iter_items(Q):
        if it.enable_when:
            assert it.enable_when.link_id in seen
        seen.add(it.link_id)


def test_item_lookup():
    assert item(Q, "medications.dose").field == "dose"
    assert qn.step_of(Q, "ldn_dose").key == "history"
    with pytest.raises(KeyError):
        item(Q, "nope")


@pytest.mark.parametrize("bad", [
    Item("date_of_birth", "text", "Duplicate"),
    Item("x", "severity", "No system"),
    Item("y", "text", "Later", enable_when=EnableWhen("goals_later", "=", "yes")),
    Item("z", "sparkle", "Unknown kind"),
    Item("visit", "text", "Same linkId as a step"),
])
def test_inconsistent_definitions_fail_at_build(bad):
    broken = replace(Q, steps=tuple(replace(s, items=s.items + (bad,)) if s.key == "goals"
                                    else s for s in Q.steps))
    with pytest.raises(ValueError):
        qn.check(broken)
