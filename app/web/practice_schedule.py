"""The practitioner's calendar: /practice/schedule?view=week|day&date=YYYY-MM-DD.

A time grid in her zone (app/scheduling/calendar_grid.py lays it out): appointments with their status,
payment, intake state and safety flags; held times; her own calendars' busy times; time off; her open
hours shaded; the current time on today. Server-rendered and usable without JavaScript; on a phone the
week shows one day at a time with previous/next links. A constant number of queries whatever the number
of appointments, and the flags it shows are an audited read of the intakes they come from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.calendars.service import busy_between
from app.clock import utcnow
from app.database import lock_for_writing
from app.extensions import db
from app.intake.badges import IntakeBadge, intake_badges
from app.models.audit import record_many
from app.models.scheduling import CANCELLED, EXPIRED, PENDING_PAYMENT, Appointment, PractitionerProfile
from app.scheduling import calendar_grid, schedule
from app.scheduling.profiles import profile_for
from app.scheduling.queries import agenda as agenda_between
from app.web.access import practitioner_required

bp = Blueprint("schedule", __name__, url_prefix="/practice")

VIEWS = ("week", "day")
# Far enough for any practice's planning, near enough that date arithmetic never overflows.
FIRST_DATE, LAST_DATE = date(1970, 1, 8), date(2200, 12, 24)


@dataclass(frozen=True)
class Calendar:
    """What the grid partial renders."""
    view: str
    day: date  # the chosen date
    today: date
    grid: calendar_grid.Grid
    badges: dict[int, IntakeBadge]
    appointments: list[Appointment]  # on the grid, in order (for the lists beside it)

    def record_reads(self) -> None:
        """Audit the intakes whose state and flags the page showed, once it is rendered: on SQLite the
        page read without the write lock, which it takes only now and only when there is something to
        record, so an agenda without intakes is served beside a writer. Commits."""
        detail = {"page": "schedule", "fields": ["status", "flags"]}
        reads = [(self.badges[a.id].response_id, a.patient_id, detail) for a in self.appointments
                 if self.badges[a.id].response_id is not None]
        if reads:
            lock_for_writing()
            record_many("view", "intake", reads, actor=current_user)
            db.session.commit()

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=7 if self.view == "week" else 1)

    @property
    def next(self) -> date:
        return self.day + timedelta(days=7 if self.view == "week" else 1)

    @property
    def day_before(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def day_after(self) -> date:
        return self.day + timedelta(days=1)


def calendar_for(profile: PractitionerProfile, view: str, day: date, now: datetime) -> Calendar:
    """The grid of ``day``'s week (or ``day`` alone), with what is on it, in seven queries. Once the page
    is rendered, ``record_reads`` audits the intakes its badges read."""
    zone = profile.timezone
    days = calendar_grid.week_of(day) if view == "week" else [day]
    start, end = calendar_grid.day_bounds(days[0], zone)[0], calendar_grid.day_bounds(days[-1], zone)[1]
    # An appointment is at most a day long, so one that began the day before can still be on the grid.
    appointments = [a for a in agenda_between(current_user, start - timedelta(days=1), end)
                    if a.ends_at > start and _on_calendar(a, now)]
    badges = intake_badges(appointments)
    entries = [_appointment_entry(a) for a in appointments]
    entries += [calendar_grid.Entry(b.starts_at, b.ends_at, "busy", b.label) for b in busy_between(profile, start, end)]
    entries += [calendar_grid.Entry(t.starts_at, t.ends_at, "time_off", f"Time off: {t.reason}".rstrip(": "))
                for t in schedule.time_off_between(profile, start, end)]
    hours = schedule.open_hours(profile, days[0], days[-1])
    grid = calendar_grid.build(days, zone, entries, [(s.start, s.end) for s in hours], now)
    return Calendar(view=view, day=day, today=now.astimezone(ZoneInfo(zone)).date(), grid=grid, badges=badges,
                    appointments=appointments)


def _on_calendar(appointment: Appointment, now: datetime) -> bool:
    """Cancelled visits and lapsed holds no longer take her time: they stay on the appointment pages."""
    if appointment.status in (CANCELLED, EXPIRED):
        return False
    return appointment.status != PENDING_PAYMENT or appointment.is_blocking(now)


def _appointment_entry(appointment: Appointment) -> calendar_grid.Entry:
    who = appointment.patient.full_name if appointment.patient else "Erased patient"
    kind = "hold" if appointment.status == PENDING_PAYMENT else "appointment"
    return calendar_grid.Entry(appointment.starts_at, appointment.ends_at, kind,
                               f"{who} · {appointment.consultation_type.name}", appointment)


def _chosen_date(zone: str, now: datetime) -> date:
    raw = request.args.get("date", "")
    if not raw:
        return now.astimezone(ZoneInfo(zone)).date()
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        abort(422, "Give the date as YYYY-MM-DD, for example 2026-12-07.")
    if not FIRST_DATE <= chosen <= LAST_DATE:
        abort(422, f"Choose a date between {FIRST_DATE.year} and {LAST_DATE.year}.")
    return chosen


@bp.get("/schedule")
@practitioner_required
def index():
    profile = profile_for(current_user)
    now = utcnow()
    view = request.args.get("view", "week")
    if view not in VIEWS:
        abort(422, "The view is either week or day.")
    calendar = calendar_for(profile, view, _chosen_date(profile.timezone, now), now)
    page = render_template("practice/schedule.html", cal=calendar, zone=profile.timezone, now=now)
    calendar.record_reads()
    return page
