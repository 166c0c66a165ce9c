"""Calendar files on the web: the patient's .ics for an upcoming appointment, the practitioner's
subscription feed (/practice/calendar/TOKEN.ics), and the page where she manages the feed and her
daily agenda email (/practice/notifications)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.clock import utcnow
from app.extensions import db, limiter
from app.models.audit import record
from app.models.scheduling import CONFIRMED
from app.notify import feed, invites
from app.scheduling.profiles import profile_for
from app.scheduling.queries import appointment_for
from app.web.access import patient_required, practitioner_required

bp = Blueprint("calendar_feed", __name__)
ICS = "text/calendar; charset=utf-8"


@bp.get("/account/appointments/<int:appointment_id>/calendar.ics")
@patient_required
def appointment_ics(appointment_id: int):
    appointment = appointment_for(current_user, appointment_id)
    now = utcnow()
    if appointment is None or appointment.status != CONFIRMED or appointment.ends_at <= now:
        abort(404, "Only an upcoming, confirmed appointment can be added to a calendar.")
    body = invites.patient_invite(appointment, invites.PUBLISH, now)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Type": ICS, "Content-Disposition": f"attachment; filename=appointment-{appointment.id}.ics"})


@bp.get("/practice/calendar/<token>.ics")
@limiter.limit("60 per minute")
def practitioner_feed(token: str):
    profile = feed.profile_for_token(token)
    if profile is None:
        abort(404)
    return Response(feed.feed_calendar(profile, utcnow()), mimetype="text/calendar", headers={
        "Content-Type": ICS, "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
        "Content-Disposition": "inline; filename=appointments.ics"})


@bp.route("/practice/notifications", methods=["GET", "POST"])
@practitioner_required
def notifications():
    profile = profile_for(current_user)
    new_address = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "rotate":
            token = feed.rotate_token(profile, actor=current_user)
            new_address = current_app.config["BASE_URL"] + url_for("calendar_feed.practitioner_feed", token=token)
            db.session.commit()
        elif action == "revoke":
            feed.revoke_token(profile, actor=current_user)
            db.session.commit()
            flash("Calendar subscription turned off: the old address no longer works.", "success")
            return redirect(url_for("calendar_feed.notifications"), 303)
        elif action == "agenda":
            profile.daily_agenda_email = request.form.get("daily_agenda_email") == "y"
            record("update", "notification_settings", profile.id, actor=current_user)
            db.session.commit()
            flash("Daily agenda email " + ("on." if profile.daily_agenda_email else "off."), "success")
            return redirect(url_for("calendar_feed.notifications"), 303)
        else:
            abort(422, "Choose what to change.")
    # A new address is shown on this response only (only its hash is stored), hence no redirect.
    return render_template("practice/notifications.html", profile=profile, new_address=new_address)
