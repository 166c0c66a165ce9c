"""The patient's booking flow: type -> one screen (month, day, times, zone) -> review -> confirm. Works without
JavaScript; static/js/booking.js swaps a day's times in place."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import bookings
from app.billing import consultations
from app.billing.checkout import CheckoutUnavailable
from app.billing.client import enabled as billing_enabled
from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import PENDING_PAYMENT, ConsultationType
from app.scheduling import booking, schedule
from app.scheduling.profiles import the_practice
from app.scheduling.queries import appointment_for
from app.scheduling.window import Cutoffs
from app.timezones import valid_zone_name
from app.web import picker
from app.web.access import patient_required
from app.web.forms import BookingDetailsForm, parse_instant
from app.web.intake import invite_to_intake
from app.web.intake_safety import ASK_FIRST, redirect_to_screen, screen_passed
from app.web.limits import booking_limits
from app.web.picker import viewer_zone

bp = Blueprint("booking", __name__, url_prefix="/book")


def zone_is_a_guess() -> bool:
    """True when the zone shown is only the practice's fallback: no valid ?tz= and nobody signed in.

    The page then asks the browser (app.js) to reload it in the browser's own zone, so a patient who
    clicks before the script has added ?tz= to her link still sees her own times."""
    return not valid_zone_name(request.values.get("tz", "")) and not current_user.is_authenticated


bp.add_app_template_global(zone_is_a_guess)
bp.add_app_template_global(picker.page_with)


@bp.app_template_global()
def booking_in(next_url: str | None) -> dict | None:
    """The time a sign-in or sign-up page will return to (its `next` is a booking review), to show it there."""
    parts = urlsplit(next_url or "")
    segments = parts.path.strip("/").split("/")
    if parts.netloc or len(segments) != 3 or segments[0] != "book" or segments[2] != "review":
        return None
    ct = schedule.active_type(segments[1])
    query = parse_qs(parts.query)
    start = parse_instant((query.get("start") or [""])[0])
    if ct is None or start is None:
        return None
    zone = (query.get("tz") or [""])[0]
    return {"ct": ct, "start": start, "zone": zone if valid_zone_name(zone) else ct.practitioner.timezone}


def payments_enabled() -> bool:
    """With Stripe configured a booking is held until paid; without it, it is paid at the appointment."""
    return billing_enabled()


def type_or_404(slug: str) -> ConsultationType:
    ct = schedule.active_type(slug)
    if ct is None:
        abort(404, "We couldn't find that consultation type.")
    return ct


@bp.get("")
def choose_type():
    practice = the_practice()
    types = [ct for ct in (practice.consultation_types if practice else []) if ct.active]
    return render_template("booking/types.html", types=types, practice=practice)


@bp.get("/<slug>")
def month(slug: str):
    """The one screen: the month, the chosen day's times and the zone picker (app/web/picker.py)."""
    ct = type_or_404(slug)
    if not screen_passed():
        return redirect_to_screen()
    named, problem = picker.typed_zone()
    if named:
        return redirect(named)
    if problem:
        return render_template("booking/month.html", ct=ct, zone=None, p=None, zone_problem=problem,
                               clock=picker.clock_choice()), 422
    zone = viewer_zone(ct.practitioner.timezone)
    now = utcnow()
    p = picker.build(zone, now, ct.horizon_days, lambda start, end: schedule.cached_open_slots(ct, start, end, now))
    return render_template("booking/month.html", ct=ct, zone=zone, p=p, clock=picker.clock_choice())


@bp.get("/<slug>/day/<day>")
def day(slug: str, day: str):
    """The old day page's address: the same screen, with that day's times."""
    type_or_404(slug)
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404, "That is not a date we know.")
    args: dict[str, Any] = {key: value for key, value in request.args.items() if key not in ("day", "month")}
    return redirect(url_for("booking.month", slug=slug, day=chosen.isoformat(), **args))


@bp.get("/<slug>/review")
def review(slug: str):
    ct = type_or_404(slug)
    if not screen_passed():
        return redirect_to_screen()
    named, problem = picker.typed_zone()
    if named:
        return redirect(named)
    if problem:
        abort(422, problem.message)
    zone = viewer_zone(ct.practitioner.timezone)
    start = parse_instant(request.args.get("start"))
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    return review_page(ct, start, zone)


def review_page(ct: ConsultationType, start: datetime, zone: str, details: BookingDetailsForm | None = None):
    """The review of the chosen time; a visitor also finds the name-and-email form there (book_by_email)."""
    return render_template("booking/review.html", ct=ct, zone=zone, start=start,
                           end=start + timedelta(minutes=ct.duration_minutes), practice=ct.practitioner,
                           cutoffs=Cutoffs.of(ct, ct.practitioner), take_payment=payments_enabled(),
                           details=details or BookingDetailsForm(formdata=None))


@bp.post("/<slug>/confirm")
@booking_limits
def confirm(slug: str):
    ct = type_or_404(slug)
    if not current_user.is_authenticated:
        # Only the time and zone go back into the link: never the note (health data stays out of URLs).
        review_url = url_for("booking.review", slug=slug, start=request.form.get("start", ""),
                             tz=request.form.get("tz", ""))
        return redirect(url_for("auth.login", next=review_url), 303)
    if not current_user.is_patient:
        abort(403, "Practitioners book for a patient from the practice area.")
    if not screen_passed():  # the red-flag screen comes before any time is held
        flash(ASK_FIRST, "info")
        return redirect_to_screen(url_for("booking.review", slug=slug, start=request.form.get("start", ""),
                                          tz=request.form.get("tz", "")))
    zone = viewer_zone(ct.practitioner.timezone)
    start = parse_instant(request.form.get("start"))
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    note = (request.form.get("note") or "")[:2000]
    return place_and_answer(ct, current_user, start, zone, note)


def place_and_answer(ct: ConsultationType, patient, start, zone: str, note: str = ""):
    """Book `start` for `patient` (the time checked again here, inside the booking lock) and answer: her
    appointment page, Stripe Checkout, or the nearest open times when it was taken meanwhile."""
    try:
        placed = bookings.place(booking.BookingRequest(
            patient=patient, consultation_type=ct, start=start, patient_timezone=zone, note=note,
            take_payment=payments_enabled()), utcnow())
    except booking.BookingError as error:
        return render_template("booking/unavailable.html", ct=ct, zone=zone, message=error.message,
                               nearest=error.nearest, start=start), error.status
    appointment = placed.appointment
    if placed.checkout_unavailable:
        return _stripe_down(appointment)
    if placed.awaiting_payment:
        return redirect(placed.checkout_url or url_for("account.appointment", appointment_id=appointment.id), 303)
    flash("Your consultation is booked.", "success")
    invite_to_intake(appointment)
    return redirect(url_for("account.appointment", appointment_id=appointment.id), 303)


def _stripe_down(appointment):
    return render_template("booking/pay.html", appointment=appointment, zone=appointment.patient_timezone,
                           stripe_down=True), 503


def _to_checkout(appointment):
    try:
        url = consultations.ensure_checkout(appointment, utcnow())
    except CheckoutUnavailable:
        db.session.rollback()
        return _stripe_down(appointment)
    if url is None:
        return redirect(url_for("account.appointment", appointment_id=appointment.id), 303)
    return redirect(url, 303)


def _own_held(appointment_id: int):
    appointment = appointment_for(current_user, appointment_id) if current_user.is_patient else None
    if appointment is None:
        abort(404, "We couldn't find that booking.")
    return appointment


@bp.get("/pay/<int:appointment_id>")
@patient_required
def pay(appointment_id: int):
    """Where Stripe's cancel link returns: pay while the hold lasts, or release the time."""
    appointment = _own_held(appointment_id)
    if not appointment.is_blocking(utcnow()) or appointment.status != PENDING_PAYMENT:
        return redirect(url_for("account.appointment", appointment_id=appointment.id))
    return render_template("booking/pay.html", appointment=appointment, zone=appointment.patient_timezone,
                           stripe_down=False)


@bp.post("/pay/<int:appointment_id>")
@patient_required
def pay_now(appointment_id: int):
    appointment = _own_held(appointment_id)
    if appointment.status != PENDING_PAYMENT or not appointment.is_blocking(utcnow()):
        flash("This hold has ended. Please choose a time again.", "info")
        return redirect(url_for("booking.month", slug=appointment.consultation_type.slug), 303)
    return _to_checkout(appointment)


@bp.post("/pay/<int:appointment_id>/release")
@patient_required
def release(appointment_id: int):
    appointment = _own_held(appointment_id)
    if appointment.status == PENDING_PAYMENT:
        bookings.release_hold(appointment, by=current_user, now=utcnow())
    flash("The time has been released. Nothing was charged.", "info")
    return redirect(url_for("booking.month", slug=appointment.consultation_type.slug), 303)
