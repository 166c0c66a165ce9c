"""The "pattern consistent with consensus criterion A" flag (questionnaire 2026.2).

Counts only criterion-A symptoms (Valent et al. 2012/2019/2021) and only when the patient reports
episodes in which symptoms of two or more systems start suddenly together.
"""

import pytest

from app.intake.questionnaire import SUDDEN_TOGETHER, get_questionnaire, symptom_items
from app.intake.scoring import CRITERION_A_MESSAGE, DISCLAIMER, score

Q = get_questionnaire("2026.2")

CRITERION_A = {
    "sym_skin_hives", "sym_skin_swelling", "sym_skin_flushing", "sym_skin_itching",
    "sym_gi_nausea", "sym_gi_vomiting", "sym_gi_diarrhoea", "sym_gi_pain",
    "sym_cv_low_bp", "sym_cv_fainting", "sym_cv_palpitations", "sym_resp_wheeze",
    "sym_resp_eyes", "sym_resp_rhinitis",
}


def rated(**severities):
    answers = {it.link_id: {"severity": 0, "frequency": "never"} for it in symptom_items(Q)}
    for link_id, severity in severities.items():
        answers[f"sym_{link_id}"] = {"severity": severity, "frequency": "weekly"}
    return answers


def test_exactly_the_consensus_symptoms_are_tagged():
    assert {it.link_id for it in symptom_items(Q) if it.criterion_a} == CRITERION_A


@pytest.mark.parametrize("symptoms, sudden, systems, pattern", [
    ({"skin_rash": 2, "gi_reflux": 2}, True, (), False),  # eczema + reflux: never the pattern
    ({"skin_rash": 4, "gi_reflux": 4, "neuro_brain_fog": 4}, True, (), False),
    ({"skin_hives": 2, "gi_diarrhoea": 2}, True, ("skin", "gastrointestinal"), True),
    ({"skin_hives": 2, "gi_diarrhoea": 2}, False, ("skin", "gastrointestinal"), False),
    ({"skin_hives": 2, "gi_diarrhoea": 2}, None, ("skin", "gastrointestinal"), False),
    ({"skin_flushing": 3, "resp_wheeze": 2}, True, ("skin", "respiratory"), True),
    ({"cv_low_bp": 2, "resp_rhinitis": 2}, True, ("cardiovascular", "respiratory"), True),
    ({"cv_orthostatic": 4, "gi_nausea": 3}, True, ("gastrointestinal",), False),  # light-headed only
    ({"cv_chest_pain": 4, "skin_itching": 4}, True, ("skin",), False),
    ({"skin_hives": 4, "skin_flushing": 4, "skin_swelling": 4}, True, ("skin",), False),  # one system
    ({"skin_hives": 1, "gi_vomiting": 1}, True, (), False),  # mild: not counted
    ({"resp_breath": 3, "gi_pain": 2}, True, ("gastrointestinal",), False),  # breathless, no wheeze
    ({"cv_fainting": 2, "resp_eyes": 2, "gi_vomiting": 2, "skin_hives": 2}, True,
     ("skin", "cardiovascular", "respiratory", "gastrointestinal"), True),
])
def test_criterion_a_pattern_table(symptoms, sudden, systems, pattern):
    answers = rated(**symptoms)
    if sudden is not None:
        answers[SUDDEN_TOGETHER] = sudden
    result = score(Q, answers)
    assert result.criterion_a_systems == systems
    assert result.criterion_a_assessed is True and result.sudden_together is sudden
    assert result.criterion_a_pattern is pattern
    assert result.flags == ((CRITERION_A_MESSAGE,) if pattern else ())


def test_involved_systems_still_count_every_symptom():
    result = score(Q, rated(skin_rash=2, gi_reflux=2) | {SUDDEN_TOGETHER: True})
    assert result.involved_systems == ("skin", "gastrointestinal")
    assert not result.criterion_a_pattern


def test_the_flag_and_the_score_say_not_a_diagnosis():
    assert "not a diagnosis" in CRITERION_A_MESSAGE
    assert "not a diagnosis" in DISCLAIMER == score(Q, {}).disclaimer
