"""Waitlist pages: join from the booking pages, see and leave it from /account, take or decline a held
time, and the signed one-click link in every waitlist email (no sign-in needed to leave)."""
from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.billing.client import enabled as payments_enabled
from app.clock import utcnow
from app.extensions import db
from app.models.waitlist import WaitlistEntry, WaitlistStatus
from app.notify import waitlist as notices
from app.notify.appointments import booking_confirmed
from app.scheduling import schedule, waitlist
from app.web.access import patient_required
from app.web.forms import plausible_date
from app.web.intake_safety import redirect_to_screen, screen_passed
from app.web.limits import mail_limits

bp = Blueprint("waitlist", __name__)


def _day(raw: str | None, what: str) -> date:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        abort(422, f"Enter the {what} as a date, like 2027-01-15.")
    if not plausible_date(value):
        abort(422, f"Enter a {what} in the coming months.")
    return value


def _clock(raw: str | None, what: str) -> time | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return time.fromisoformat(raw).replace(second=0, microsecond=0)
    except ValueError:
        abort(422, f"Enter the {what} as a time of day, like 09:30, or leave it empty.")


@bp.route("/book/<slug>/waitlist", methods=["GET", "POST"])
@mail_limits()
@patient_required
def join(slug: str):
    ct = schedule.active_type(slug)
    if ct is None:
        abort(404, "We couldn't find that consultation.")
    zone = current_user.timezone
    if request.method == "GET":
        # The date fields start at her today (the dates are hers, and join() checks them in her zone).
        today = utcnow().astimezone(ZoneInfo(zone)).date()
        return render_template("waitlist/join.html", ct=ct, zone=zone, today=today,
                               entry=waitlist.waiting_entry(current_user, ct))
    wish = waitlist.Wish(first_day=_day(request.form.get("first_day"), "first date"),
                         last_day=_day(request.form.get("last_day"), "last date"), zone=zone,
                         earliest=_clock(request.form.get("earliest"), "earliest time"),
                         latest=_clock(request.form.get("latest"), "latest time"))
    entry = waitlist.join(current_user, ct, wish, now=utcnow())
    notices.joined(entry)
    db.session.commit()
    flash("You are on the waitlist. When a time that suits you opens, we will hold it for you and email you.",
          "success")
    return redirect(url_for("waitlist.mine"), 303)


@bp.get("/account/waitlist")
@patient_required
def mine():
    entries = waitlist.entries_of(current_user)
    return render_template("waitlist/mine.html", entries=entries, zone=current_user.timezone, now=utcnow(),
                           offers={e.id: waitlist.open_offer(e) for e in entries})


def _own_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.patient_id != current_user.id:
        abort(404, "We couldn't find that waitlist place.")
    return entry


@bp.post("/account/waitlist/<int:entry_id>/leave")
@patient_required
def leave(entry_id: int):
    waitlist.leave(_own_entry(entry_id), now=utcnow(), actor=current_user)
    db.session.commit()
    flash("You have left the waitlist.", "success")
    return redirect(url_for("waitlist.mine"), 303)


@bp.route("/waitlist/leave/<token>", methods=["GET", "POST"])
def leave_by_link(token: str):
    """The email's link. GET shows one button (a mail scanner that follows links must not take a
    patient off the list); pressing it leaves at once."""
    entry = notices.entry_from_token(token)
    if entry is None:
        abort(404, "This link is not valid. Sign in and leave the waitlist from your account.")
    left = False
    if request.method == "POST":
        left = waitlist.leave(entry, now=utcnow())
        db.session.commit()
    left = left or entry.status != WaitlistStatus.WAITING
    return render_template("waitlist/leave.html", entry=entry, token=token, left=left)


def _own_offer(offer_id: int):
    offer = waitlist.offer_for(current_user, offer_id)
    if offer is None:
        abort(404, "We couldn't find that offer.")
    return offer


@bp.get("/account/waitlist/offers/<int:offer_id>")
@patient_required
def offer(offer_id: int):
    offer = _own_offer(offer_id)
    return render_template("waitlist/offer.html", offer=offer, appointment=offer.appointment,
                           ct=offer.entry.consultation_type, zone=current_user.timezone, now=utcnow(),
                           take_payment=payments_enabled())


@bp.post("/account/waitlist/offers/<int:offer_id>/accept")
@patient_required
def accept(offer_id: int):
    offer = _own_offer(offer_id)
    if not screen_passed():  # the same red-flag screen as any booking, before the time is hers
        return redirect_to_screen(url_for("waitlist.offer", offer_id=offer_id))
    take_payment = payments_enabled()
    appointment = waitlist.accept(offer, now=utcnow(), take_payment=take_payment)
    if not take_payment:
        booking_confirmed(appointment)
    db.session.commit()
    if take_payment:
        return redirect(url_for("booking.pay", appointment_id=appointment.id), 303)
    flash("Booked. A confirmation is on its way by email.", "success")
    return redirect(url_for("account.appointment", appointment_id=appointment.id), 303)


@bp.post("/account/waitlist/offers/<int:offer_id>/decline")
@patient_required
def decline(offer_id: int):
    offer = _own_offer(offer_id)
    waitlist.decline(offer, now=utcnow())
    db.session.commit()
    # Offer the time to the next person now rather than at the next run (database work only).
    notices.process(practitioner_id=offer.entry.consultation_type.practitioner_id, take_payment=payments_enabled())
    flash("The time has been released. You stay on the waitlist for other times.", "success")
    return redirect(url_for("waitlist.mine"), 303)
