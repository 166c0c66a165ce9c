"""HL7 FHIR R5 ``Questionnaire`` / ``QuestionnaireResponse`` for the intake (plain dicts).

Mapping of our item kinds:

* step -> ``group`` (linkId = step key); choice -> ``coding`` with ``answerOption``;
  multi -> repeating ``coding`` plus a sibling ``string`` item ``<link_id>.detail``;
* severity -> ``group`` (``code`` = organ system) holding ``<link_id>.severity`` (options
  weighted 0-4 by the ``itemWeight`` extension) and ``<link_id>.frequency``;
* text -> ``string``, longtext -> ``text``, date/decimal/boolean -> same name;
  decimal limits and unit use the ``minValue`` / ``maxValue`` / ``questionnaire-unit``
  extensions; repeating group -> ``group`` with ``repeats``; help -> a ``display`` child
  shown as a flyover.

Option codings use host-independent systems (``urn:homeostasis:intake:<link_id>``) so a
response can be checked against the questionnaire whatever URL the app is served from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from app.intake.answers import enabled_answers
from app.intake.questionnaire import (
    FREQUENCY_OPTIONS,
    SEVERITY_OPTIONS,
    SYSTEMS,
    Item,
    Option,
    Questionnaire,
    Step,
    iter_items,
)

__all__ = [
    "questionnaire_resource", "response_resource", "answers_from_response",
    "questionnaire_url",
]

DEFAULT_BASE_URL = "https://homeostasis.example"
QUESTIONNAIRE_ID = "mcas-intake"
RESPONSE_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error",
                               "stopped"})
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
UCUM = "http://unitsofmeasure.org"
SYSTEM_PREFIX = "urn:homeostasis:intake:"
ORGAN_SYSTEM = SYSTEM_PREFIX + "organ-system"
# Symptoms named by consensus criterion A (Valent et al.) carry this code next to their organ system.
CRITERION_A_CODE = {"system": SYSTEM_PREFIX + "mcas-consensus", "code": "criterion-a",
                    "display": "Consensus criterion A symptom"}

FHIR_TYPE = {"choice": "coding", "multi": "coding", "severity": "group", "text": "string",
             "longtext": "text", "date": "date", "decimal": "decimal", "boolean": "boolean",
             "group": "group"}
VALUE_KEY = {"text": "valueString", "longtext": "valueString", "date": "valueDate",
             "decimal": "valueDecimal", "boolean": "valueBoolean"}


def questionnaire_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/fhir/Questionnaire/{QUESTIONNAIRE_ID}"


def option_system(link_id: str) -> str:
    # Every symptom shares one severity and one frequency scale.
    for suffix in (".severity", ".frequency"):
        if link_id.endswith(suffix):
            return SYSTEM_PREFIX + suffix[1:]
    return SYSTEM_PREFIX + link_id


def _coding(link_id: str, option: Option) -> dict:
    return {"system": option_system(link_id), "code": option.code, "display": option.label}


# --- Questionnaire ---------------------------------------------------------------------

def _answer_options(link_id: str, options: tuple[Option, ...]) -> list[dict]:
    result = []
    for option in options:
        entry: dict[str, Any] = {"valueCoding": _coding(link_id, option)}
        if option.score is not None:
            entry["extension"] = [{"url": ITEM_WEIGHT, "valueDecimal": option.score}]
        result.append(entry)
    return result


def _enable_when(q: Questionnaire, it: Item) -> list[dict]:
    cond = it.enable_when
    if cond is None:
        return []
    entry: dict[str, Any] = {"question": cond.link_id, "operator": cond.operator}
    if isinstance(cond.answer, bool):
        entry["answerBoolean"] = cond.answer
    else:
        target = next(t for t in iter_items(q) if t.link_id == cond.link_id)
        option = target.option(cond.answer)
        assert option is not None  # questionnaire.check refuses a condition on an answer not offered
        entry["answerCoding"] = _coding(target.link_id, option)
    return [entry]


def _help(it: Item) -> list[dict]:
    if not it.help:
        return []
    flyover = {"coding": [{"system": "http://hl7.org/fhir/questionnaire-item-control",
                           "code": "flyover"}]}
    return [{"linkId": f"{it.link_id}.help", "type": "display", "text": it.help,
             "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": flyover}]}]


def _question(link_id: str, text: str, kind: str, *, required: bool = False,
              repeats: bool = False) -> dict:
    return {"linkId": link_id, "text": text, "type": FHIR_TYPE[kind], "required": required,
            "repeats": repeats}


def _decimal_extensions(it: Item) -> list[dict]:
    ext = []
    if it.min_value is not None:
        ext.append({"url": MIN_VALUE, "valueDecimal": it.min_value})
    if it.max_value is not None:
        ext.append({"url": MAX_VALUE, "valueDecimal": it.max_value})
    if it.unit:
        ext.append({"url": UNIT, "valueCoding": {"system": UCUM, "code": it.unit,
                                                 "display": it.unit}})
    return ext


def _severity_children(it: Item) -> list[dict]:
    severity = _question(f"{it.link_id}.severity", "How bad is it?", "choice")
    frequency = _question(f"{it.link_id}.frequency", "How often does it happen?", "choice")
    for node, options in ((severity, SEVERITY_OPTIONS), (frequency, FREQUENCY_OPTIONS)):
        node["answerConstraint"] = "optionsOnly"
        node["answerOption"] = _answer_options(node["linkId"], options)
    return [severity, frequency]


def _q_items(q: Questionnaire, it: Item) -> list[dict]:
    """The FHIR item(s) for one of ours: a multi brings its detail item as a sibling."""
    node = _question(it.link_id, it.text, it.kind, required=it.required,
                     repeats=it.kind in ("multi", "group"))
    if it.enable_when:
        node["enableWhen"] = _enable_when(q, it)
    if it.options:
        node["answerConstraint"] = "optionsOnly"
        node["answerOption"] = _answer_options(it.link_id, it.options)
    if it.kind == "decimal":
        node["extension"] = _decimal_extensions(it)
    if it.max_length:
        node["maxLength"] = it.max_length
    if it.kind == "severity":
        assert it.system is not None  # questionnaire.check: every symptom has a known organ system
        node["code"] = [{"system": ORGAN_SYSTEM, "code": it.system, "display": SYSTEMS[it.system]}]
        if it.criterion_a:
            node["code"].append(dict(CRITERION_A_CODE))
    children = _help(it) + (_severity_children(it) if it.kind == "severity" else [])
    children += [child for field in it.fields for child in _q_items(q, field)]
    if children:
        node["item"] = children
    if it.kind != "multi":
        return [node]
    detail = _question(f"{it.link_id}.detail", it.detail_label or "Details", "text")
    return [node, detail]


def _q_step(q: Questionnaire, step: Step) -> dict:
    node = _question(step.key, step.title, "group",
                     required=any(it.required and not it.enable_when for it in step.items))
    notes = [step.intro, step.notice]
    node["item"] = [{"linkId": f"{step.key}.{name}", "type": "display", "text": text}
                    for name, text in zip(("intro", "notice"), notes, strict=False) if text]
    node["item"] += [entry for it in step.items for entry in _q_items(q, it)]
    return node


def questionnaire_resource(q: Questionnaire, base_url: str) -> dict:
    return {
        "resourceType": "Questionnaire",
        "id": f"{QUESTIONNAIRE_ID}-{q.version.replace('.', '-')}",
        "url": questionnaire_url(base_url),
        "version": q.version,
        "name": "HomeostasisMcasIntake",
        "title": q.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": "Intake for mast cell activation and histamine intolerance. Scores "
                       "derived from it are not a diagnosis.",
        "item": [_q_step(q, step) for step in q.steps],
    }


# --- QuestionnaireResponse -------------------------------------------------------------

def _r_coding(link_id: str, options: tuple[Option, ...], code: str) -> dict:
    option = next(o for o in options if o.code == code)
    return {"valueCoding": _coding(link_id, option)}


def _r_items(it: Item, value: Any) -> list[dict]:
    base = {"linkId": it.link_id, "text": it.text}
    if it.kind in VALUE_KEY:
        return [{**base, "answer": [{VALUE_KEY[it.kind]: value}]}]
    if it.kind == "choice":
        return [{**base, "answer": [_r_coding(it.link_id, it.options, value)]}]
    if it.kind == "severity":
        sev, freq = f"{it.link_id}.severity", f"{it.link_id}.frequency"
        return [{**base, "item": [
            {"linkId": sev, "answer": [_r_coding(sev, SEVERITY_OPTIONS, str(value["severity"]))]},
            {"linkId": freq, "answer": [_r_coding(freq, FREQUENCY_OPTIONS, value["frequency"])]},
        ]}]
    if it.kind == "group":
        return [{**base, "item": [entry for field in it.fields if field.field in row
                                  for entry in _r_items(field, row[field.field])]}
                for row in value]
    items = []  # multi
    if value["selected"]:
        items.append({**base, "answer": [_r_coding(it.link_id, it.options, code)
                                         for code in value["selected"]]})
    if value.get("detail"):
        items.append({"linkId": f"{it.link_id}.detail",
                      "answer": [{"valueString": value["detail"]}]})
    return items


def response_resource(q: Questionnaire, answers: Mapping[str, Any], *, response_id: str,
                      patient_ref: str, authored: datetime, status: str,
                      base_url: str = DEFAULT_BASE_URL) -> dict:
    """A QuestionnaireResponse for validated answers; answers to hidden items are left out."""
    if status not in RESPONSE_STATUSES:
        raise ValueError(f"Unknown QuestionnaireResponse status {status!r}")
    if authored.tzinfo is None:
        raise ValueError("authored must be timezone-aware (FHIR dateTime needs an offset)")
    shown = enabled_answers(q, answers)
    steps = []
    for step in q.steps:
        items = [entry for it in step.items if it.link_id in shown
                 for entry in _r_items(it, shown[it.link_id])]
        if items:
            steps.append({"linkId": step.key, "text": step.title, "item": items})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{questionnaire_url(base_url)}|{q.version}",
        "status": status,
        "subject": {"reference": patient_ref},
        "authored": authored.isoformat(),
    }
    if steps:
        resource["item"] = steps
    return resource


# --- back from a response (portability import, and the round-trip test) ----------------

def _values(node: Mapping) -> list[Any]:
    values = []
    for answer in node.get("answer", []):
        if "valueCoding" in answer:
            values.append(answer["valueCoding"]["code"])
        else:
            values.append(next(v for k, v in answer.items() if k.startswith("value")))
    return values


def _flatten(nodes: list[Mapping]) -> dict[str, list[Mapping]]:
    found: dict[str, list[Mapping]] = {}
    for node in nodes:
        found.setdefault(node["linkId"], []).append(node)
    return found


def _answer_from(it: Item, nodes: dict[str, list[Mapping]]) -> Any:
    if it.kind == "group":
        return [{field: value for field, value in
                 ((f.field, _answer_from(f, _flatten(row.get("item", [])))) for f in it.fields)
                 if value is not None} for row in nodes.get(it.link_id, [])] or None
    if it.kind == "severity":
        inner = _flatten(nodes[it.link_id][0].get("item", [])) if it.link_id in nodes else {}
        sev = _values(inner.get(f"{it.link_id}.severity", [{}])[0])
        freq = _values(inner.get(f"{it.link_id}.frequency", [{}])[0])
        return {"severity": int(sev[0]), "frequency": freq[0]} if sev and freq else None
    values = [v for node in nodes.get(it.link_id, []) for v in _values(node)]
    if it.kind == "multi":
        detail = [v for node in nodes.get(f"{it.link_id}.detail", []) for v in _values(node)]
        return {"selected": values, "detail": detail[0] if detail else ""} \
            if values or detail else None
    return values[0] if values else None


def answers_from_response(q: Questionnaire, response: Mapping) -> dict[str, Any]:
    """Our answers JSON from a QuestionnaireResponse made by ``response_resource``."""
    nodes = _flatten([child for step in response.get("item", []) for child in step.get("item", [])])
    answers = {it.link_id: _answer_from(it, nodes) for it in iter_items(q)}
    return {k: v for k, v in answers.items() if v is not None}
