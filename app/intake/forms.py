"""Between stored answers and the step forms: field names and values (the convention is in answers.py).

Templates always read a posted-form-like mapping ``name -> [values]``: built from saved answers for a
new page, or the refused post itself when a step is shown again with its errors, so nothing typed is lost.
"""
from __future__ import annotations

from typing import Any, Mapping

from app.intake.answers import MAX_ROWS
from app.intake.questionnaire import Item, Questionnaire, Step
from app.intake.questionnaire import item as find_item
from app.intake.summary import number

BLANK_ROWS = 2  # empty rows offered under a repeating group (works without JavaScript)


def _scalar(it: Item, value: Any) -> str:
    if it.kind == "boolean":
        return "yes" if value else "no"
    if it.kind == "decimal":
        return number(value)
    return str(value)


def form_values(step: Step, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for it in step.items:
        value = answers.get(it.link_id)
        if value is None:
            continue
        if it.kind == "severity":
            values[f"{it.link_id}.severity"] = [str(value["severity"])]
            values[f"{it.link_id}.frequency"] = [value["frequency"]]
        elif it.kind == "multi":
            values[it.link_id] = list(value.get("selected", []))
            values[f"{it.link_id}.detail"] = [value.get("detail", "")]
        elif it.kind == "group":
            for n, row in enumerate(value):
                for field in it.fields:
                    if field.field in row:
                        values[f"{it.link_id}-{n}-{field.field}"] = [_scalar(field, row[field.field])]
        else:
            values[it.link_id] = [_scalar(it, value)]
    return values


def posted_values(form) -> dict[str, list[str]]:
    return {key: form.getlist(key) for key in form.keys() if key != "csrf_token"}


def row_numbers(it: Item, values: Mapping[str, list[str]]) -> list[int]:
    """Rows to show for a group: those with values, then a couple of empty ones."""
    # Only the rows the questionnaire allows: a post with thousands of row numbers is refused (422,
    # "at most MAX_ROWS entries") and re-rendered with at most MAX_ROWS rows, not one row per key.
    used = sorted({int(key.split("-")[1]) for key in values
                   if key.startswith(f"{it.link_id}-") and key.count("-") == 2 and key.split("-")[1].isdigit()
                   and len(key.split("-")[1]) <= 3 and int(key.split("-")[1]) < MAX_ROWS})
    start = used[-1] + 1 if used else 0
    return used + list(range(start, min(start + BLANK_ROWS, MAX_ROWS)))


def condition_hint(q: Questionnaire, it: Item) -> str | None:
    """Plain words for an item's enable_when (the form shows every item; hidden ones are ignored)."""
    cond = it.enable_when
    if cond is None:
        return None
    target = find_item(q, cond.link_id)
    if isinstance(cond.answer, bool):
        answer = "yes" if cond.answer else "no"
    else:
        option = target.option(cond.answer)
        answer = option.label if option else cond.answer
    if cond.operator == "=":
        return f"Only if you answered “{answer}” to “{target.text}”."
    if cond.operator == "!=":
        return f"Skip this if you answered “{answer}” to “{target.text}”."
    return f"Only if you answered “{target.text}”."


def field_id(name: str) -> str:
    """An HTML id for a field name (dots would need escaping in CSS selectors and fragment links)."""
    return "f-" + name.replace(".", "--")


def error_anchor(name: str, step: Step) -> str:
    """Where an error summary link points: the first input of the item."""
    for it in step.items:
        if it.link_id == name:
            if it.kind == "severity":
                return field_id(f"{name}.severity") + "-0"  # the first radio of the row
            if it.kind in ("choice", "boolean", "multi"):
                return field_id(f"{name}-0")
    return field_id(name)


def error_labels(step: Step, errors: Mapping[str, str]) -> dict[str, str]:
    """What each error in the summary is about, in the patient's words."""
    labels: dict[str, str] = {}
    for name in errors:
        for it in step.items:
            if name == it.link_id:
                labels[name] = it.text
            elif it.kind == "group" and name.startswith(f"{it.link_id}-"):
                _, n, field = name.split("-", 2)
                column = next((f.text for f in it.fields if f.field == field), field)
                labels[name] = f"{it.text}, entry {int(n) + 1}: {column}"
        labels.setdefault(name, step.title)
    return labels
