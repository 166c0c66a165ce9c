"""The practitioner's schedule editors under /practice: weekly hours, date overrides, time off,
consultation types and the booking policy.

Views read the form, call one function of app.scheduling.settings and commit. The forms carry no
validators of their own: the service checks everything, so a message is written once and every
problem comes back at once. CSRF is checked globally for every POST.
"""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import profile_photo
from app.clock import utcnow
from app.extensions import db
from app.intake.uploads import UploadError
from app.models.scheduling import MODES, VIDEO_LINKS, WEEKDAYS, ConsultationType
from app.scheduling import settings
from app.scheduling.profiles import profile_for
from app.timezones import zone_names
from app.web import editing
from app.web.access import practitioner_required

bp = Blueprint("practice_settings", __name__, url_prefix="/practice")

SPARE_ROWS = 2  # empty rows under each weekday's ranges: how more are added without JavaScript
MAX_ROWS = 24  # rows read per weekday: more than any practice needs, and it bounds the work
OVERRIDE_ROWS = 4
_HOURS_KEY = re.compile(r"day-([0-6])-(\d{1,3})-(?:start|end)")


def _range_fields(prefix: str, rows: int, label: str) -> dict[str, StringField]:
    """Start/end inputs named `{prefix}-{n}-start` / `-end`; the label names the day and the row,
    since a screen reader announces it without the table around it."""
    fields = {}
    for n in range(rows):
        fields[f"{prefix}-{n}-start"] = StringField(f"{label}, range {n + 1}, from")
        fields[f"{prefix}-{n}-end"] = StringField(f"{label}, range {n + 1}, to")
    return fields


def _hours_form(rows: dict[int, int], data: dict | None = None) -> FlaskForm:
    fields: dict[str, StringField] = {}
    for weekday, count in rows.items():
        fields.update(_range_fields(f"day-{weekday}", count, WEEKDAYS[weekday]))
    return type("WeeklyHoursForm", (FlaskForm,), fields)(data=data)


class _OverrideFields(FlaskForm):
    day = StringField("Date")
    kind = RadioField("On this date", default="closed", choices=[
        SelectChoice("closed", "Closed all day"), SelectChoice("open", "Open only at these times")])
    note = StringField("Note (only you see it)")


OverrideForm = type("OverrideForm", (_OverrideFields,), _range_fields("range", OVERRIDE_ROWS, "Opening hours"))


class TimeOffForm(FlaskForm):
    starts_at = StringField("Starts")
    ends_at = StringField("Ends")
    reason = StringField("Reason (only you see it)")


class ConsultationTypeForm(FlaskForm):
    name = StringField("Name")
    slug = StringField("Slug")
    description = TextAreaField("Description")
    active = BooleanField("Open for booking")
    display_order = StringField("Display order")
    duration_minutes = StringField("Duration (minutes)")
    buffer_before_minutes = StringField("Buffer before (minutes)")
    buffer_after_minutes = StringField("Buffer after (minutes)")
    granularity_minutes = SelectField("Start times every",
                                      choices=[SelectChoice(str(g), f"{g} minutes") for g in settings.GRANULARITIES])
    min_notice_hours = StringField("Minimum notice (hours)")
    horizon_days = StringField("Booking horizon (days)")
    max_per_day = StringField("Most per day (optional)")
    reminder_lead_hours = StringField("Reminder (hours before)")
    price = StringField("Price")
    currency = StringField("Currency")
    mode = SelectField("How it takes place", choices=[SelectChoice(value, label) for value, label in MODES.items()])
    location = StringField("Meeting link or address")
    video_link = SelectField("Video meeting link",
                             choices=[SelectChoice(value, label) for value, label in VIDEO_LINKS.items()])
    patient_cancel_cutoff_hours = StringField("Patients can cancel online until (hours before)")
    patient_reschedule_cutoff_hours = StringField("Patients can reschedule online until (hours before)")
    intake_required = BooleanField("Patients complete the MCAS intake questionnaire first")


class PolicyForm(FlaskForm):
    display_name = StringField("Display name")
    credentials = StringField("Credentials")
    bio = TextAreaField("Biography")
    timezone = StringField("Time zone")
    contact_email = StringField("Contact email for patients")
    contact_phone = StringField("Contact phone for patients")
    privacy_notice = TextAreaField("Privacy notice")
    cancellation_notice_hours = StringField("Cancellation notice (hours)")
    reschedule_notice_hours = StringField("Rescheduling notice (hours)")
    max_reschedules = StringField("Reschedules allowed per appointment")
    late_cancel_refund_percent = StringField("Refund for a late cancellation (percent)")


# --- shared ---------------------------------------------------------------------------------------


def _rows(form: FlaskForm, prefix: str, count: int) -> list[tuple[str, str]]:
    return [(form[f"{prefix}-{n}-start"].data, form[f"{prefix}-{n}-end"].data) for n in range(count)]


def _pairs(form: FlaskForm, prefix: str, count: int) -> list:
    return [(form[f"{prefix}-{n}-start"], form[f"{prefix}-{n}-end"]) for n in range(count)]


# --- weekly hours ---------------------------------------------------------------------------------

@bp.route("/hours", methods=["GET", "POST"])
@practitioner_required
def hours():
    profile = profile_for(current_user)
    if request.method == "GET":
        saved = {weekday: 0 for weekday in range(7)}
        data = {}
        for rule in profile.weekly_hours:  # ordered by weekday, then start
            n, saved[rule.weekday] = saved[rule.weekday], saved[rule.weekday] + 1
            data[f"day-{rule.weekday}-{n}-start"] = settings.hhmm(rule.start_time)
            data[f"day-{rule.weekday}-{n}-end"] = settings.hhmm(rule.end_time)
        rows = {weekday: count + SPARE_ROWS for weekday, count in saved.items()}
        return _hours_page(_hours_form(rows, data), rows, profile)
    rows = _posted_rows()
    form = _hours_form(rows)
    try:
        count = settings.replace_weekly_hours(
            profile, {weekday: _rows(form, f"day-{weekday}", n) for weekday, n in rows.items()}, actor=current_user)
    except settings.SettingsError as error:
        return editing.refused(form, error, "practice/settings/hours.html", **_hours_context(form, rows, profile))
    return editing.saved(f"Weekly hours saved ({count} range{'s' if count != 1 else ''}).", "practice_settings.hours")


def _posted_rows() -> dict[int, int]:
    rows = {weekday: SPARE_ROWS for weekday in range(7)}
    for key in request.form:
        match = _HOURS_KEY.fullmatch(key)
        if match and int(match[2]) < MAX_ROWS:
            rows[int(match[1])] = max(rows[int(match[1])], int(match[2]) + 1)
    return rows


def _hours_context(form: FlaskForm, rows: dict[int, int], profile) -> dict:
    return {"days": [(WEEKDAYS[w], _pairs(form, f"day-{w}", rows[w])) for w in range(7)], "zone": profile.timezone}


def _hours_page(form: FlaskForm, rows: dict[int, int], profile):
    return render_template("practice/settings/hours.html", form=form, **_hours_context(form, rows, profile))


# --- date overrides -------------------------------------------------------------------------------

def _today(profile) -> date:
    return utcnow().astimezone(ZoneInfo(profile.timezone)).date()


@bp.route("/overrides", methods=["GET", "POST"])
@practitioner_required
def overrides():
    profile = profile_for(current_user)
    form = OverrideForm()
    context = {"ranges": _pairs(form, "range", OVERRIDE_ROWS), "zone": profile.timezone}
    if request.method == "POST":
        try:
            day = settings.set_date_override(
                profile, day=form.day.data, closed=form.kind.data == "closed", note=form.note.data,
                ranges=_rows(form, "range", OVERRIDE_ROWS), today=_today(profile), actor=current_user)
        except settings.SettingsError as error:
            upcoming = settings.upcoming_overrides(profile, _today(profile))
            return editing.refused(form, error, "practice/settings/overrides.html", upcoming=upcoming, **context)
        return editing.saved(f"Saved the override for {day:%A %-d %B %Y}.", "practice_settings.overrides")
    upcoming = settings.upcoming_overrides(profile, _today(profile))
    return render_template("practice/settings/overrides.html", form=form, upcoming=upcoming, **context)


@bp.post("/overrides/<day>/delete")
@practitioner_required
def delete_override(day: str):
    profile = profile_for(current_user)
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404, "There is no override for that date.")
    if not settings.delete_date_override(profile, chosen, actor=current_user):
        abort(404, "There is no override for that date.")
    return editing.saved(f"Deleted the override for {chosen:%A %-d %B %Y}: your weekly hours apply again.",
                         "practice_settings.overrides")


# --- time off -------------------------------------------------------------------------------------

@bp.route("/time-off", methods=["GET", "POST"])
@practitioner_required
def time_off():
    profile = profile_for(current_user)
    form = TimeOffForm()
    now = utcnow()
    if request.method == "POST":
        try:
            added = settings.add_time_off(profile, starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                                          reason=form.reason.data, now=now, actor=current_user)
        except settings.SettingsError as error:
            return editing.refused(form, error, "practice/settings/time_off.html", zone=profile.timezone,
                                   upcoming=settings.upcoming_time_off(profile, now))
        clashes = settings.appointments_during(profile, added.starts_at, added.ends_at, now)
        message = "Time off added."
        if clashes == 1:
            message += " 1 booked appointment falls inside it and stays booked: cancel or move it from the agenda."
        elif clashes:
            message += (f" {clashes} booked appointments fall inside it and stay booked: cancel or move them "
                        "from the agenda.")
        return editing.saved(message, "practice_settings.time_off")
    return render_template("practice/settings/time_off.html", form=form, zone=profile.timezone,
                           upcoming=settings.upcoming_time_off(profile, now))


@bp.post("/time-off/<int:time_off_id>/delete")
@practitioner_required
def delete_time_off(time_off_id: int):
    if not settings.delete_time_off(profile_for(current_user), time_off_id, actor=current_user):
        abort(404, "We couldn't find that time off.")
    return editing.saved("Time off deleted.", "practice_settings.time_off")


# --- consultation types ---------------------------------------------------------------------------

@bp.get("/types")
@practitioner_required
def types():
    profile = profile_for(current_user)
    return render_template("practice/settings/types.html", types=profile.consultation_types)


@bp.route("/types/new", methods=["GET", "POST"])
@practitioner_required
def new_type():
    profile = profile_for(current_user)
    next_order = max((ct.display_order for ct in profile.consultation_types), default=0) + 1
    return _type_editor(profile, None, settings.type_values(None, next_order=next_order))


@bp.route("/types/<int:type_id>", methods=["GET", "POST"])
@practitioner_required
def edit_type(type_id: int):
    profile = profile_for(current_user)
    ct = db.session.get(ConsultationType, type_id)
    if ct is None or ct.practitioner_id != profile.id:
        abort(404, "We couldn't find that consultation type.")
    return _type_editor(profile, ct, settings.type_values(ct))


def _type_editor(profile, ct: ConsultationType | None, initial: dict):
    form = ConsultationTypeForm() if request.method == "POST" else ConsultationTypeForm(data=initial)
    context = {"ct": ct}
    if request.method == "POST":
        try:
            saved = settings.save_consultation_type(profile, editing.form_values(form), actor=current_user, existing=ct)
        except settings.SettingsError as error:
            return editing.refused(form, error, "practice/settings/type_form.html", **context)
        state = "" if saved.active else " It is not open for booking."
        return editing.saved(f"Saved “{saved.name}”.{state}", "practice_settings.types")
    return render_template("practice/settings/type_form.html", form=form, **context)


# --- booking policy and profile -------------------------------------------------------------------

@bp.route("/policy", methods=["GET", "POST"])
@practitioner_required
def policy():
    profile = profile_for(current_user)
    form = PolicyForm() if request.method == "POST" else PolicyForm(data=settings.policy_values(profile))
    if request.method == "POST":
        try:
            settings.update_policy(profile, editing.form_values(form), actor=current_user)
        except settings.SettingsError as error:
            return editing.refused(form, error, "practice/settings/policy.html", **_policy_context(profile))
        return editing.saved("Booking policy and profile saved.", "practice_settings.policy")
    return render_template("practice/settings/policy.html", form=form, **_policy_context(profile))


def _policy_context(profile) -> dict:
    return {"zones": zone_names(), "profile": profile, "photo_accept": profile_photo.ACCEPT}


@bp.post("/profile/photo")
@practitioner_required
def upload_photo():
    """Her public photo (home page, booking pages): replaces the one before."""
    profile = profile_for(current_user)
    upload = request.files.get("photo")
    try:
        profile_photo.save(profile, upload.stream if upload else None, upload.filename if upload else None,
                           actor=current_user)
    except UploadError as error:
        db.session.rollback()  # the old photo stays; nothing of this one is kept
        form = PolicyForm(data=settings.policy_values(profile))
        return render_template("practice/settings/policy.html", form=form, photo_error=error.message,
                               **_policy_context(profile)), error.status
    return editing.saved("Your photo has been saved. Patients see it on the home and booking pages.",
                         "practice_settings.policy")


@bp.post("/profile/photo/delete")
@practitioner_required
def delete_photo():
    profile_photo.remove(profile_for(current_user), actor=current_user)
    return editing.saved("Your photo has been removed.", "practice_settings.policy")
