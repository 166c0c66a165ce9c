"""FHIR R5 Questionnaire / QuestionnaireResponse export and our conformance check."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime

import pytest
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from app.intake.answers import is_complete, validate_step
from app.intake.fhir import (
    ITEM_WEIGHT,
    answers_from_response,
    questionnaire_resource,
    response_resource,
)
from tests.support.fhir_conformance import conformance_errors
from tests.support.intake_forms import ANSWERS_2, AUTHORED, BASE, COMPLETE_FORM, COMPLETE_FORM_2, Q2, Q


def complete_answers():
    answers = {}
    for step, raw in COMPLETE_FORM.items():
        clean, errors = validate_step(Q, step, raw, today=date(2026, 3, 15), saved=answers)
        assert errors == {}, errors
        answers.update(clean)
    return answers


ANSWERS = complete_answers()
QJ = questionnaire_resource(Q, BASE)


def response(answers=ANSWERS, status="completed"):
    return response_resource(Q, answers, response_id="qr-1", patient_ref="Patient/42",
                             authored=AUTHORED, status=status, base_url=BASE)


def walk(items):
    for node in items:
        yield node
        yield from walk(node.get("item", []))
        for answer in node.get("answer", []):
            yield from walk(answer.get("item", []))


def find(resource, link_id):
    return next(node for node in walk(resource["item"]) if node["linkId"] == link_id)


def test_questionnaire_validates_as_r5():
    model = Questionnaire.model_validate(QJ)
    assert (model.status, model.version, model.url) == (
        "active", "2026.1", "https://clinic.test/fhir/Questionnaire/mcas-intake")
    assert QJ["title"] and [i["linkId"] for i in QJ["item"]][:2] == ["about", "symptoms"]
    link_ids = [node["linkId"] for node in walk(QJ["item"])]
    assert len(link_ids) == len(set(link_ids))


def test_choices_carry_codings_and_severity_weights():
    sex = find(QJ, "sex_at_birth")
    assert sex["type"] == "coding" and sex["answerConstraint"] == "optionsOnly"
    assert sex["answerOption"][0]["valueCoding"]["code"] == "female"
    assert find(QJ, "symptom_triggers")["repeats"] is True
    severity = find(QJ, "sym_skin_hives.severity")
    weights = [o["extension"][0] for o in severity["answerOption"]]
    assert weights == [{"url": ITEM_WEIGHT, "valueDecimal": n} for n in range(5)]
    assert find(QJ, "sym_skin_hives")["code"][0]["code"] == "skin"


def test_enable_when_and_decimal_limits():
    dose = find(QJ, "ldn_dose")
    assert dose["enableWhen"] == [{"question": "ldn_takes", "operator": "=",
                                   "answerBoolean": True}]
    assert {e["url"].rsplit("/", 1)[-1]: e.get("valueDecimal") for e in dose["extension"]} == {
        "minValue": 0.1, "maxValue": 10, "questionnaire-unit": None}
    assert find(QJ, "ldn_dose.help")["type"] == "display"
    effect = find(QJ, "low_histamine_diet_effect")["enableWhen"][0]
    assert (effect["operator"], effect["answerCoding"]["code"]) == ("!=", "no")


def test_complete_response_validates_and_conforms():
    assert is_complete(Q, ANSWERS)
    qr = response()
    model = QuestionnaireResponse.model_validate(qr)
    assert model.status == "completed" and model.subject.reference == "Patient/42"
    assert qr["questionnaire"] == f"{QJ['url']}|2026.1"
    assert conformance_errors(QJ, qr) == []


def test_round_trip_through_fhir_resources():
    dumped = QuestionnaireResponse.model_validate(response()).model_dump_json()
    assert answers_from_response(Q, json.loads(dumped)) == ANSWERS


def test_hidden_answers_are_not_exported():
    qr = response({**ANSWERS, "ldn_takes": False})
    link_ids = {node["linkId"] for node in walk(qr["item"])}
    assert "ldn_dose" not in link_ids and "ldn_timing" not in link_ids
    assert conformance_errors(QJ, qr) == []


def test_response_needs_an_aware_time_and_a_known_status():
    with pytest.raises(ValueError, match="timezone"):
        response_resource(Q, ANSWERS, response_id="x", patient_ref="Patient/1",
                          authored=datetime(2026, 1, 1), status="completed")
    with pytest.raises(ValueError, match="status"):
        response(status="done")


def answer_of(qr, link_id):
    return find(qr, link_id)["answer"]


def move_item(qr, link_id, to):
    node = find(qr, link_id)
    for parent in walk(qr["item"]):
        if node in parent.get("item", []):
            parent["item"].remove(node)
    find(qr, to)["item"].append(node)


def break_response(how):
    qr = copy.deepcopy(response())
    if how == "unknown":
        find(qr, "about")["item"].append({"linkId": "shoe_size", "answer": [{"valueString": "5"}]})
    elif how == "nesting":
        move_item(qr, "goals", "about")
    elif how == "type":
        answer_of(qr, "past_anaphylaxis")[0] = {"valueString": "yes"}
    elif how == "option":
        answer_of(qr, "sleep_quality")[0]["valueCoding"]["code"] = "perfect"
    elif how == "required":
        find(qr, "about")["item"] = [n for n in find(qr, "about")["item"]
                                     if n["linkId"] != "date_of_birth"]
    elif how == "disabled":
        answer_of(qr, "ldn_takes")[0] = {"valueBoolean": False}
    elif how == "repeats":
        answer_of(qr, "sex_at_birth").append(copy.deepcopy(answer_of(qr, "sex_at_birth")[0]))
    elif how == "display":
        find(qr, "history")["item"].append({"linkId": "ldn_dose.help"})
    elif how == "group_answer":
        find(qr, "goals")["answer"] = [{"valueString": "x"}]
    elif how == "reference":
        qr["questionnaire"] = "https://elsewhere.test/Questionnaire/other|1"
    return qr


@pytest.mark.parametrize("how, expected", [
    ("unknown", "shoe_size: no such linkId in the questionnaire"),
    ("nesting", "goals: belongs under the top level, not about"),
    ("type", "past_anaphylaxis: a boolean question cannot take valueString"),
    ("option", "sleep_quality: answer is not one of the answer options"),
    ("required", "date_of_birth: required but not answered"),
    ("disabled", "ldn_dose: answered although its enableWhen condition is false"),
    ("repeats", "sex_at_birth: has 2 answers but does not repeat"),
    ("display", "ldn_dose.help: belongs under ldn_dose, not history"),
    ("group_answer", "goals: a group cannot have answers"),
    ("reference", "questionnaire: response refers to "
                  "'https://elsewhere.test/Questionnaire/other|1', not "
                  "https://clinic.test/fhir/Questionnaire/mcas-intake|2026.1"),
])
def test_conformance_catches_each_kind_of_error(how, expected):
    qr = break_response(how)
    QuestionnaireResponse.model_validate(qr)  # structurally fine: only our check sees it
    assert expected in conformance_errors(QJ, qr)


def test_display_items_take_no_answers():
    qr = copy.deepcopy(response())
    find(qr, "symptoms")["item"].append({"linkId": "symptoms.notice",
                                         "answer": [{"valueString": "read"}]})
    assert "symptoms.notice: a display item cannot be answered" in conformance_errors(QJ, qr)


def test_required_items_only_enforced_once_completed():
    partial = {"date_of_birth": "1984-06-01"}
    assert conformance_errors(QJ, response(partial, status="in-progress")) == []
    errors = conformance_errors(QJ, response(partial, status="completed"))
    assert "consultation_goals: required but not answered" in errors
    assert "sex_at_birth: required but not answered" in errors


# --- questionnaire 2026.2 (the current version) -----------------------------------------------------


QJ2 = questionnaire_resource(Q2, BASE)


def test_current_questionnaire_validates_as_r5_and_tags_criterion_a_symptoms():
    Questionnaire.model_validate(QJ2)
    assert QJ2["version"] == "2026.2" and QJ2["id"] == "mcas-intake-2026-2"
    nodes = {n["linkId"]: n for n in walk(QJ2["item"])}
    assert {"system": "urn:homeostasis:intake:mcas-consensus", "code": "criterion-a",
            "display": "Consensus criterion A symptom"} in nodes["sym_skin_hives"]["code"]
    assert len(nodes["sym_skin_rash"]["code"]) == 1  # eczema is not a criterion-A symptom
    assert nodes["tryptase_acute_hours"]["enableWhen"] == [
        {"question": "tryptase_acute", "operator": "exists", "answerBoolean": True}]
    ldn = {e["url"].rsplit("/", 1)[1]: e for e in nodes["ldn_dose"]["extension"]}
    assert ldn["minValue"]["valueDecimal"] == 0.001  # micro-doses below 0.1 mg can be entered


def test_a_complete_current_response_validates_conforms_and_round_trips():
    assert is_complete(Q2, ANSWERS_2)
    assert ANSWERS_2["ldn_dose"] == 0.05 and ANSWERS_2["anaphylaxis_count"] == 2.0
    qr = response_resource(Q2, ANSWERS_2, response_id="qr-2", patient_ref="Patient/42", authored=AUTHORED,
                           status="completed", base_url=BASE)
    QuestionnaireResponse.model_validate(qr)
    assert qr["questionnaire"] == f"{QJ2['url']}|2026.2"
    assert conformance_errors(QJ2, qr) == []
    assert answers_from_response(Q2, json.loads(json.dumps(qr))) == ANSWERS_2


def test_an_old_response_does_not_conform_to_the_new_questionnaire_but_to_its_own():
    old = response()
    assert conformance_errors(QJ, old) == []
    assert any("refers to" in e for e in conformance_errors(QJ2, old))


def test_a_count_of_episodes_must_be_whole():
    _, errors = validate_step(Q2, "reactions", {**COMPLETE_FORM_2["reactions"], "anaphylaxis_count": "1.5"},
                              today=date(2026, 3, 15))
    assert errors == {"anaphylaxis_count": "Enter the number of episodes as a whole number"}
