"""Answers as people read them: the full answers by step, and the practitioner's summary.

Pure: plain values in, plain values out. Answers to hidden items are left out, as in the FHIR export.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from app.intake.answers import enabled_answers
from app.intake.practitioner_flags import Flag, SafetyCheck, practitioner_flags, safety_checks
from app.intake.questionnaire import (
    FREQUENCY_OPTIONS,
    SEVERITY_OPTIONS,
    Item,
    Questionnaire,
)
from app.intake.questionnaire import (
    item as find_item,
)
from app.intake.scoring import IntakeScore, score

_TRYPTASE_ITEMS = ("tryptase_baseline", "tryptase_baseline_date", "tryptase_acute", "tryptase_acute_date",
                   "tryptase_acute_hours")
# Looked up with a stored answer's value, which is None when that part was not answered.
_SEVERITY: dict[int | None, str] = {int(o.code): o.label for o in SEVERITY_OPTIONS}
_FREQUENCY: dict[str | None, str] = {o.code: o.label for o in FREQUENCY_OPTIONS}


@dataclass(frozen=True)
class Row:
    link_id: str
    question: str
    answer: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Choices:
    labels: tuple[str, ...]
    detail: str

    def __bool__(self) -> bool:
        return bool(self.labels or self.detail)


@dataclass(frozen=True)
class Summary:
    """What the practitioner reads first (CLINICAL.md: a summary, never a diagnosis)."""

    score: IntakeScore
    flags: tuple[Flag, ...]  # shown first: opioid, beta-blocker/ACE, pregnancy, no auto-injector, ...
    past_anaphylaxis: bool | None
    carries_epinephrine: bool | None
    diagnoses: Choices
    triggers: Choices
    medications: tuple[str, ...]
    ldn: str | None  # "1.5 mg at bedtime", "No", or None when unanswered
    antihistamines: tuple[tuple[str, str], ...]  # (label, answer) for H1, H2, stabilisers, helped
    supplements: str
    tryptase: tuple[str, ...]
    sensitivities: Choices
    anaphylaxis: tuple[tuple[str, str], ...] = ()  # (question, answer): count, last date, cause
    allergies: tuple[str, ...] = ()
    family_history: Choices = Choices((), "")
    prompted: tuple[tuple[str, str], ...] = ()  # medicine and supplement prompts (2026.2)
    other_tests: tuple[str, ...] = ()
    cga_caveat: bool = False  # a chromogranin A result is listed: PPIs raise CgA
    checks: tuple[SafetyCheck, ...] = ()  # every safety item: yes / not sure / no / not asked / not answered


def number(value: float) -> str:
    return f"{value:g}"


def severity_text(value: Mapping) -> str:
    label = _SEVERITY.get(value.get("severity"), "?")
    if value.get("severity") == 0:
        return f"{label} (0)"
    return f"{label} ({value.get('severity')}), {_FREQUENCY.get(value.get('frequency'), '').lower()}"


def _option_label(it: Item, code: str) -> str:
    option = it.option(code)
    return option.label if option else code


def _scalar_text(it: Item, value: Any) -> str:
    if it.kind == "boolean":
        return "Yes" if value else "No"
    if it.kind == "choice":
        return _option_label(it, value)
    if it.kind == "decimal":
        return f"{number(value)} {it.unit}" if it.unit else number(value)
    return str(value)


def answer_text(it: Item, value: Any) -> str:
    """One answer as a line (or lines) of text."""
    if it.kind == "severity":
        return severity_text(value)
    if it.kind == "multi":
        labels = [_option_label(it, code) for code in value.get("selected", [])]
        detail = value.get("detail") or ""
        return "; ".join(labels + ([f"“{detail}”"] if detail else []))
    if it.kind == "group":
        return "\n".join(_row_text(it, row) for row in value)
    return _scalar_text(it, value)


def _row_text(group: Item, row: Mapping) -> str:
    return ", ".join(_scalar_text(field, row[field.field]) for field in group.fields if field.field in row)


def sections(q: Questionnaire, answers: Mapping[str, Any]) -> list[Section]:
    shown = enabled_answers(q, answers)
    return [Section(step.key, step.title, tuple(Row(it.link_id, it.text, answer_text(it, shown[it.link_id]))
                                                for it in step.items if it.link_id in shown))
            for step in q.steps]


def _choices(q: Questionnaire, shown: Mapping, link_id: str) -> Choices:
    value = shown.get(link_id) or {}
    it = find_item(q, link_id)
    return Choices(tuple(_option_label(it, c) for c in value.get("selected", [])), value.get("detail") or "")


def _ldn(q: Questionnaire, shown: Mapping) -> str | None:
    if "ldn_takes" not in shown:
        return None
    if not shown["ldn_takes"]:
        return "No"
    parts = [f"{number(shown['ldn_dose'])} mg" if "ldn_dose" in shown else "dose not given"]
    for key in ("ldn_timing", "ldn_formulation", "ldn_concentration", "ldn_start_date", "ldn_response",
                "ldn_side_effects"):
        if key in shown:
            it = find_item(q, key)
            text = answer_text(it, shown[key])
            parts.append({"ldn_start_date": f"since {text}", "ldn_response": f"response: {text.lower()}",
                          "ldn_side_effects": f"side effects: {text.lower()}"}.get(key, text.lower()
                                                                                   if it.kind == "choice" else text))
    return ", ".join(parts)


def _answered(q: Questionnaire, shown: Mapping, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((find_item(q, k).text, answer_text(find_item(q, k), shown[k])) for k in keys if k in shown)


def _rows(q: Questionnaire, shown: Mapping, link_id: str) -> tuple[str, ...]:
    if link_id not in shown:
        return ()
    group = find_item(q, link_id)
    return tuple(_row_text(group, row) for row in shown[link_id])


def summary(q: Questionnaire, answers: Mapping[str, Any], today: date | None = None) -> Summary:
    """``today`` gives her age (the under-18 flag and check)."""
    shown = enabled_answers(q, answers)
    meds = find_item(q, "medications")
    antihistamines = tuple((find_item(q, key).text, answer_text(find_item(q, key), shown[key]))
                           for key in ("antihistamines_h1", "antihistamines_h2", "mast_cell_stabilisers",
                                       "antihistamines_helped") if key in shown)
    return Summary(
        score=score(q, answers),
        flags=practitioner_flags(shown, today),
        checks=safety_checks(q, shown, today),
        past_anaphylaxis=shown.get("past_anaphylaxis"),
        carries_epinephrine=shown.get("carries_epinephrine"),
        diagnoses=_choices(q, shown, "diagnoses"),
        triggers=_choices(q, shown, "symptom_triggers"),
        medications=tuple(_row_text(meds, row) for row in shown.get("medications", [])),
        ldn=_ldn(q, shown),
        antihistamines=antihistamines,
        supplements=shown.get("supplements", ""),
        tryptase=tuple(f"Tryptase {row}" for row in _rows(q, shown, "tryptase_results"))
        + tuple(f"{question}: {answer}" for question, answer in _answered(q, shown, _TRYPTASE_ITEMS)),
        sensitivities=_choices(q, shown, "visit_sensitivities"),
        anaphylaxis=_answered(q, shown, ("anaphylaxis_count", "anaphylaxis_last_date", "anaphylaxis_cause_found",
                                         "anaphylaxis_cause")),
        allergies=_rows(q, shown, "allergies"),
        family_history=_choices(q, shown, "family_history") if "family_history" in shown else Choices((), ""),
        prompted=_answered(q, shown, ("mcas_medicines", "supplements_taken")),
        other_tests=_rows(q, shown, "other_tests"),
        cga_caveat=any(row.get("test") == "chromogranin_a" for row in shown.get("other_tests", [])),
    )


def sensitivities(q: Questionnaire, answers: Mapping[str, Any]) -> Choices:
    return _choices(q, enabled_answers(q, answers), "visit_sensitivities")
