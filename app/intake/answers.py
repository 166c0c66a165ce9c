"""Validate the answers a patient posts for one intake step.

Form field names (templates must follow these). ``raw`` is the posted form: Flask's
``request.form`` as it is (a MultiDict: repeated checkboxes are read with ``getlist``),
or a plain dict whose values are strings or lists of strings.

=============  ==========================================  ==============================
kind           field name(s)                               posted value
=============  ==========================================  ==============================
text/longtext  ``<link_id>``                               the text
date           ``<link_id>``                               ``YYYY-MM-DD`` (``<input type=date>``)
decimal        ``<link_id>``                               a number; ``,`` is read as ``.``
boolean        ``<link_id>``                               ``yes`` or ``no`` (radios, so
                                                           "not answered" stays possible)
choice         ``<link_id>``                               the option code
multi          ``<link_id>`` (repeated) and                option codes (checkboxes) and
               ``<link_id>.detail``                        free text
severity       ``<link_id>.severity`` and                  ``0``-``4`` and ``never`` /
               ``<link_id>.frequency``                     ``monthly`` / ``weekly`` / ``daily``
group          ``<link_id>-<n>-<field>``                   row ``n`` (0-49, gaps allowed),
                                                           field = last part of the field's
                                                           link_id, e.g. ``medications-0-dose``
=============  ==========================================  ==============================

Clean answers (JSON-serialisable, keyed by link_id; unanswered and disabled items are
left out): text/longtext/choice -> ``str``; date -> ``"YYYY-MM-DD"``; decimal -> ``float``;
boolean -> ``bool``; multi -> ``{"selected": [codes in option order], "detail": str}``;
severity -> ``{"severity": 0-4, "frequency": code}``; group -> ``[{field: value}, ...]``
(blank rows dropped, rows renumbered).

Errors are keyed by link_id; a group row's field errors are keyed by its form name
(``medications-1-name``) and the group's own link_id carries a summary message.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Iterator, Mapping

from app.intake.questionnaire import (
    FREQUENCY_OPTIONS,
    SEVERITY_OPTIONS,
    Item,
    Questionnaire,
    iter_items,
)

Raw = Mapping[str, "str | list[str]"]
Answers = Mapping[str, Any]

MAX_ROWS = 50
MAX_LENGTH = {"text": 200, "longtext": 5000}
DETAIL_MAX_LENGTH = 1000
EARLIEST_DATE = date(1900, 1, 1)
# 2026.3 asks for a parent or guardian under 18 (naltrexone SmPC 4.2: not recommended under 18).
GUARDIAN_NAME = "guardian_name"
ADULT_AGE = 18
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"\+?[0-9 ().\-]+")
_TRUE, _FALSE = {"yes", "true", "on", "1"}, {"no", "false", "off", "0"}

REQUIRED_MESSAGES = {
    "choice": "Choose an answer",
    "boolean": "Choose yes or no",
    "multi": "Choose at least one",
    "severity": "Choose a severity from 0 to 4",
    "text": "Enter an answer",
    "longtext": "Enter an answer",
    "date": "Enter a date",
    "group": "Add at least one entry",
}


class Invalid(ValueError):
    """A posted value that cannot be accepted; the message is shown to the patient."""


def required_message(it: Item) -> str:
    if it.kind == "decimal":
        return f"Enter the {it.noun}"
    return REQUIRED_MESSAGES[it.kind]


# --- reading posted values -------------------------------------------------------------

def _scalar(raw: Raw, key: str) -> str:
    value = raw.get(key, "")
    if isinstance(value, (list, tuple)):
        value = next((v for v in value if str(v).strip()), "")
    return str(value).replace("\x00", "").strip()


def _many(raw: Raw, key: str) -> list[str]:
    # A werkzeug MultiDict's .get() gives only the first checkbox; getlist() gives all.
    value = raw.getlist(key) if hasattr(raw, "getlist") else raw.get(key, [])
    values = [value] if isinstance(value, str) else list(value)
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise Invalid(f"Keep this under {limit} characters")
    return text


def _text(it: Item, s: str, today: date) -> str:
    _limited(s, it.max_length or MAX_LENGTH[it.kind])
    digits = sum(ch.isdigit() for ch in s)
    if it.text_format == "phone" and (not _PHONE.fullmatch(s) or digits < 7):
        raise Invalid("Enter a phone number using digits, spaces and an optional + at the start")
    return s


def _date(it: Item, s: str, today: date) -> str:
    try:
        if not _ISO_DATE.fullmatch(s):
            raise ValueError
        value = date.fromisoformat(s)
    except ValueError:
        raise Invalid("Enter a real date, as year-month-day") from None
    if value > today:
        raise Invalid("Enter a date in the past")
    if value < EARLIEST_DATE:
        raise Invalid(f"Enter a date after {EARLIEST_DATE.year}")
    return value.isoformat()


def _number_text(value: float | None) -> str:
    return f"{value:g}"


def _decimal(it: Item, s: str, today: date) -> float:
    try:
        value = Decimal(s.replace(",", ".") if "." not in s else s)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise Invalid(f"Enter the {it.noun} as a number")
    if (it.min_value is not None and value < Decimal(str(it.min_value))) or (
        it.max_value is not None and value > Decimal(str(it.max_value))
    ):
        unit = f" {it.unit}" if it.unit else ""
        raise Invalid(f"Enter a {it.noun} between {_number_text(it.min_value)} and "
                      f"{_number_text(it.max_value)}{unit}")
    if it.whole_number and value != value.to_integral_value():
        raise Invalid(f"Enter the {it.noun} as a whole number")
    return float(value)


def _boolean(it: Item, s: str, today: date) -> bool:
    if s.lower() in _TRUE | _FALSE:
        return s.lower() in _TRUE
    raise Invalid("Choose yes or no")


def _choice(it: Item, s: str, today: date) -> str:
    if s not in it.codes:
        raise Invalid("Choose one of the options listed")
    return s


_SCALAR_READERS: dict[str, Callable[[Item, str, date], Any]] = {
    "text": _text, "longtext": _text, "date": _date, "decimal": _decimal,
    "boolean": _boolean, "choice": _choice,
}


def _read_scalar(it: Item, raw: Raw, key: str, today: date) -> Any:
    s = _scalar(raw, key)
    return _SCALAR_READERS[it.kind](it, s, today) if s else None


def _read_multi(it: Item, raw: Raw, key: str, today: date) -> dict | None:
    selected = _many(raw, key)
    detail = _limited(_scalar(raw, f"{key}.detail"), DETAIL_MAX_LENGTH)
    if any(code not in it.codes for code in selected):
        raise Invalid("Choose only from the options listed")
    if not selected and not detail:
        return None
    labels = {option.code: option.label for option in it.options}  # every selected code is one (above)
    needs_detail = [labels[code] for code in selected if code in it.detail_required_for]
    if needs_detail and not detail:
        raise Invalid(f"Tell us more about “{needs_detail[0]}”")
    # Option order, not click order, so stored answers compare equal.
    return {"selected": [c for c in it.codes if c in selected], "detail": detail}


_SEVERITY_CODES = tuple(o.code for o in SEVERITY_OPTIONS)
_FREQUENCY_CODES = tuple(o.code for o in FREQUENCY_OPTIONS)


def _read_severity(it: Item, raw: Raw, key: str, today: date) -> dict | None:
    severity = _scalar(raw, f"{key}.severity")
    frequency = _scalar(raw, f"{key}.frequency")
    if not severity and not frequency:
        return None
    if severity not in _SEVERITY_CODES:
        raise Invalid("Choose a severity from 0 to 4")
    if severity == "0":
        # "How often" is asked only for a symptom rated above none (the form hides it for none, issue 21):
        # one left over from an earlier rating of the same row is ignored, as on the screen she sees.
        return {"severity": 0, "frequency": "never"}
    if frequency not in _FREQUENCY_CODES:
        raise Invalid("Choose how often this happens")
    # A rating and "never" contradict each other; ask rather than guess which one is meant.
    if frequency == "never":
        raise Invalid("You chose never: choose how often it happens, or set the severity to none")
    return {"severity": int(severity), "frequency": frequency}


def _row_numbers(raw: Raw, link_id: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(link_id)}-(\d{{1,3}})-\w+")
    found = {int(m.group(1)) for key in raw if (m := pattern.fullmatch(key))}
    return sorted(found)


def _read_group(it: Item, raw: Raw, today: date, errors: dict[str, str]) -> list | None:
    numbers = _row_numbers(raw, it.link_id)
    if len(numbers) > MAX_ROWS or any(n >= MAX_ROWS for n in numbers):
        errors[it.link_id] = f"Add at most {MAX_ROWS} entries"
        return None
    rows = []
    for n in numbers:
        keys = {f.field: f"{it.link_id}-{n}-{f.field}" for f in it.fields}
        if not any(_scalar(raw, key) for key in keys.values()):
            continue  # an empty row left in the form is not an answer
        row, before = {}, len(errors)
        for field in it.fields:
            value = _read_into(field, raw, keys[field.field], today, errors)
            if value is not None:
                row[field.field] = value
            elif field.required and keys[field.field] not in errors:
                errors[keys[field.field]] = required_message(field)
        if len(errors) == before:
            rows.append(row)
    if any(key.startswith(f"{it.link_id}-") for key in errors):
        errors[it.link_id] = "Check the entries marked below"
    return rows or None


def _read_into(it: Item, raw: Raw, key: str, today: date, errors: dict[str, str]) -> Any:
    """Read one item's value; on a bad value record the message under ``key``."""
    if it.kind == "group":
        return _read_group(it, raw, today, errors)
    reader = {"multi": _read_multi, "severity": _read_severity}.get(it.kind, _read_scalar)
    try:
        return reader(it, raw, key, today)
    except Invalid as problem:
        errors[key] = str(problem)
        return None


# --- enable_when -----------------------------------------------------------------------

def _atoms(value: Any) -> list[Any]:
    """The comparable values of an answer (FHIR compares each answer of a question)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, dict) and "selected" in value:
        return list(value["selected"]) or ([True] if value.get("detail") else [])
    if isinstance(value, dict) and "severity" in value:
        return [value["severity"]]
    return value if isinstance(value, list) else [value]


def answered(value: Any) -> bool:
    return bool(_atoms(value))


def is_enabled(it: Item, answers: Answers) -> bool:
    cond = it.enable_when
    if cond is None:
        return True
    atoms = _atoms(answers.get(cond.link_id))
    if cond.operator == "exists":
        return bool(atoms) == bool(cond.answer)
    hit = any(atom == cond.answer and type(atom) is type(cond.answer) for atom in atoms)
    return hit if cond.operator == "=" else not hit


def walk_enabled(items: Iterable[Item], answers: Answers) -> Iterator[tuple[Item, bool]]:
    """Each item with whether it is shown; an answer to a hidden item does not count,
    so conditions that chain through a hidden item see it as unanswered."""
    visible: dict[str, Any] = {}
    for it in items:
        enabled = is_enabled(it, visible)
        if enabled and it.link_id in answers:
            visible[it.link_id] = answers[it.link_id]
        yield it, enabled


def enabled_answers(q: Questionnaire, answers: Answers) -> dict[str, Any]:
    """Answers without those to hidden items or to link_ids the questionnaire lacks."""
    return {it.link_id: answers[it.link_id] for it, on in walk_enabled(iter_items(q), answers)
            if on and answered(answers.get(it.link_id))}


# --- public API ------------------------------------------------------------------------

def validate_step(q: Questionnaire, step_key: str, raw: Raw, *, today: date,
                  saved: Answers | None = None) -> tuple[dict, dict[str, str]]:
    """Clean answers and error messages for one step's posted form.

    ``saved`` holds answers from other steps, for conditions that look across steps.
    """
    step = q.step(step_key)
    parsed: dict[str, Any] = {}
    found: dict[str, str] = {}
    for it in step.items:
        value = _read_into(it, raw, it.link_id, today, found)
        if value is not None:
            parsed[it.link_id] = value
    own = {it.link_id for it in step.items}
    context = {k: v for k, v in (saved or {}).items() if k not in own} | parsed
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for it, enabled in walk_enabled(iter_items(q), context):
        if not enabled or it.link_id not in own:
            continue  # a hidden item's answers and errors are both dropped
        if it.link_id in parsed:
            clean[it.link_id] = parsed[it.link_id]
        mine = {k: v for k, v in found.items() if k == it.link_id or k.startswith(f"{it.link_id}-")}
        if it.required and it.link_id not in parsed and it.link_id not in mine:
            mine[it.link_id] = required_message(it)
        errors.update(mine)
    if GUARDIAN_NAME in own and GUARDIAN_NAME not in clean and GUARDIAN_NAME not in errors:
        age = age_on(context.get("date_of_birth"), today)
        if age is not None and age < ADULT_AGE:
            errors[GUARDIAN_NAME] = (f"You are under {ADULT_AGE}: give the name of a parent or guardian. Some "
                                     "medicines, including low-dose naltrexone, are not recommended under 18.")
    return clean, errors


def age_on(date_of_birth: Any, today: date) -> int | None:
    """Whole years on ``today`` from a ``YYYY-MM-DD`` date of birth; None without one."""
    try:
        born = date.fromisoformat(str(date_of_birth))
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_items(items: Iterable[Item], raw: Raw, *, today: date) -> tuple[dict, dict[str, str]]:
    """Clean answers and errors for items outside any step (the check-in's medicine changes).
    The items must not depend on others (no enable_when)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for it in items:
        value = _read_into(it, raw, it.link_id, today, errors)
        if value is not None:
            clean[it.link_id] = value
        elif it.required and it.link_id not in errors:
            errors[it.link_id] = required_message(it)
    return clean, errors


def carried_over(q: Questionnaire, answers: Answers) -> dict[str, Any]:
    """Earlier answers (perhaps to another version) that still fit ``q``: the same link_id and
    kind, and only option codes and group fields ``q`` knows. Anything else is asked afresh."""
    kept: dict[str, Any] = {}
    for it in iter_items(q):
        value = answers.get(it.link_id)
        if value is not None and _fits(it, value):
            kept[it.link_id] = value
    return kept


def _fits(it: Item, value: Any) -> bool:
    if it.kind == "multi":
        return isinstance(value, dict) and all(c in it.codes for c in value.get("selected", []))
    if it.kind == "choice":
        return value in it.codes
    if it.kind == "group":
        fields = {f.field: f for f in it.fields}
        return isinstance(value, list) and all(
            isinstance(row, dict) and all(k in fields and _fits(fields[k], v) for k, v in row.items())
            for row in value)
    if it.kind == "severity":
        return isinstance(value, dict) and "severity" in value
    expected = {"boolean": bool, "decimal": float}.get(it.kind, str)
    return isinstance(value, expected)


def missing_required(q: Questionnaire, answers: Answers) -> list[str]:
    """link_ids of shown, required items without an answer, in questionnaire order."""
    return [it.link_id for it, enabled in walk_enabled(iter_items(q), answers)
            if enabled and it.required and not answered(answers.get(it.link_id))]


def is_complete(q: Questionnaire, answers: Answers) -> bool:
    return not missing_required(q, answers)
