"""The patient's side of the intake: the multi-step questionnaire per appointment, symptom check-ins and
their trend, and lab result uploads. Everything is scoped to the signed-in patient: another patient's id
answers 404. The practitioner's side is in intake_practice.py; the booking screen in intake_safety.py."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.clock import utcnow
from app.diary import reminders
from app.extensions import db
from app.intake import checkins, forms, service, uploads
from app.intake.access import own_upload
from app.intake.answers import enabled_answers
from app.intake.medication_changes import MEDICATION_CHANGES
from app.intake.practitioner_flags import NO_AUTO_INJECTOR_PATIENT, no_auto_injector
from app.intake.questionnaire import (
    FREQUENCY_OPTIONS,
    SEVERITY_OPTIONS,
    SYMPTOM_STEP,
    SYSTEMS,
    get_questionnaire,
    symptom_items,
)
from app.intake.scoring import DISCLAIMER
from app.intake.summary import sections
from app.models.scheduling import Appointment
from app.scheduling.queries import appointment_for
from app.web.access import patient_required
from app.web.errors import error_response, wants_json

if TYPE_CHECKING:
    from flask.blueprints import BlueprintSetupState

# Steps whose answers feed the medication tracker's safety alerts (app/diary/medication.py).
ALERT_STEPS = ("history", "medicines")
bp = Blueprint("intake", __name__, url_prefix="/account")
NOT_ADVICE = "This questionnaire does not replace medical advice from your own doctor."
TOO_LARGE = ("That upload is too large: each file can be at most 10 MB. Please upload a smaller file, for "
             "example a PDF of the report or a photo of each page.")


def _own_appointment(appointment_id: int) -> Appointment:
    appointment = appointment_for(current_user, appointment_id)
    if appointment is None:
        abort(404, "We couldn't find that appointment.")
    return appointment


# --- the questionnaire ---------------------------------------------------------------------------

@bp.get("/intake/<int:appointment_id>")
@patient_required
def overview(appointment_id: int):
    appointment = _own_appointment(appointment_id)
    st = service.state(appointment, utcnow())
    return render_template("intake/overview.html", st=st, a=appointment, zone=current_user.timezone,
                           auto_injector_notice=_auto_injector_notice(st),
                           answer_sections=sections(st.questionnaire, st.answers),
                           versions=service.versions(appointment), not_advice=NOT_ADVICE)


def _auto_injector_notice(st) -> str | None:
    shown = enabled_answers(st.questionnaire, st.answers)
    return NO_AUTO_INJECTOR_PATIENT if no_auto_injector(shown) else None


def _step_page(st, step, values, errors, status=200):
    q = st.questionnaire
    keys = [s.key for s in q.steps]
    index = keys.index(step.key)
    return render_template(
        "intake/step.html", st=st, a=st.appointment, step=step, q=q, number=index + 1, total=len(keys),
        previous=q.steps[index - 1] if index else None, values=values, **_errors(step, errors),
        systems=SYSTEMS, zone=current_user.timezone, not_advice=NOT_ADVICE), status


def _errors(step, errors: dict) -> dict:
    """The errors, where each summary link points, and what each one is about."""
    return {"errors": errors, "anchors": {name: forms.error_anchor(name, step) for name in errors},
            "messages": forms.error_labels(step, errors)}


@bp.route("/intake/<int:appointment_id>/<step_key>", methods=["GET", "POST"])
@patient_required
def step(appointment_id: int, step_key: str):
    appointment = _own_appointment(appointment_id)
    now = utcnow()
    st = service.state(appointment, now)
    try:
        current_step = st.questionnaire.step(step_key)
    except KeyError:
        abort(404, "There is no such step in the intake.")
    if request.method == "GET":
        return _step_page(st, current_step, forms.form_values(current_step, st.answers), {})
    try:
        response = service.save_step(appointment, step_key, request.form, now=now)
    except service.StepInvalid as invalid:
        db.session.rollback()
        return _step_page(st, current_step, forms.posted_values(request.form), invalid.errors, 422)
    if step_key in ALERT_STEPS:  # her medicines or pregnancy may now clash with a plan: tell the practitioner
        reminders.alert_practitioner(current_user, now=now)
    db.session.commit()
    if no_auto_injector(enabled_answers(st.questionnaire, response.answers)) and any(
            it.link_id == "carries_epinephrine" for it in current_step.items):
        flash(NO_AUTO_INJECTOR_PATIENT, "info")
    return _after_save(appointment, response, st, step_key)


def _after_save(appointment, response, st, step_key: str):
    action = request.form.get("action", "next")
    keys = [s.key for s in st.questionnaire.steps]
    if response.version > (st.current.version if st.current else 0) and response.version > 1:
        flash("Your change was saved as a new version: the practitioner sees both.", "info")
    if action == "stay":
        return redirect(url_for("intake.step", appointment_id=appointment.id, step_key=step_key), 303)
    if action == "later":
        flash("Saved. You can come back and carry on at any time.", "success")
        return redirect(url_for("intake.overview", appointment_id=appointment.id), 303)
    index = keys.index(step_key)
    if index + 1 < len(keys):
        return redirect(url_for("intake.step", appointment_id=appointment.id, step_key=keys[index + 1]), 303)
    flash("Thank you: your intake is complete." if response.is_complete else
          "Saved. Some required answers are still missing: they are marked below.",
          "success" if response.is_complete else "info")
    return redirect(url_for("intake.overview", appointment_id=appointment.id), 303)


# --- symptom check-ins ---------------------------------------------------------------------------

@bp.get("/symptoms")
@patient_required
def symptoms():
    now = utcnow()
    return render_template("intake/symptoms.html",
                           trend=checkins.trend_view(current_user.id, current_user.timezone),
                           waiting=checkins.follow_ups_awaiting_check_in(current_user, now),
                           zone=current_user.timezone, disclaimer=DISCLAIMER, not_advice=NOT_ADVICE)


def _check_in_page(values, errors, status=200):
    q = get_questionnaire()
    step = q.step(SYMPTOM_STEP)
    return render_template("intake/check_in.html", q=q, step=step, items=symptom_items(q), values=values,
                           changes_item=MEDICATION_CHANGES,
                           **_errors(replace(step, items=step.items + (MEDICATION_CHANGES,)), errors), systems=SYSTEMS,
                           waiting=checkins.follow_ups_awaiting_check_in(current_user, utcnow()),
                           zone=current_user.timezone, not_advice=NOT_ADVICE), status


@bp.route("/symptoms/check-in", methods=["GET", "POST"])
@patient_required
def check_in():
    if request.method == "GET":
        return _check_in_page({}, {})
    try:
        checkins.record_check_in(current_user, request.form, now=utcnow())
    except service.StepInvalid as invalid:
        db.session.rollback()
        return _check_in_page(forms.posted_values(request.form), invalid.errors, 422)
    db.session.commit()
    flash("Thank you: your check-in has been sent.", "success")
    return redirect(url_for("intake.symptoms"), 303)


# --- lab results -----------------------------------------------------------------------------------

def _lab_page(error: str | None = None, status: int = 200):
    return render_template("intake/lab_results.html", files=uploads.uploads_for(current_user.id), error=error,
                           max_files=uploads.MAX_FILES, accept=uploads.ACCEPT, size_text=uploads.size_text,
                           zone=current_user.timezone), status


@bp.get("/lab-results")
@patient_required
def lab_results():
    return _lab_page()


@bp.post("/lab-results")
@patient_required
def upload_lab_result():
    file = request.files.get("file")
    try:
        uploads.store(current_user, file.stream if file else None, file.filename if file else None, now=utcnow())
    except uploads.UploadError as error:
        db.session.rollback()
        return _lab_page(error.message, error.status)
    db.session.commit()
    flash("Your file has been uploaded.", "success")  # no file name: flashes travel in the cookie
    return redirect(url_for("intake.lab_results"), 303)


def send_lab_file(upload):
    """The file as an attachment that no cache keeps and no browser sniffs into another type."""
    content = uploads.content_of(upload)
    if content is None:
        abort(404, "That file is no longer stored.")
    # At most 10 MB, read whole from shared storage.
    response = send_file(io.BytesIO(content), mimetype=upload.content_type, as_attachment=True,
                         download_name=upload.original_name, conditional=False, etag=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _own_upload(upload_id: int):
    upload = own_upload(current_user, upload_id)
    if upload is None:
        abort(404, "We couldn't find that file.")
    return upload


@bp.get("/lab-results/<int:upload_id>")
@patient_required
def lab_file(upload_id: int):
    return send_lab_file(_own_upload(upload_id))


@bp.post("/lab-results/<int:upload_id>/delete")
@patient_required
def delete_lab_file(upload_id: int):
    upload = _own_upload(upload_id)
    uploads.delete(current_user, upload)
    db.session.commit()
    flash("The file has been deleted.", "success")
    return redirect(url_for("intake.lab_results"), 303)


@bp.app_errorhandler(413)
def too_large(error):
    db.session.rollback()
    if wants_json() or not current_user.is_authenticated or not current_user.is_patient:
        return error_response(413, TOO_LARGE)
    return _lab_page(TOO_LARGE, 413)


# --- what other pages show (account home, appointment page): their views gather it (web/account.py) ---

def intake_panel(appointment: Appointment, now: datetime) -> dict:
    """The intake or check-in call to action for one of the patient's own appointments."""
    st = service.state(appointment, now) if appointment.consultation_type.intake_required else None
    waiting: list[Appointment] = []
    if st is None:
        patient = appointment.patient
        assert patient is not None  # the signed-in patient's own appointment
        waiting = checkins.follow_ups_awaiting_check_in(patient, now)
    return {"st": st, "check_in_wanted": any(a.id == appointment.id for a in waiting),
            "open": appointment.is_blocking(now) and appointment.ends_at > now}


def health_overview(patient, upcoming: list[Appointment], now: datetime) -> dict:
    """What the account home asks for: intakes to fill in for the `upcoming` appointments, check-ins
    before follow-ups, and how many lab files she has."""
    return {"intakes": service.needing_intake(upcoming, now),
            "check_ins": checkins.follow_ups_awaiting_check_in(patient, now),
            "files": uploads.count_for(patient.id)}


@bp.record_once
def _option_globals(state: BlueprintSetupState) -> None:
    # Tuples, not functions (add_app_template_global is for callables): set on the app's Jinja globals,
    # as that method would, once the blueprint is registered.
    state.app.jinja_env.globals.update(intake_severity_options=SEVERITY_OPTIONS,
                                       intake_frequency_options=FREQUENCY_OPTIONS)


@bp.app_template_global()
def intake_field_id(name: str) -> str:
    return forms.field_id(name)


@bp.app_template_global()
def intake_condition(q, it) -> str | None:
    return forms.condition_hint(q, it)


@bp.app_template_global()
def intake_rows(it, values) -> list[int]:
    return forms.row_numbers(it, values)


def invite_to_intake(appointment: Appointment) -> None:
    """After a booking: point the patient to the intake (or, for a follow-up, a check-in)."""
    if appointment.consultation_type.intake_required:
        flash("Next, please fill in the intake questionnaire before your appointment: it is on this page.", "info")
    else:
        flash("Before your follow-up, please send a short symptom check-in: it is on this page.", "info")
