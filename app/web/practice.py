"""The practitioner's area (/practice): agenda, appointment pages, and (in practice_settings.py) the
editors for hours, overrides, time off, consultation types and booking policy."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import bookings, tasks
from app.billing import consultations, refunds
from app.billing.client import enabled as billing_enabled
from app.clock import utcnow
from app.database import writes
from app.extensions import db
from app.models.accounts import ROLE_PATIENT, User
from app.models.audit import record
from app.models.billing import appointment_payments
from app.models.notify import OutboxMessage
from app.money import decimals, format_amount, parse_amount
from app.notify.appointments import booking_confirmed, who_is_told
from app.notify.mail import retry_failed
from app.scheduling import booking, schedule, setup
from app.scheduling.calendar_grid import day_bounds
from app.scheduling.profiles import profile_for
from app.scheduling.queries import appointment_for
from app.web import MAX_ID
from app.web import practice_visit as visit
from app.web.access import practitioner_required
from app.web.forms import parse_instant
from app.web.practice_schedule import calendar_for

bp = Blueprint("practice", __name__, url_prefix="/practice")


@bp.get("")
@practitioner_required
def agenda():
    """Today's visits as a short list, and this week's calendar (the same grid as /practice/schedule)."""
    profile = profile_for(current_user)
    now = utcnow()
    today = now.astimezone(ZoneInfo(profile.timezone)).date()
    cal = calendar_for(profile, "week", today, now)
    today_start, today_end = day_bounds(today, profile.timezone)
    page = render_template("practice/agenda.html", profile=profile, zone=profile.timezone, today=today, now=now,
                           setup=setup.checklist(profile, payments_on=billing_enabled()),
                           cal=cal, today_list=[a for a in cal.appointments if today_start <= a.starts_at < today_end])
    cal.record_reads()
    return page


def _appointment_or_404(appointment_id: int):
    appointment = appointment_for(current_user, appointment_id)
    if appointment is None:
        abort(404, "We couldn't find that appointment.")
    return appointment


@bp.get("/appointments/<int:appointment_id>")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def appointment(appointment_id: int):
    """Where she prepares and runs the visit: safety flags first, the clinical picture, her note, then the
    actions. Every read of health data on it is audited (app/web/practice_visit.py)."""
    appointment = _appointment_or_404(appointment_id)
    if appointment.retained_patient_id is not None:  # her account is deleted: read only, audited, there
        return redirect(url_for("retained.show", record_id=appointment.retained_patient_id), 303)
    profile = profile_for(current_user)
    now = utcnow()
    record("view", "appointment", appointment.id, actor=current_user, patient_id=appointment.patient_id)
    prep = visit.prepare(appointment, profile, now)
    page = render_template("practice/appointment.html", appointment=appointment, zone=profile.timezone, now=now,
                           prep=prep, payments=appointment_payments(appointment), methods=consultations.METHODS)
    db.session.commit()  # the audit rows, once the page is made (a commit would expire what it shows)
    return page


def _amount_minor(field: str, currency: str) -> int:
    """A positive amount from a form ("150", "1,500.00") in `currency`'s minor units; 422 on anything else."""
    amount = parse_amount(request.form.get(field) or "", currency)
    if amount == 0:
        abort(422, f"Enter an amount above zero, like {format_amount(150 * 10 ** decimals(currency), currency)}.")
    return amount


@bp.post("/appointments/<int:appointment_id>/payments")
@practitioner_required
def record_payment(appointment_id: int):
    appointment = _appointment_or_404(appointment_id)
    consultations.record_manual_payment(appointment, amount_minor=_amount_minor("amount", appointment.currency),
                                        method=request.form.get("method", ""), by=current_user, now=utcnow())
    db.session.commit()
    flash("Payment recorded.", "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id), 303)


def _confirmed() -> bool:
    """The confirmation page's own submit (a hidden confirm=1) acts; any other submission only asks."""
    return request.form.get("confirm") == "1"


@bp.post("/appointments/<int:appointment_id>/refund")
@practitioner_required
def refund(appointment_id: int):
    """First submission: the confirmation page (amount, currency, who is emailed); nothing changes."""
    appointment = _appointment_or_404(appointment_id)
    payment = refunds.paid_payment_for(appointment)
    if payment is None:
        abort(409, "There is no payment to refund.")
    amount = _amount_minor("amount", payment.currency)
    reason = request.form.get("reason", "")[:200]
    if not _confirmed():
        refunds.check_refund(payment, amount)
        return render_template("practice/confirm_refund.html", appointment=appointment, payment=payment,
                               amount=amount, reason=reason, zone=profile_for(current_user).timezone,
                               emails_patient=who_is_told(appointment, by=current_user)[0])
    bookings.refund(appointment, payment, amount, by=current_user, reason=reason)
    flash("Refund issued.", "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id), 303)


@bp.post("/appointments/<int:appointment_id>/cancel")
@practitioner_required
def cancel(appointment_id: int):
    """First submission: the confirmation page (the full refund, who is emailed); nothing changes."""
    appointment = _appointment_or_404(appointment_id)
    now = utcnow()
    reason = request.form.get("reason", "")[:500]
    preview = bookings.cancel_preview(appointment, by=current_user, now=now, reason=reason)
    if not _confirmed():
        return render_template("practice/confirm_cancel.html", appointment=appointment, preview=preview,
                               reason=reason, zone=profile_for(current_user).timezone)
    bookings.cancel(appointment, by=current_user, now=now, reason=reason)
    flash("The appointment has been cancelled and the patient told.", "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id), 303)


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@practitioner_required
def reschedule(appointment_id: int):
    """She moves an appointment herself: no cut-off, no limit on moves, no minimum notice. Choosing a
    time shows a confirmation (the new time in her zone and the patient's, who is emailed); only its
    own submit moves the appointment."""
    appointment = _appointment_or_404(appointment_id)
    profile = profile_for(current_user)
    now = utcnow()
    if request.method == "POST":
        start = parse_instant(request.form.get("start"))
        if start is None:
            abort(422, "Choose one of the open times.")
        if not _confirmed():
            booking.check_reschedule(appointment, start, by=current_user, now=now)
            return render_template("practice/confirm_reschedule.html", appointment=appointment, start=start,
                                   zone=profile.timezone, emails_patient=who_is_told(appointment, by=current_user)[0])
        bookings.reschedule(appointment, start, by=current_user, now=now)
        flash("The appointment has been moved and the patient told.", "success")
        return redirect(url_for("practice.appointment", appointment_id=appointment_id), 303)
    week = request.args.get("week", "0")
    offset = min(int(week), 8) if week.isdigit() else 0
    first = (now + timedelta(days=7 * offset)).astimezone(ZoneInfo(profile.timezone)).date()
    start, end = schedule.local_window(first, first + timedelta(days=13), profile.timezone)
    slots = schedule.open_slots(appointment.consultation_type, start, end, now,
                                ignore_appointment_id=appointment.id, any_notice=True)
    return render_template("practice/reschedule.html", appointment=appointment, slots=slots,
                           zone=profile.timezone, offset=offset, now=now)


@bp.post("/appointments/<int:appointment_id>/outcome")
@practitioner_required
def outcome(appointment_id: int):
    appointment = _appointment_or_404(appointment_id)
    booking.set_outcome(appointment, request.form.get("outcome", ""), by=current_user, now=utcnow())
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id), 303)


@bp.route("/book", methods=["GET", "POST"])
@practitioner_required
def book_for_patient():
    """Book on behalf of a patient: choose the patient, the type and an open time."""
    profile = profile_for(current_user)
    types = [ct for ct in profile.consultation_types if ct.active]
    patients = db.session.scalars(select(User).where(User.role == ROLE_PATIENT).order_by(User.full_name)).all()
    now = utcnow()
    ct = next((t for t in types if t.slug == request.values.get("type")), types[0] if types else None)
    if request.method == "POST":
        patient_id = request.form.get("patient_id", type=int) or 0
        patient = db.session.get(User, patient_id) if 0 < patient_id <= MAX_ID else None
        start = parse_instant(request.form.get("start"))
        if patient is None or not patient.is_patient or ct is None or start is None:
            abort(422, "Choose a patient, a consultation type and one of the open times.")
        appointment = booking.book(booking.BookingRequest(
            patient=patient, consultation_type=ct, start=start, patient_timezone=patient.timezone,
            take_payment=False, booked_by=current_user), now)
        booking_confirmed(appointment)
        db.session.commit()
        flash("Booked.", "success")
        return redirect(url_for("practice.appointment", appointment_id=appointment.id), 303)
    slots = []
    if ct is not None:
        first = now.astimezone(ZoneInfo(profile.timezone)).date()
        start, end = schedule.local_window(first, first + timedelta(days=13), profile.timezone)
        slots = schedule.open_slots(ct, start, end, now)
    return render_template("practice/book.html", types=types, ct=ct, patients=patients, slots=slots,
                           zone=profile.timezone)


@bp.get("/mail")
@practitioner_required
def mail():
    """Undelivered email: messages the mail server refused for good (a 5xx), which the worker no longer
    retries, and messages still being retried after a transient failure."""
    failed = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.failed_at.is_not(None), OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.failed_at.desc()).limit(200)).all()
    retrying = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.failed_at.is_(None), OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0,
        OutboxMessage.last_error.is_not(None)).order_by(OutboxMessage.next_attempt_at).limit(200)).all()
    return render_template("practice/mail.html", failed=failed, retrying=retrying,
                           zone=current_user.timezone)


@bp.post("/mail/retry")
@practitioner_required
def mail_retry():
    message_id = request.form.get("message_id", "")[:32]
    message = db.session.get(OutboxMessage, message_id) if message_id else None
    if message is None:
        abort(404, "We couldn't find that email.")
    if not retry_failed(message.id):
        abort(409, "That email is not waiting to be sent again.")
    record("email_retried", "outbox_message", message.id, actor=current_user, detail={"kind": message.kind})
    db.session.commit()  # the worker sends it (the commit hook queues it; send-outbox would too)
    tasks.enqueue_after_commit(outbox_ids=[message.id])
    flash(f"The email to {message.to} will be sent again.", "success")
    return redirect(url_for("practice.mail"), 303)
