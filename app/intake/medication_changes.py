"""Medicine changes a patient reports with a symptom check-in, so the trend can show response to
treatment: which medicine, started / stopped / dose changed, and a free-text note.

Pure: the definition (an intake ``group`` item, so the form and validation are the intake's own) and
plain-text lines for the trend. Stored on ``SymptomCheckIn.medication_changes`` as
``[{"medicine": str, "change": code, "detail": str?}, ...]``.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

from app.intake.answers import Raw, validate_items
from app.intake.questionnaire import Item, Option

CHANGES = (Option("started", "Started"), Option("stopped", "Stopped"), Option("dose_changed", "Dose changed"))
_LABELS = {o.code: o.label for o in CHANGES}

MEDICATION_CHANGES = Item(
    "medication_changes", "group", "Medicine or supplement changes since your last check-in", fields=(
        Item("medication_changes.medicine", "text", "Which medicine or supplement", required=True),
        Item("medication_changes.change", "choice", "What changed", required=True, options=CHANGES),
        Item("medication_changes.detail", "text", "Details (new dose, why)"),
    ), help="Leave this empty if nothing changed. Only change a medicine with your doctor.")


def read_changes(raw: Raw, *, today: date) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The posted rows, cleaned, and errors keyed like the intake's group fields."""
    clean, errors = validate_items((MEDICATION_CHANGES,), raw, today=today)
    return list(clean.get(MEDICATION_CHANGES.link_id, [])), errors


def change_lines(changes: Sequence[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """'Started: Ketotifen (1 mg at night)' per change; tolerant of anything stored."""
    lines = []
    for row in changes or ():
        if not isinstance(row, Mapping) or not row.get("medicine"):
            continue
        detail = f" ({row['detail']})" if row.get("detail") else ""
        lines.append(f"{_LABELS.get(row.get('change', ''), 'Changed')}: {row['medicine']}{detail}")
    return tuple(lines)
