"""The patient's side of "between visits" (/account/diary): the trigger diary, the flare log and the
medication tracker. Plain forms (no JavaScript needed), each POST one transaction; every query is scoped
to the signed-in patient, so another patient's id is a 404.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.clock import utcnow
from app.diary import entries, flares, medication, reminders
from app.diary.trend import daily, svg
from app.extensions import db
from app.intake import red_flags
from app.intake.questionnaire import SYSTEMS
from app.models.diary import EXPOSURE
from app.web.access import patient_required

bp = Blueprint("diary", __name__, url_prefix="/account/diary")
bp.add_app_template_global(entries.key_text, "diary_key_text")


def _refuse(error: entries.DiaryError, template: str, context: dict):
    """Nothing written; the form again, with what she typed and a message per field."""
    db.session.rollback()
    return render_template(template, **{**context, "errors": error.errors, "form": request.form}), error.status


def _base(**context) -> dict:
    return {"tags": entries.TAGS, "systems": SYSTEMS, "severities": entries.SEVERITIES, "errors": {}, "form": {},
            **context}


@bp.get("")
@patient_required
def home():
    now = utcnow()
    zone = entries.zone_of(current_user)
    recent = entries.recent_entries(current_user.id)
    prefs = medication.preferences(current_user.id)
    return render_template("diary/home.html", **_base(
        recent=recent, now=now, zone=current_user.timezone, editable=lambda e: entries.is_editable(e, now),
        correlation=entries.correlation_for(current_user.id, now, zone), key_text=entries.key_text,
        open_flares=[f for f in flares.flares_since(current_user.id, now - timedelta(days=30)) if f.ended_at is None],
        reminder=bool(prefs and prefs.evening_reminder), EXPOSURE=EXPOSURE, local=zone))


@bp.route("/exposure", methods=["GET", "POST"])
@patient_required
def exposure():
    now, zone = utcnow(), entries.zone_of(current_user)
    context = _base(default_time=entries.local_input_value(now, zone))
    if request.method == "POST":
        try:
            entries.add_exposure(current_user, entries.read_exposure(request.form, zone, now), now=now)
        except entries.DiaryError as error:
            return _refuse(error, "diary/exposure.html", context)
        db.session.commit()
        flash("Saved to your diary.", "success")
        return redirect(url_for("diary.home"), 303)
    return render_template("diary/exposure.html", **context)


@bp.route("/symptoms", methods=["GET", "POST"])
@patient_required
def symptoms():
    now, zone = utcnow(), entries.zone_of(current_user)
    context = _base(default_time=entries.local_input_value(now, zone))
    if request.method == "POST":
        try:
            entries.add_symptoms(current_user, entries.read_symptoms(request.form, zone, now), now=now)
        except entries.DiaryError as error:
            return _refuse(error, "diary/symptoms.html", context)
        db.session.commit()
        flash("Saved to your diary.", "success")
        return redirect(url_for("diary.home"), 303)
    return render_template("diary/symptoms.html", **context)


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@patient_required
def edit(entry_id: int):
    entry = entries.own_entry(current_user, entry_id)
    if entry is None:
        abort(404, "We couldn't find that diary entry.")
    now, zone = utcnow(), entries.zone_of(current_user)
    context = _base(entry=entry, editable=entries.is_editable(entry, now), locked=entries.LOCKED,
                    default_time=entries.local_input_value(entry.occurred_at, zone))
    if request.method == "POST":
        try:
            entries.update_entry(current_user, entry, request.form, now=now)
        except entries.DiaryError as error:
            return _refuse(error, "diary/edit.html", context)
        db.session.commit()
        flash("Your entry has been changed.", "success")
        return redirect(url_for("diary.home"), 303)
    form = {"text": entry.text, "tags": entry.tags, "cycle_day": entry.cycle_day or "", "note": entry.note,
            **{f"rating_{k}": str(v) for k, v in entry.ratings.items()}}
    return render_template("diary/edit.html", **{**context, "form": form})


@bp.post("/reminders")
@patient_required
def set_reminder():
    on = request.form.get("evening_reminder") == "on"
    reminders.set_evening_reminder(current_user, on, now=utcnow())
    db.session.commit()
    flash("We will email you a reminder each evening." if on else "Evening reminders are off.", "success")
    return redirect(url_for("diary.home"), 303)


# --- flares ---------------------------------------------------------------------------------------

@bp.post("/flares")
@patient_required
def start_flare():
    flare = flares.start_flare(current_user, now=utcnow())
    db.session.commit()
    return redirect(url_for("diary.flare", flare_id=flare.id), 303)


def _own_flare(flare_id: int):
    flare = flares.own_flare(current_user, flare_id)
    if flare is None:
        abort(404, "We couldn't find that flare.")
    return flare


def _flare_page(flare, *, status: int = 200, outcome: red_flags.Outcome | None = None,
                errors: dict | None = None):
    now = utcnow()
    emergency = outcome is not None and outcome.emergency
    return render_template("diary/flare.html", flare=flare, rf=red_flags, emergency=emergency,
                           advice=(outcome.advice if outcome is not None and emergency
                                   else red_flags.ADVICE[red_flags.ANAPHYLAXIS]),
                           lab=flares.lab_settings_for_patient(current_user), zone=current_user.timezone,
                           baseline_due=flares.baseline_due_at(flare), errors=errors or {}, form=request.form,
                           since_onset=now - flare.onset_at, acute_window=flares.ACUTE_WINDOW,
                           default_time=entries.local_input_value(now, entries.zone_of(current_user))), status


@bp.get("/flares/<int:flare_id>")
@patient_required
def flare(flare_id: int):
    return _flare_page(_own_flare(flare_id))


@bp.post("/flares/<int:flare_id>/check")
@patient_required
def check_flare(flare_id: int):
    """The red-flag questions, answered during a flare: a yes shows the emergency advice at the top."""
    flare = _own_flare(flare_id)
    outcome = red_flags.assess(request.form)
    if outcome.emergency:
        return _flare_page(flare, outcome=outcome)
    if outcome.errors:
        return _flare_page(flare, status=422, errors=outcome.errors)
    if outcome.advice is not None:  # a sign on its own, or a reaction in the last 3 days: its advice
        flash(f"{outcome.advice.title}. {' '.join(outcome.advice.steps)}", "warning")
        return redirect(url_for("diary.flare", flare_id=flare.id), 303)
    flash("None of the emergency signs: keep an eye on them, and come back here if anything changes.", "success")
    return redirect(url_for("diary.flare", flare_id=flare.id), 303)


@bp.post("/flares/<int:flare_id>/end")
@patient_required
def end_flare(flare_id: int):
    flare = _own_flare(flare_id)
    try:
        flares.end_flare(current_user, flare, request.form, now=utcnow())
    except entries.DiaryError as error:
        db.session.rollback()
        return _flare_page(_own_flare(flare_id), status=error.status, errors=error.errors)
    db.session.commit()
    flash("Marked as over. We will remind you about a baseline tryptase in 24 hours.", "success")
    return redirect(url_for("diary.flare", flare_id=flare.id), 303)


@bp.post("/flares/<int:flare_id>/tryptase")
@patient_required
def add_tryptase(flare_id: int):
    flare = _own_flare(flare_id)
    try:
        flares.add_tryptase(current_user, flare, request.form, now=utcnow())
    except entries.DiaryError as error:
        db.session.rollback()
        return _flare_page(_own_flare(flare_id), status=error.status, errors=error.errors)
    db.session.commit()
    flash("Tryptase result saved.", "success")
    return redirect(url_for("diary.flare", flare_id=flare.id), 303)


@bp.route("/flares/<int:flare_id>/delete", methods=["GET", "POST"])
@patient_required
def delete_flare(flare_id: int):
    """Nothing irreversible on one click: the flare page links here, and this page asks to confirm."""
    flare = _own_flare(flare_id)
    page = {"flare": flare, "zone": current_user.timezone, "errors": {}}
    if request.method == "GET":
        return render_template("diary/flare_delete.html", **page)
    try:
        flares.delete_flare(current_user, flare, request.form, now=utcnow())
    except entries.DiaryError as error:
        db.session.rollback()
        return render_template("diary/flare_delete.html", **{**page, "flare": _own_flare(flare_id),
                                                              "errors": error.errors}), error.status
    db.session.commit()
    flash("The flare was deleted.", "success")
    return redirect(url_for("diary.home"), 303)


# --- medicines ------------------------------------------------------------------------------------

def _medicines_page(*, status: int = 200, errors: dict | None = None):
    now, zone = utcnow(), entries.zone_of(current_user)
    today = now.astimezone(zone).date()
    plans = medication.plans_for(current_user.id)
    first = today - timedelta(days=29)
    rated = [(e.occurred_at, e.ratings) for e in entries.entries_since(current_user.id, now - timedelta(days=31))
             if e.ratings]
    trend = daily(rated, zone, first, today, medication.changes(plans))
    return render_template("diary/medicines.html", plans=plans, today=today, dose_on=medication.dose_on,
                           prefs=medication.preferences(current_user.id), answers=medication.ANSWERS,
                           errors=errors or {}, form=request.form, trend=trend, chart=svg(trend, "med-trend"),
                           adherence=lambda p: medication.adherence(p, first, today)), status


@bp.get("/medicines")
@patient_required
def medicines():
    return _medicines_page()


@bp.post("/medicines/<int:plan_id>/log")
@patient_required
def log_dose(plan_id: int):
    plan = medication.own_plan(current_user, plan_id)
    if plan is None:
        abort(404, "We couldn't find that medicine.")
    now = utcnow()
    try:
        today = now.astimezone(entries.zone_of(current_user)).date()
        medication.log_dose(current_user, plan, request.form, today=today, now=now)
    except entries.DiaryError as error:
        db.session.rollback()
        return _medicines_page(status=error.status, errors=error.errors)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("diary.medicines"), 303)


@bp.post("/medicines/answers")
@patient_required
def medicine_answers():
    now = utcnow()
    try:
        medication.save_answers(current_user, request.form, now=now)
        reminders.alert_practitioner(current_user, now=now)
    except entries.DiaryError as error:
        db.session.rollback()
        return _medicines_page(status=error.status, errors=error.errors)
    db.session.commit()
    flash("Thank you: your practitioner sees these answers.", "success")
    return redirect(url_for("diary.medicines"), 303)
