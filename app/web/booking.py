"""The patient's booking flow: type -> month -> day -> review -> confirm. Works without JavaScript;
static/js/booking.js only makes it faster through the JSON API."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import ConsultationType
from app.scheduling import booking, schedule
from app.scheduling.profiles import the_practice
from app.web.forms import valid_zone_name

bp = Blueprint("booking", __name__, url_prefix="/book")


def viewer_zone(practice_zone: str) -> str:
    """The zone times are shown in: ?tz= when valid, else the signed-in person's, else the practice's."""
    requested = request.values.get("tz", "")
    if valid_zone_name(requested):
        return requested
    if current_user.is_authenticated:
        return current_user.timezone
    return practice_zone


def payments_enabled() -> bool:
    """Until the payments module takes over, every booking is confirmed as pay-at-appointment."""
    return False


def _type_or_404(slug: str) -> ConsultationType:
    ct = schedule.active_type(slug)
    if ct is None:
        abort(404, "We couldn't find that consultation type.")
    return ct


@bp.get("")
def choose_type():
    practice = the_practice()
    types = [ct for ct in (practice.consultation_types if practice else []) if ct.active]
    return render_template("booking/types.html", types=types, practice=practice)


def _parse_month(value: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@bp.get("/<slug>")
def month(slug: str):
    ct = _type_or_404(slug)
    zone = viewer_zone(ct.practitioner.timezone)
    now = utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    first = max(_parse_month(request.args.get("month"), today), today.replace(day=1))
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start, end = schedule.local_window(first, last, zone)
    slots = schedule.open_slots(ct, start, end, now)
    open_days = {s.astimezone(ZoneInfo(zone)).date() for s in slots}
    horizon_end = (now + timedelta(days=ct.horizon_days)).astimezone(ZoneInfo(zone)).date()
    next_month = (last + timedelta(days=1))
    return render_template(
        "booking/month.html", ct=ct, zone=zone, month=first, weeks=calendar.Calendar().monthdatescalendar(first.year, first.month),
        open_days=open_days, today=today,
        prev_month=(first - timedelta(days=1)).replace(day=1) if first > today.replace(day=1) else None,
        next_month=next_month if next_month <= horizon_end else None,
    )


@bp.get("/<slug>/day/<day>")
def day(slug: str, day: str):
    ct = _type_or_404(slug)
    zone = viewer_zone(ct.practitioner.timezone)
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404, "That is not a date we know.")
    start, end = schedule.local_window(chosen, chosen, zone)
    slots = schedule.open_slots(ct, start, end, utcnow())
    return render_template("booking/day.html", ct=ct, zone=zone, day=chosen, slots=slots)


def _parse_start(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@bp.get("/<slug>/review")
def review(slug: str):
    ct = _type_or_404(slug)
    zone = viewer_zone(ct.practitioner.timezone)
    start = _parse_start(request.args.get("start"))
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    return render_template("booking/review.html", ct=ct, zone=zone, start=start,
                           end=start + timedelta(minutes=ct.duration_minutes), practice=ct.practitioner,
                           take_payment=payments_enabled())


@bp.post("/<slug>/confirm")
def confirm(slug: str):
    ct = _type_or_404(slug)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("booking.review", slug=slug, **request.form)), 303)
    if not current_user.is_patient:
        abort(403, "Practitioners book for a patient from the practice area.")
    zone = viewer_zone(ct.practitioner.timezone)
    start = _parse_start(request.form.get("start"))
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    note = (request.form.get("note") or "")[:2000]
    try:
        appointment = booking.book(booking.BookingRequest(
            patient=current_user, consultation_type=ct, start=start, patient_timezone=zone, note=note,
            take_payment=payments_enabled()), utcnow())
    except booking.BookingError as error:
        db.session.rollback()
        return render_template("booking/unavailable.html", ct=ct, zone=zone, message=error.message,
                               nearest=error.nearest, start=start), error.status
    db.session.commit()
    flash("Your consultation is booked.", "success")
    return redirect(url_for("account.appointment", appointment_id=appointment.id), 303)
