"""Check a FHIR R5 QuestionnaireResponse against its Questionnaire (both JSON dicts).

``fhir.resources`` validates each resource's structure but never one against the other,
nor code lists, so this covers what it leaves out: every linkId exists (and sits under the
right parent), answer types fit item types, required items are answered, choices come from
``answerOption``, repeats are respected, and hidden items (``enableWhen`` false) carry no
answers. Required items are only enforced once a response is ``completed`` or
``amended``: FHIR lets an ``in-progress`` response be partial.

Works on any questionnaire, not only ours, so an imported response can be checked too.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = ["conformance_errors"]

VALUE_TYPES = {
    "boolean": ("valueBoolean",), "decimal": ("valueDecimal",), "integer": ("valueInteger",),
    "date": ("valueDate",), "dateTime": ("valueDateTime",), "time": ("valueTime",),
    "string": ("valueString",), "text": ("valueString",), "url": ("valueUri",),
    "coding": ("valueCoding",), "attachment": ("valueAttachment",),
    "reference": ("valueReference",), "quantity": ("valueQuantity",),
}
REQUIRED_ENFORCED = frozenset({"completed", "amended"})
_COMPARE = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}


@dataclass
class _Context:
    parents: dict[str, str | None]  # linkId -> parent linkId, for every questionnaire item
    answers: dict[str, list[Any]]  # linkId -> every answer value in the response
    enforce_required: bool
    errors: list[str]


def _value_keys(entry: Mapping) -> list[str]:
    return [key for key in entry if key.startswith(("value", "answer")) and key != "answer"]


def _comparable(value: Any) -> Any:
    # Codings match on system and code; display text is presentation only.
    if isinstance(value, Mapping) and "code" in value:
        return (value.get("system"), value.get("code"))
    return value


def _index(defs: Iterable[Mapping], parent: str | None, into: dict) -> dict[str, str | None]:
    for d in defs:
        into[d.get("linkId")] = parent
        _index(d.get("item", []), d.get("linkId"), into)
    return into


def _collect(nodes: Iterable[Mapping], into: dict[str, list[Any]]) -> dict[str, list[Any]]:
    for node in nodes:
        for answer in node.get("answer", []):
            keys = _value_keys(answer)
            if keys:
                into.setdefault(node.get("linkId"), []).append(_comparable(answer[keys[0]]))
            _collect(answer.get("item", []), into)
        _collect(node.get("item", []), into)
    return into


def _condition(cond: Mapping, values: list[Any]) -> bool:
    keys = _value_keys(cond)
    expected = _comparable(cond[keys[0]]) if keys else None
    op = cond.get("operator")
    if op == "exists":
        return bool(values) == bool(expected)
    if op == "=":
        return expected in values
    if op == "!=":  # R5: true when no answer equals it, so also when unanswered
        return expected not in values
    try:
        return any(_COMPARE[op](value, expected) for value in values)
    except (KeyError, TypeError):
        return False


def _enabled(d: Mapping, answers: dict[str, list[Any]]) -> bool:
    conds = d.get("enableWhen") or []
    results = [_condition(c, answers.get(c.get("question"), [])) for c in conds]
    if not results:
        return True
    return any(results) if d.get("enableBehavior") == "any" else all(results)


def _has_content(node: Mapping) -> bool:
    return bool(node.get("answer") or node.get("item"))


def _check_answer(ctx: _Context, d: Mapping, answer: Mapping) -> None:
    link, kind = d["linkId"], d.get("type")
    keys = [key for key in answer if key.startswith("value")]
    if len(keys) != 1:
        ctx.errors.append(f"{link}: each answer needs exactly one value")
        return
    allowed = VALUE_TYPES.get(kind, ())
    constraint = d.get("answerConstraint", "optionsOnly")
    if constraint == "optionsOrString":
        allowed += ("valueString",)
    if keys[0] not in allowed:
        ctx.errors.append(f"{link}: a {kind} question cannot take {keys[0]}")
        return
    options = [_comparable(o[keys[0]]) for o in d.get("answerOption", []) if keys[0] in o]
    free_text = constraint == "optionsOrString" and keys[0] == "valueString"
    if d.get("answerOption") and not free_text and constraint != "optionsOrType" \
            and _comparable(answer[keys[0]]) not in options:
        ctx.errors.append(f"{link}: answer is not one of the answer options")


def _check_question(ctx: _Context, d: Mapping, instances: list[Mapping]) -> None:
    link = d["linkId"]
    answers = [a for node in instances for a in node.get("answer", [])]
    if any(node.get("item") for node in instances):
        ctx.errors.append(f"{link}: items under a question belong inside its answers")
    if d.get("required") and ctx.enforce_required and not answers:
        ctx.errors.append(f"{link}: required but not answered")
    if len(answers) > 1 and not d.get("repeats"):
        ctx.errors.append(f"{link}: has {len(answers)} answers but does not repeat")
    for answer in answers:
        _check_answer(ctx, d, answer)
        _check_level(ctx, d.get("item", []), answer.get("item", []), link)


def _check_group(ctx: _Context, d: Mapping, instances: list[Mapping]) -> None:
    link = d["linkId"]
    if any(node.get("answer") for node in instances):
        ctx.errors.append(f"{link}: a group cannot have answers")
    if not instances and d.get("repeats"):
        if d.get("required") and ctx.enforce_required:
            ctx.errors.append(f"{link}: required but not answered")
        return
    # An absent single group still has its required questions reported, by name.
    for node in instances or [{}]:
        _check_level(ctx, d.get("item", []), node.get("item", []), link)


def _check_item(ctx: _Context, d: Mapping, instances: list[Mapping]) -> None:
    link, kind = d["linkId"], d.get("type")
    if kind == "display":
        if instances:
            ctx.errors.append(f"{link}: a display item cannot be answered")
        return
    if not _enabled(d, ctx.answers):
        if any(_has_content(node) for node in instances):
            ctx.errors.append(f"{link}: answered although its enableWhen condition is false")
        return
    if len(instances) > 1 and not (kind == "group" and d.get("repeats")):
        ctx.errors.append(f"{link}: appears {len(instances)} times but does not repeat")
    (_check_group if kind == "group" else _check_question)(ctx, d, instances)


def _check_level(ctx: _Context, defs: list[Mapping], nodes: list[Mapping],
                 where: str | None) -> None:
    known = {d.get("linkId") for d in defs}
    for node in nodes:
        link = node.get("linkId")
        if link in known:
            continue
        if link in ctx.parents:
            ctx.errors.append(f"{link}: belongs under {ctx.parents[link] or 'the top level'}, "
                              f"not {where or 'the top level'}")
        else:
            ctx.errors.append(f"{link}: no such linkId in the questionnaire")
    for d in defs:
        _check_item(ctx, d, [n for n in nodes if n.get("linkId") == d.get("linkId")])


def conformance_errors(questionnaire_json: Mapping, response_json: Mapping) -> list[str]:
    """Problems with the response as read against the questionnaire; [] when it conforms."""
    errors: list[str] = []
    url, version = questionnaire_json.get("url"), questionnaire_json.get("version")
    if response_json.get("questionnaire") not in {url, f"{url}|{version}"}:
        errors.append(f"questionnaire: response refers to {response_json.get('questionnaire')!r}"
                      f", not {url}|{version}")
    ctx = _Context(
        parents=_index(questionnaire_json.get("item", []), None, {}),
        answers=_collect(response_json.get("item", []), {}),
        enforce_required=response_json.get("status") in REQUIRED_ENFORCED,
        errors=errors,
    )
    _check_level(ctx, questionnaire_json.get("item", []), response_json.get("item", []), None)
    return errors
