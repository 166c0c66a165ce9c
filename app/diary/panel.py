"""The practitioner's "between visits" panel: flares (with the 20% + 2 rule), the top correlations,
medication adherence and alerts, and the symptom trend with medication changes. The patient page shows
the last 30 days; the appointment page the time since the patient's last visit (at most a year).

One call (`practice_panel`) gathers it in a fixed number of queries, whatever the diary's size, and
records the read in the audit log in the caller's transaction (the view commits it once the page is made).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from app.clinical.tryptase import BaselineFlag, baseline_flags
from app.diary import entries, flares, medication
from app.diary.correlation import Cell, Correlation
from app.diary.flares import FlareRise
from app.diary.reminders import current_alerts
from app.diary.trend import Trend, daily, svg
from app.models.accounts import User
from app.models.audit import record
from app.models.diary import Flare, MedicationPlan

DAYS = 30
TOP = 5


@dataclass(frozen=True)
class PracticePanel:
    flares: list[Flare]
    rises: list[FlareRise]
    baseline: object | None
    correlation: Correlation
    top: list[Cell]
    plans: list[MedicationPlan]
    adherence: dict[int, medication.Adherence]
    alerts: list[medication.Alert]
    trend: Trend
    chart: Markup
    entries: int
    baseline_flags: tuple[BaselineFlag, ...] = ()  # a high latest baseline tryptase (app.clinical.tryptase)
    since: datetime | None = None  # where the window starts
    last_visit: datetime | None = None  # the visit it starts from (None: the last DAYS days)

    @property
    def empty(self) -> bool:
        return not (self.flares or self.entries or self.plans)


def practice_panel(practitioner: User, patient: User, zone: str, now: datetime,
                   last_visit: datetime | None = None) -> PracticePanel:
    """The last DAYS days, or the time since ``last_visit`` when one is given (at most a year: the diary's
    correlation period)."""
    since = now - timedelta(days=DAYS)
    if last_visit is not None:
        since = max(min(last_visit, now), now - entries.CORRELATION_PERIOD)
    tz = entries.zone_named(zone)
    year = entries.entries_since(patient.id, now - entries.CORRELATION_PERIOD)
    recent = [e for e in year if e.occurred_at >= since]
    correlation = entries.correlation_of(year, now, entries.zone_of(patient))
    recent_flares = flares.flares_since(patient.id, since)
    baseline = flares.latest_baseline(patient.id)
    plans = medication.plans_for(patient.id)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=DAYS - 1) if last_visit is None else min(since.astimezone(tz).date(), today)
    rated = [(e.occurred_at, e.ratings) for e in recent if e.ratings]
    trend = daily(rated, tz, first, today, medication.changes(plans))
    # Doses are logged on her calendar days (MedicationLog.taken_on), which can run ahead of or behind the
    # practitioner's: adherence counts the same number of days, ending on her today.
    her_today = now.astimezone(entries.zone_of(patient)).date()
    her_first = her_today - (today - first)
    record("view", "diary", None, actor=practitioner, patient_id=patient.id,
           detail={"page": "patient", "entries": len(recent), "flares": len(recent_flares), "plans": len(plans)})
    return PracticePanel(recent_flares, flares.rises(recent_flares, baseline), baseline, correlation,
                         correlation.patterns[:TOP], plans,
                         {p.id: medication.adherence(p, her_first, her_today) for p in plans},
                         current_alerts(patient, now),
                         trend, svg(trend, "diary-trend"), len(recent),
                         baseline_flags(baseline.value_ng_ml) if baseline else (), since, last_visit)
