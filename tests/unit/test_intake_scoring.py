"""Symptom burden scores: per system, involvement, the criterion A pattern."""

import json

import pytest

from app.intake.questionnaire import SYSTEMS, get_questionnaire, symptom_items
from app.intake.scoring import CRITERION_A_MESSAGE, DISCLAIMER, score

Q = get_questionnaire("2026.1")  # the released version: its answers stay readable
SYMPTOMS = symptom_items(Q)
N = len(SYMPTOMS)


def rated(severity, frequency="weekly"):
    return {"severity": severity, "frequency": "never" if severity == 0 else frequency}


def all_at(severity):
    return {it.link_id: rated(severity) for it in SYMPTOMS}


def with_systems(*systems, severity=2):
    """Every symptom answered 0, except one symptom per named system."""
    answers = all_at(0)
    for system in systems:
        first = next(it for it in SYMPTOMS if it.system == system)
        answers[first.link_id] = rated(severity)
    return answers


@pytest.mark.parametrize("answers, involved", [
    (all_at(0), ()),
    (all_at(1), ()),  # mild everywhere: no system involved
    (with_systems("skin", "gastrointestinal"), ("skin", "gastrointestinal")),
    (with_systems("skin", "neuro"), ("skin", "neuro")),
    (with_systems("skin", "gastrointestinal", severity=1), ()),
    (all_at(4), tuple(SYSTEMS)),
])
def test_involvement_in_the_first_version(answers, involved):
    result = score(Q, answers)
    assert result.involved_systems == involved


def test_first_version_never_shows_the_criterion_a_pattern_and_says_why():
    # 2026.1 did not ask whether symptoms start suddenly together, so it cannot show the pattern
    # (it used to over-call it from any two involved systems).
    result = score(Q, all_at(4))
    assert (result.criterion_a_assessed, result.criterion_a_pattern, result.flags) == (False, False, ())
    assert result.sudden_together is None


def test_flag_wording_is_exact_and_never_a_diagnosis():
    assert CRITERION_A_MESSAGE == (
        "Pattern consistent with consensus criterion A for MCAS (multi-system involvement) — "
        "not a diagnosis; criteria B and C need tryptase and treatment response.")
    assert "not a diagnosis" in score(Q, {}).disclaimer == DISCLAIMER


@pytest.mark.parametrize("severity, total, percentage", [
    (0, 0, 0.0), (1, N, 25.0), (2, 2 * N, 50.0), (4, 4 * N, 100.0)])
def test_total_burden(severity, total, percentage):
    result = score(Q, all_at(severity))
    assert (result.total, result.maximum, result.percentage) == (total, 4 * N, percentage)


def test_per_system_normalisation():
    answers = {"sym_skin_hives": rated(4), "sym_skin_itching": rated(2),
               "sym_gu_bladder": rated(3), "sym_gi_pain": rated(1)}
    result = score(Q, answers)
    skin, gu, gi = (result.system(k) for k in ("skin", "genitourinary", "gastrointestinal"))
    assert (skin.total, skin.maximum, skin.items, skin.answered) == (6, 20, 5, 2)
    assert skin.normalised == pytest.approx(6 / 20)
    assert gu.normalised == pytest.approx(3 / 4)
    assert gi.normalised == pytest.approx(1 / 24)
    assert not gi.involved and skin.involved and gu.involved
    assert [s.system for s in result.systems] == list(SYSTEMS)


def test_unanswered_count_as_zero_but_are_reported():
    result = score(Q, {"sym_skin_hives": rated(3), "sym_skin_rash": "garbage",
                       "sym_skin_itching": {"severity": True}})
    assert result.total == 3
    assert len(result.unanswered) == N - 1
    assert "sym_skin_rash" in result.unanswered and "sym_skin_hives" not in result.unanswered
    assert result.system("skin").unanswered == (
        "sym_skin_rash", "sym_skin_itching", "sym_skin_flushing", "sym_skin_swelling")
    assert score(Q, {}).unanswered == tuple(it.link_id for it in SYMPTOMS)


def test_top_symptoms_by_severity_then_frequency():
    answers = {"sym_gi_pain": rated(3, "monthly"), "sym_skin_hives": rated(3, "daily"),
               "sym_neuro_brain_fog": rated(4, "monthly"), "sym_cv_fainting": rated(1),
               "sym_skin_rash": rated(3, "daily"), "sym_gu_bladder": rated(0)}
    top = score(Q, answers, top=4).top_symptoms
    # ties on both keep questionnaire order (rash comes before hives)
    assert [s.link_id for s in top] == ["sym_neuro_brain_fog", "sym_skin_rash",
                                        "sym_skin_hives", "sym_gi_pain"]
    assert top[0].text == "Brain fog" and top[0].system == "neuro"
    assert len(score(Q, answers).top_symptoms) == 5
    assert score(Q, all_at(0)).top_symptoms == ()


def test_score_is_json_serialisable():
    data = score(Q, with_systems("skin", "gastrointestinal")).as_dict()
    assert json.loads(json.dumps(data))["involved_systems"] == ["skin", "gastrointestinal"]
