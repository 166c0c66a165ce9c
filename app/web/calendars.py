"""/practice/calendars: the practitioner's own calendars whose busy times block open slots. Adding
one saves it encrypted and fetches nothing: the sync job does that (`flask sync-calendars`)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice

from app.calendars import service
from app.clock import utcnow
from app.models.calendars import KINDS
from app.scheduling.profiles import profile_for
from app.web import editing
from app.web.access import practitioner_required

bp = Blueprint("calendars", __name__, url_prefix="/practice/calendars")


class CalendarForm(FlaskForm):
    name = StringField("Name (shown on your agenda as “busy (name)”)")
    kind = RadioField("Kind", default="ics", choices=[SelectChoice(value, label) for value, label in KINDS.items()])
    url = StringField("Address")
    username = StringField("User name (CalDAV; optional for an .ics address)")
    password = PasswordField("Password or app-specific password")
    store_titles = BooleanField("Also keep event titles and show them on my agenda")


def _page(form: CalendarForm):
    profile = profile_for(current_user)
    return render_template("practice/calendars.html", form=form, calendars=service.calendars_for(profile),
                           zone=profile.timezone, every=current_app.config["CALENDAR_SYNC_MINUTES"])


def _chosen():
    calendar = service.calendar_of(profile_for(current_user), request.form.get("calendar_id"))
    if calendar is None:
        abort(404, "We couldn't find that calendar.")
    return calendar


@bp.get("")
@practitioner_required
def index():
    return _page(CalendarForm())


@bp.post("")
@practitioner_required
def add():
    form = CalendarForm()
    try:
        calendar = service.add_calendar(profile_for(current_user), editing.form_values(form), actor=current_user,
                                        now=utcnow())
    except service.CalendarError as error:
        profile = profile_for(current_user)
        return editing.refused(form, error, "practice/calendars.html", calendars=service.calendars_for(profile),
                               zone=profile.timezone, every=current_app.config["CALENDAR_SYNC_MINUTES"])
    return editing.saved(f"Added “{calendar.name}”. Its busy times will block your open times from the next sync, "
                         f"within {current_app.config['CALENDAR_SYNC_MINUTES']} minutes.", "calendars.index")


@bp.post("/remove")
@practitioner_required
def remove():
    calendar = _chosen()
    name = calendar.name
    service.remove_calendar(calendar, actor=current_user)
    return editing.saved(f"Removed “{name}”: its busy times no longer block your open times.", "calendars.index")


@bp.post("/titles")
@practitioner_required
def titles():
    calendar = _chosen()
    keep = request.form.get("store_titles") == "1"
    service.set_titles(calendar, keep, actor=current_user)
    message = ("Event titles will be kept from the next sync." if keep
               else "Event titles are no longer kept; the stored ones were deleted.")
    return editing.saved(f"“{calendar.name}”: {message}", "calendars.index")


@bp.post("/sync")
@practitioner_required
def sync_now():
    # Nothing waits on a calendar server inside a request: the periodic sync picks it up.
    calendar = _chosen()
    return editing.saved(f"“{calendar.name}” will sync within {current_app.config['CALENDAR_SYNC_MINUTES']} minutes.",
                         "calendars.index")
