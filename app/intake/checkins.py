"""Symptom check-ins (the symptom section alone, at any time) and the trend drawn from them.

A check-in is asked for before each follow-up: an upcoming appointment whose type does not ask for the
full intake. A check-in sent while such an appointment is waiting is linked to the nearest one. It also
records medicine changes since the last one (``medication_changes``), shown on the trend as markers.

Recall windows: a check-in asks about the last two weeks, and so does the intake from questionnaire
2026.2. An intake answered on 2026.1 asked how bad symptoms "usually" get: it is not on the same line,
but listed apart (``TrendView.usual``), and the pages say why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.intake.answers import answered, validate_step
from app.intake.medication_changes import change_lines, read_changes
from app.intake.questionnaire import RECALL_TWO_WEEKS, SYMPTOM_STEP, get_questionnaire, symptom_items
from app.intake.scoring import IntakeScore, score
from app.intake.service import StepInvalid, patient_today
from app.models.accounts import User
from app.models.audit import record
from app.models.intake import IntakeResponse, SymptomCheckIn
from app.models.scheduling import BLOCKING, Appointment

TREND_POINTS = 24  # the chart and its table show the most recent check-ins
NOTHING_RATED = "Rate at least one symptom (choose None for those you do not have)"


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    source: str  # "Intake" or "Check-in"
    score: IntakeScore
    recall: str = RECALL_TWO_WEEKS  # "usual" for an intake answered on 2026.1
    changes: tuple[str, ...] = ()  # medicine changes reported with a check-in


def record_check_in(patient: User, raw, *, now: datetime) -> SymptomCheckIn:
    """Validate and store a check-in. Raises StepInvalid (nothing written)."""
    q = get_questionnaire()
    today = patient_today(patient, now)
    clean, errors = validate_step(q, SYMPTOM_STEP, raw, today=today)
    if not errors and not any(answered(clean.get(it.link_id)) for it in symptom_items(q)):
        errors = {SYMPTOM_STEP: NOTHING_RATED}
    changes, change_errors = read_changes(raw, today=today)
    errors |= change_errors
    if errors:
        raise StepInvalid(errors)
    waiting = follow_ups_awaiting_check_in(patient, now)
    check_in = SymptomCheckIn(patient_id=patient.id, appointment_id=waiting[0].id if waiting else None,
                              questionnaire_version=q.version, answers=clean, medication_changes=changes,
                              created_at=now)
    db.session.add(check_in)
    db.session.flush()
    record("create", "symptom_check_in", check_in.id, actor=patient, patient_id=patient.id)
    return check_in


def check_ins(patient_id: int) -> list[SymptomCheckIn]:
    return list(db.session.scalars(select(SymptomCheckIn).where(SymptomCheckIn.patient_id == patient_id)
                                   .order_by(SymptomCheckIn.created_at)).all())


def follow_ups_awaiting_check_in(patient: User, now: datetime) -> list[Appointment]:
    """Upcoming follow-ups (types without the full intake) that have no check-in yet, soonest first."""
    rows = db.session.scalars(
        select(Appointment).options(joinedload(Appointment.consultation_type))
        .where(Appointment.patient_id == patient.id, Appointment.status.in_(BLOCKING), Appointment.starts_at > now)
        .order_by(Appointment.starts_at)).all()
    follow_ups = [a for a in rows if a.is_blocking(now) and not a.consultation_type.intake_required]
    if not follow_ups:
        return []
    answered_for = set(db.session.scalars(select(SymptomCheckIn.appointment_id).where(
        SymptomCheckIn.appointment_id.in_([a.id for a in follow_ups]))).all())
    return [a for a in follow_ups if a.id not in answered_for]


def trend(patient_id: int) -> list[TrendPoint]:
    """Intake symptom sections (the latest version per appointment) and check-ins, oldest first."""
    points = [TrendPoint(c.created_at, "Check-in", score(get_questionnaire(c.questionnaire_version), c.answers),
                         changes=change_lines(c.medication_changes))
              for c in check_ins(patient_id)]
    latest: dict[int | None, IntakeResponse] = {}
    for response in db.session.scalars(select(IntakeResponse).where(IntakeResponse.patient_id == patient_id)
                                       .order_by(IntakeResponse.version)).all():
        latest[response.appointment_id if response.appointment_id is not None else -response.id] = response
    for response in latest.values():
        q = get_questionnaire(response.questionnaire_version)
        if any(answered(response.answers.get(it.link_id)) for it in symptom_items(q)):
            points.append(TrendPoint(response.completed_at or response.updated_at, "Intake",
                                     score(q, response.answers), recall=q.symptom_recall))
    points.sort(key=lambda p: p.at)
    return points[-TREND_POINTS:]


@dataclass(frozen=True)
class TrendView:
    """The trend as the pages show it: one chart per series and the same figures as table rows."""

    dates: tuple[str, ...]
    sources: tuple[str, ...]
    series: tuple  # chart.Series
    charts: tuple  # Markup, one per series
    changes: tuple[tuple[str, ...], ...] = ()  # per point: medicine changes (a marker on the charts)
    usual: tuple = ()  # (date, chart.Series values) of 2026.1 intakes ("usually"): listed, not plotted
    usual_series: tuple = ()

    def __bool__(self) -> bool:
        return bool(self.dates or self.usual)


def trend_view(patient_id: int, zone: str, *, prefix: str = "trend") -> TrendView:
    from app.intake.chart import chart_svg, trend_series

    every = trend(patient_id)
    points = [p for p in every if p.recall == RECALL_TWO_WEEKS]
    usual = [p for p in every if p.recall != RECALL_TWO_WEEKS]
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    dates = tuple(f"{p.at.astimezone(tz):%-d %b %Y}" for p in points)
    series = tuple(trend_series([p.score for p in points]))
    markers = tuple(bool(p.changes) for p in points)
    charts = tuple(chart_svg(s, dates, f"{prefix}-{s.key}", markers) for s in series) if points else ()
    usual_series = tuple(trend_series([p.score for p in usual]))
    usual_dates = tuple(f"{p.at.astimezone(tz):%-d %b %Y}" for p in usual)
    return TrendView(dates, tuple(p.source for p in points), series, charts,
                     changes=tuple(p.changes for p in points), usual=usual_dates, usual_series=usual_series)
