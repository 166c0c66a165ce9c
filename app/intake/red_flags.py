"""The red-flag (anaphylaxis) screen asked on the booking path, before a time is held.

Pure data and pure checks: no Flask, no storage. The answers are never kept anywhere — the web layer
keeps only "passed at <instant>" in the session, and a "yes" shows emergency advice instead of booking.
Wording follows the WAO 2020 anaphylaxis criteria and the NHS's anaphylaxis advice (CLINICAL.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

# A passed screen lets the patient book for this long; after that she is asked again.
VALID_FOR = timedelta(hours=2)
FIELD_PREFIX = "red_flag_"


@dataclass(frozen=True)
class Question:
    key: str
    text: str

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.key


QUESTIONS: tuple[Question, ...] = (
    Question("throat", "Throat tightness, or swelling of your tongue, lips or throat"),
    Question("breathing", "Difficulty breathing, wheeze or noisy breathing"),
    Question("voice", "A hoarse voice or trouble swallowing"),
    Question("faint", "Fainting, collapse, or feeling about to faint"),
    Question("hives", "Widespread hives or flushing together with breathing trouble or dizziness"),
    Question("gut", "Severe cramping or repeated vomiting after a trigger"),
    Question("doom", "A sense of impending doom"),
    Question("chest_pain", "Chest pain"),
)

PROMPT = "Right now, or in the last hour, have you had any of these?"
EMERGENCY_TITLE = "This may be anaphylaxis: get emergency help now"
EMERGENCY_STEPS = (
    "Call emergency services now (999 in the UK, 911 in the US and Canada, 112 in the EU). "
    "Say you think it is anaphylaxis.",
    "Use an adrenaline (epinephrine) auto-injector now if one has been prescribed for you.",
    "Lie down with your legs raised. If breathing is hard, sit up instead. Do not stand or walk.",
)
NOT_BOOKED = ("We have not booked anything. Booking a consultation can wait until you are safe; "
              "this website is not watched in real time.")
SOURCES = (
    ("World Allergy Organization anaphylaxis guidance 2020 (clinical criteria for anaphylaxis)",
     "https://doi.org/10.1016/j.waojou.2020.100472"),
    ("NHS: Anaphylaxis", "https://www.nhs.uk/conditions/anaphylaxis/"),
)
ANSWER_EACH = "Answer yes or no"


@dataclass(frozen=True)
class Outcome:
    """``emergency`` when any answer is yes (unanswered ones then do not matter);
    ``passed`` when every answer is no; otherwise ``errors`` name the unanswered questions."""

    emergency: bool = False
    passed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def assess(form: Mapping[str, Any]) -> Outcome:
    """Read the posted form (``red_flag_<key>`` = ``yes`` / ``no``) without keeping any of it."""
    values = {q.field: str(form.get(q.field) or "").strip().lower() for q in QUESTIONS}
    if any(value == "yes" for value in values.values()):
        return Outcome(emergency=True)
    errors = {name: ANSWER_EACH for name, value in values.items() if value != "no"}
    return Outcome(passed=not errors, errors=errors)


def assess_api(screen: Any) -> Outcome | None:
    """The JSON form: ``{"all_no": true}``, or ``{key: bool}`` for every question. None when unusable."""
    if not isinstance(screen, Mapping):
        return None
    if screen.get("all_no") is True:
        return Outcome(passed=True)
    answers = {q.key: screen.get(q.key) for q in QUESTIONS}
    if any(value is True for value in answers.values()) or screen.get("all_no") is False:
        return Outcome(emergency=True)
    if all(value is False for value in answers.values()):
        return Outcome(passed=True)
    return None


def passed_recently(passed_at: Any, now: datetime) -> bool:
    """Whether a screen passed at ``passed_at`` (seconds since the epoch) still counts at ``now``."""
    if isinstance(passed_at, bool) or not isinstance(passed_at, (int, float)):
        return False
    age = now.timestamp() - passed_at
    return 0 <= age <= VALID_FOR.total_seconds()
