"""The patient's home (/account), appointments, profile and password."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import bookings
from app.accounts import service
from app.billing.queries import patient_payments
from app.clock import utcnow
from app.extensions import db
from app.models.audit import record
from app.models.billing import appointment_payments
from app.models.scheduling import AppointmentPaymentStatus, AppointmentStatus
from app.notify.appointments import who_is_told
from app.scheduling import booking, schedule, waitlist, window
from app.scheduling.queries import appointment_for, patient_appointments
from app.timezones import zone_names
from app.web import picker
from app.web.access import patient_required
from app.web.courses import courses_of
from app.web.forms import ChangePasswordForm, ProfileForm, SetPasswordForm, parse_instant
from app.web.intake import health_overview, intake_panel
from app.web.picker import viewer_zone
from app.web.sessions import current_session_token
from app.web.timefmt import format_money

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def home():
    if current_user.is_practitioner:
        return redirect(url_for("practice.agenda"))
    now = utcnow()
    upcoming, past = patient_appointments(current_user, now)
    return render_template("account/home.html", upcoming=upcoming, past=past, now=now,
                           payments=patient_payments(current_user), waitlist=waitlist.entries_of(current_user),
                           health=health_overview(current_user, upcoming, now),
                           my_courses=courses_of(current_user, now))


def _own_appointment(appointment_id: int):
    appointment = appointment_for(current_user, appointment_id)
    if appointment is None:
        abort(404, "We couldn't find that appointment.")
    return appointment


def _policy(appointment, now: datetime) -> dict:
    profile = appointment.practitioner
    cutoffs = window.Cutoffs.of(appointment.consultation_type, profile)
    active = appointment.is_blocking(now) and appointment.starts_at > now
    kept = appointment.cancel_closed_at
    # A hold not paid for yet can always be let go; a booked visit only until the type's cut-off (or
    # the one it kept when she moved it inside that cut-off).
    cancel_open = (appointment.status != AppointmentStatus.CONFIRMED
                   or window.may_cancel(cutoffs, appointment.starts_at, now, kept))
    reschedule_open = window.may_reschedule(cutoffs, appointment.starts_at, now)
    moves_left = max(0, profile.max_reschedules - appointment.reschedule_count)
    return {
        "active": active,
        "can_cancel": active and cancel_open,
        "cancel_closed": active and not cancel_open,
        # Closed only because it was moved inside the cut-off: the type's own deadline is still ahead.
        "cancel_kept": active and not cancel_open and kept is not None
        and window.may_cancel(cutoffs, appointment.starts_at, now),
        "can_reschedule": active and reschedule_open and moves_left > 0,
        "reschedule_closed": active and not reschedule_open,
        "moves_used_up": active and reschedule_open and moves_left == 0,
        "moves_left": moves_left,
        "cancel_deadline": window.cancel_deadline(cutoffs, appointment.starts_at, kept),
        "reschedule_deadline": cutoffs.reschedule_deadline(appointment.starts_at),
        "cutoffs": cutoffs,
        # Whether cancelling now refunds in full (the page states the amount or the late share itself).
        "full_refund": window.refund_share(window.RefundPolicy.of(profile), starts_at=appointment.starts_at, now=now,
                                           by_practitioner=False, kept=appointment.refund_notice_closed_at).full,
        "profile": profile,
        "contact_email": profile.contact_email or profile.user.email,
        "contact_phone": profile.contact_phone,
    }


@bp.get("/appointments/<int:appointment_id>")
@patient_required
def appointment(appointment_id: int):
    appointment = _own_appointment(appointment_id)
    now = utcnow()
    return render_template("account/appointment.html", appointment=appointment, policy=_policy(appointment, now),
                           zone=current_user.timezone, payments=appointment_payments(appointment),
                           panel=intake_panel(appointment, now))


def _confirmed() -> bool:
    """The confirmation page's own submit (a hidden confirm=1) acts; any other submission only asks."""
    return request.form.get("confirm") == "1"


@bp.post("/appointments/<int:appointment_id>/cancel")
@patient_required
def cancel(appointment_id: int):
    """First submission: the confirmation page (what will be refunded, who is told); nothing changes.
    The confirmation's own submit cancels, unless the refund changed meanwhile (then it asks again)."""
    appointment = _own_appointment(appointment_id)
    now = utcnow()
    reason = request.form.get("reason", "")[:500]
    preview = bookings.cancel_preview(appointment, by=current_user, now=now, reason=reason)
    shown = request.form.get("refund_minor", type=int)
    if not _confirmed() or shown != preview.refund_minor:
        changed = _confirmed()  # the refund shown is no longer the refund due (the notice passed meanwhile)
        return render_template("account/confirm_cancel.html", appointment=appointment, preview=preview,
                               reason=reason, zone=current_user.timezone, changed=changed), 409 if changed else 200
    refunded = bookings.cancel(appointment, by=current_user, now=now, reason=reason)
    flash("Your appointment has been cancelled." + (
        f" A refund of {format_money(refunded, appointment.currency)} is on its way." if refunded else ""), "success")
    return redirect(url_for("account.appointment", appointment_id=appointment_id), 303)


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@patient_required
def reschedule(appointment_id: int):
    """Choosing a time shows a confirmation (the new time in her zone and the practice's, who is told,
    what happens to cancelling); only the confirmation's own submit moves the appointment."""
    appointment = _own_appointment(appointment_id)
    now = utcnow()
    zone = viewer_zone(current_user.timezone)  # ?tz= (the zone picker) or hers
    ct = appointment.consultation_type
    if request.method == "POST":
        start = parse_instant(request.form.get("start"))
        if start is None:
            abort(422, "Choose one of the open times.")
        try:
            if not _confirmed():
                booking.check_reschedule(appointment, start, by=current_user, now=now)
                return render_template("account/confirm_reschedule.html", appointment=appointment, start=start,
                                       zone=zone, **_move_preview(appointment, start, now))
            bookings.reschedule(appointment, start, by=current_user, now=now)
        except booking.BookingError as error:
            db.session.rollback()
            return render_template("booking/unavailable.html", ct=ct, zone=zone, message=error.message,
                                   nearest=[], start=start), error.status
        flash("Your appointment has been moved.", "success")
        return redirect(url_for("account.appointment", appointment_id=appointment_id), 303)
    named, problem = picker.typed_zone()
    if named:
        return redirect(named)
    if problem:
        return render_template("account/reschedule.html", appointment=appointment, p=None, zone=None, ct=ct,
                               zone_problem=problem, clock=picker.clock_choice(),
                               policy=_policy(appointment, now)), 422
    p = picker.build(zone, now, ct.horizon_days,
                     lambda start, end: schedule.open_slots(ct, start, end, now, ignore_appointment_id=appointment.id))
    return render_template("account/reschedule.html", appointment=appointment, p=p, zone=zone, ct=ct,
                           clock=picker.clock_choice(), policy=_policy(appointment, now))


def _move_preview(appointment, start: datetime, now: datetime) -> dict:
    """What moving to `start` would do to cancelling, moves left and who is told."""
    profile = appointment.practitioner
    cutoffs = window.Cutoffs.of(appointment.consultation_type, profile)
    kept = window.kept_after_move(cutoffs, appointment.starts_at, now, appointment.cancel_closed_at)
    refund_kept = window.refund_notice_kept_after_move(appointment.starts_at, profile.cancellation_notice_hours,
                                                       now, appointment.refund_notice_closed_at)
    patient_email, practice_email = who_is_told(appointment, by=current_user)
    paid = appointment.payment_status in (AppointmentPaymentStatus.PAID, AppointmentPaymentStatus.PARTIALLY_REFUNDED)
    return {"practice_zone": profile.timezone, "kept": kept, "refund_kept": refund_kept,
            "paid": paid, "profile": profile,
            "new_cancel_deadline": window.cancel_deadline(cutoffs, start, kept) if cutoffs.cancel_hours else None,
            "moves_left_after": max(0, profile.max_reschedules - appointment.reschedule_count - 1),
            "emails_patient": patient_email, "emails_practice": practice_email,
            "contact_email": profile.contact_email or profile.user.email}


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.full_name = form.full_name.data.strip()
        current_user.timezone = form.timezone.data
        current_user.email_opt_out = form.email_opt_out.data
        record("update", "profile", current_user.id, actor=current_user,
               patient_id=current_user.id if current_user.is_patient else None)
        db.session.commit()
        flash("Your profile has been saved.", "success")
        return redirect(url_for("account.profile"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/profile.html", form=form, zones=zone_names()), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    if not current_user.has_password:
        return _set_first_password()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data,
                                    keep_session=current_session_token())
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
            return render_template("account/password.html", form=form), 422
        record("password_change", "account", current_user.id, actor=current_user)
        db.session.commit()
        flash("Your password has been changed. Other devices have been signed out.", "success")
        return redirect(url_for("account.home"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status


def _set_first_password():
    """A patient who booked with an emailed code has no password: she chooses one, no current one asked."""
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(current_user, form.password.data, keep_session=current_session_token())
        except service.AccountError as error:
            form.password.errors.append(error.message)
            return render_template("account/password.html", form=form, first=True), 422
        record("password_set", "account", current_user.id, actor=current_user)
        db.session.commit()
        flash("Your password is set. You can log in with it, or still with an emailed code when you book.",
              "success")
        return redirect(url_for("account.home"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password.html", form=form, first=True), status
