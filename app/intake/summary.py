"""Answers as people read them: the full answers by step, and the practitioner's summary.

Pure: plain values in, plain values out. Answers to hidden items are left out, as in the FHIR export.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from app.intake.answers import enabled_answers
from app.intake.questionnaire import (
    FREQUENCY_OPTIONS,
    SEVERITY_OPTIONS,
    Item,
    Questionnaire,
    item as find_item,
)
from app.intake.scoring import IntakeScore, score

_SEVERITY = {int(o.code): o.label for o in SEVERITY_OPTIONS}
_FREQUENCY = {o.code: o.label for o in FREQUENCY_OPTIONS}


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
    if "ldn_timing" in shown:
        parts.append(_option_label(find_item(q, "ldn_timing"), shown["ldn_timing"]).lower())
    return ", ".join(parts)


def summary(q: Questionnaire, answers: Mapping[str, Any]) -> Summary:
    shown = enabled_answers(q, answers)
    meds = find_item(q, "medications")
    tryptase = find_item(q, "tryptase_results")
    antihistamines = tuple((find_item(q, key).text, answer_text(find_item(q, key), shown[key]))
                           for key in ("antihistamines_h1", "antihistamines_h2", "mast_cell_stabilisers",
                                       "antihistamines_helped") if key in shown)
    return Summary(
        score=score(q, answers),
        past_anaphylaxis=shown.get("past_anaphylaxis"),
        carries_epinephrine=shown.get("carries_epinephrine"),
        diagnoses=_choices(q, shown, "diagnoses"),
        triggers=_choices(q, shown, "symptom_triggers"),
        medications=tuple(_row_text(meds, row) for row in shown.get("medications", [])),
        ldn=_ldn(q, shown),
        antihistamines=antihistamines,
        supplements=shown.get("supplements", ""),
        tryptase=tuple(_row_text(tryptase, row) for row in shown.get("tryptase_results", [])),
        sensitivities=_choices(q, shown, "visit_sensitivities"),
    )


def sensitivities(q: Questionnaire, answers: Mapping[str, Any]) -> Choices:
    return _choices(q, enabled_answers(q, answers), "visit_sensitivities")
