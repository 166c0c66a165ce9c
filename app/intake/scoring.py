"""Symptom burden from the intake's symptom section. A summary, never a diagnosis.

Modelled on the Mayo MastSAF per-cluster normalised score (CLINICAL.md), with the
practice's convention: severity 0-4 per symptom; per organ system the sum and the
normalised score sum / (items x 4); a system is *involved* when any of its symptoms is
rated 2 (moderate) or more; the total burden as a sum and a percentage of the maximum.

The only pattern reported is one *consistent with* consensus criterion A (Valent et al.
2012, 2019 update PMC7115850, 2021): the patient says she has episodes in which symptoms of
two or more systems start suddenly *together*, and criterion-A symptoms (``Item.criterion_a``:
urticaria, angioedema, flushing, pruritus; nausea, vomiting, diarrhoea, cramping; hypotension,
syncope or near-syncope, tachycardia; wheeze; conjunctival injection, nasal congestion) are
rated 2 or more in at least two of skin, cardiovascular, respiratory and gastrointestinal.
Chronic single-system symptoms (eczema, reflux, fatigue) never count. A version without the
"together" question (2026.1) cannot show the pattern and says so (``criterion_a_assessed``).
Criteria B (tryptase rise) and C (treatment response) cannot come from a questionnaire, and
the Consensus-2 points threshold is not public, so no published cut-off is ever shown.

Unanswered symptoms count as 0 and are listed, so a low score from a half-filled form is
visible as such.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from app.intake.questionnaire import (
    CRITERION_A_SYSTEMS,
    FREQUENCY_OPTIONS,
    SEVERITY_MAX,
    SUDDEN_TOGETHER,
    SYSTEMS,
    Item,
    Questionnaire,
    iter_items,
    symptom_items,
)

DISCLAIMER = (
    "A summary of the symptoms you reported — not a diagnosis, and not a replacement for "
    "medical advice."
)
CRITERION_A_MESSAGE = (
    "Pattern consistent with consensus criterion A for MCAS (multi-system involvement) — not a "
    "diagnosis; criteria B and C need tryptase and treatment response."
)
CRITERION_A_NOT_ASSESSED = (
    "Criterion A pattern not assessed: this questionnaire version did not ask whether symptoms of "
    "several systems start suddenly together."
)
# The practice's own convention (moderate or worse), not a published threshold.
INVOLVED_FROM = 2
CRITERION_A_MIN_SYSTEMS = 2
_FREQUENCY_RANK = {option.code: rank for rank, option in enumerate(FREQUENCY_OPTIONS)}


@dataclass(frozen=True)
class SymptomScore:
    link_id: str
    text: str
    system: str
    criterion_a: bool
    severity: int  # 0 when unanswered
    frequency: str | None
    answered: bool


@dataclass(frozen=True)
class SystemScore:
    system: str
    label: str
    items: int
    answered: int
    total: int
    maximum: int
    normalised: float  # total / maximum, 0.0-1.0
    involved: bool
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class IntakeScore:
    version: str
    systems: tuple[SystemScore, ...]
    involved_systems: tuple[str, ...]
    criterion_a_systems: tuple[str, ...]  # systems with a criterion-A symptom rated >= 2
    sudden_together: bool | None  # None: not asked (old version) or not answered
    criterion_a_assessed: bool  # the version asks the "sudden, together" question
    criterion_a_pattern: bool
    flags: tuple[str, ...]
    total: int
    maximum: int
    percentage: float  # of the maximum, one decimal place
    top_symptoms: tuple[SymptomScore, ...]
    unanswered: tuple[str, ...]
    disclaimer: str = DISCLAIMER

    def system(self, key: str) -> SystemScore:
        return next(s for s in self.systems if s.system == key)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (tuples become lists)."""
        return asdict(self)


def _symptom_score(it: Item, answer: Any) -> SymptomScore:
    # Tolerate anything stored: a malformed answer reads as unanswered rather than crashing
    # a practitioner's dashboard.
    stored = answer.get("severity") if isinstance(answer, Mapping) else None
    severity = stored if type(stored) is int and 0 <= stored <= SEVERITY_MAX else None
    ok = severity is not None
    return SymptomScore(
        link_id=it.link_id,
        text=it.text,
        system=it.system or "",
        criterion_a=it.criterion_a,
        severity=severity if severity is not None else 0,
        frequency=answer.get("frequency") if ok else None,
        answered=ok,
    )


def _system_score(key: str, symptoms: list[SymptomScore]) -> SystemScore:
    total = sum(s.severity for s in symptoms)
    maximum = len(symptoms) * SEVERITY_MAX
    return SystemScore(
        system=key,
        label=SYSTEMS[key],
        items=len(symptoms),
        answered=sum(s.answered for s in symptoms),
        total=total,
        maximum=maximum,
        normalised=total / maximum,
        involved=any(s.severity >= INVOLVED_FROM for s in symptoms),
        unanswered=tuple(s.link_id for s in symptoms if not s.answered),
    )


def _top(symptoms: list[SymptomScore], limit: int) -> tuple[SymptomScore, ...]:
    rated = [s for s in symptoms if s.severity > 0]
    # sorted() is stable, so ties keep questionnaire order.
    rated.sort(key=lambda s: (-s.severity, -_FREQUENCY_RANK.get(s.frequency or "", 0)))
    return tuple(rated[:limit])


def score(q: Questionnaire, answers: Mapping[str, Any], *, top: int = 5) -> IntakeScore:
    symptoms = [_symptom_score(it, answers.get(it.link_id)) for it in symptom_items(q)]
    systems = tuple(
        _system_score(key, [s for s in symptoms if s.system == key])
        for key in SYSTEMS
        if any(s.system == key for s in symptoms)
    )
    involved = tuple(s.system for s in systems if s.involved)
    assessed = any(it.link_id == SUDDEN_TOGETHER for it in iter_items(q))
    sudden = answers.get(SUDDEN_TOGETHER) if assessed else None
    sudden = sudden if isinstance(sudden, bool) else None
    a_systems = tuple(key for key in CRITERION_A_SYSTEMS if any(
        s.criterion_a and s.system == key and s.severity >= INVOLVED_FROM for s in symptoms))
    pattern = sudden is True and len(a_systems) >= CRITERION_A_MIN_SYSTEMS
    total = sum(s.total for s in systems)
    maximum = sum(s.maximum for s in systems)
    return IntakeScore(
        version=q.version,
        systems=systems,
        involved_systems=involved,
        criterion_a_systems=a_systems,
        sudden_together=sudden,
        criterion_a_assessed=assessed,
        criterion_a_pattern=pattern,
        flags=(CRITERION_A_MESSAGE,) if pattern else (),
        total=total,
        maximum=maximum,
        percentage=round(100 * total / maximum, 1) if maximum else 0.0,
        top_symptoms=_top(symptoms, top),
        unanswered=tuple(s.link_id for s in symptoms if not s.answered),
    )
