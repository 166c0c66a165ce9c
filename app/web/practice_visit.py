"""Preparing and running a visit: what the appointment page gathers (safety flags first, the intake
summary, the diary since the last visit, results, the previous visit's note) and the consultation note
itself (/practice/appointments/ID/note, /practice/note-template).

The view gathers and audits; the templates only render (templates/practice/_visit_prep.html, _note.html).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.clock import utcnow
from app.diary.panel import PracticePanel, practice_panel
from app.extensions import db
from app.intake import checkins, uploads
from app.intake import service as intake_service
from app.intake.questionnaire import get_questionnaire
from app.intake.scoring import CRITERION_A_MESSAGE, CRITERION_A_NOT_ASSESSED
from app.intake.summary import Summary, sensitivities, summary
from app.models.audit import record
from app.models.intake import IntakeResponse, LabUpload
from app.models.notes import ConsultationNote
from app.models.scheduling import Appointment, PractitionerProfile
from app.notes import service as notes
from app.scheduling.profiles import profile_for
from app.scheduling.queries import appointment_for, last_visit_before
from app.web.access import practitioner_required

bp = Blueprint("notes", __name__, url_prefix="/practice")

NOT_A_DIAGNOSIS = "Scores summarise what the patient reported: not a diagnosis."


@dataclass
class VisitPreparation:
    """Everything the appointment page shows above its actions, read once by the view."""
    intake: IntakeResponse | None = None
    summary: Summary | None = None
    diary: PracticePanel | None = None
    files: list[LabUpload] = field(default_factory=list)
    visit: dict | None = None  # the intake's state for this visit and its sensitivities (intake/_practice_appointment)
    previous_note: ConsultationNote | None = None
    note: ConsultationNote | None = None
    note_locked: bool = False
    note_locks_at: datetime | None = None
    blank_sections: list[dict] = field(default_factory=list)
    texts: dict = field(default_factory=lambda: {"not_a_diagnosis": NOT_A_DIAGNOSIS, "criterion_a": CRITERION_A_MESSAGE,
                                                 "criterion_a_not_assessed": CRITERION_A_NOT_ASSESSED})


def prepare(appointment: Appointment, profile: PractitionerProfile, now: datetime) -> VisitPreparation:
    """Read the visit's clinical picture and record each read in the audit log (the caller commits)."""
    prep = VisitPreparation(note=notes.note_for(appointment), blank_sections=notes.blank_sections(profile))
    if prep.note is not None:
        prep.note_locked, prep.note_locks_at = notes.locked(prep.note, now), notes.locks_at(prep.note)
        record("view", "consultation_note", prep.note.id, actor=current_user, patient_id=appointment.patient_id,
               detail={"page": "appointment"})
    patient = appointment.patient
    if patient is None:  # erased: the appointment's own record is all there is
        return prep
    prep.intake = intake_service.latest(appointment) or intake_service.latest_for_patient(patient.id)
    if prep.intake is not None:
        q = get_questionnaire(prep.intake.questionnaire_version)
        prep.summary = summary(q, prep.intake.answers, intake_service.patient_today(patient, now))
    prep.files = uploads.uploads_for(patient.id)
    prep.visit = _visit_intake(appointment, prep.intake, now)
    record("view", "intake", prep.intake.id if prep.intake else None, actor=current_user, patient_id=patient.id,
           detail={"page": "appointment", "fields": ["summary", "flags", "visit_sensitivities"],
                   "files": len(prep.files)})
    prep.diary = practice_panel(current_user, patient, profile.timezone, now, last_visit_before(appointment, now))
    prep.previous_note = notes.previous_signed_note(appointment)
    if prep.previous_note is not None:
        record("view", "consultation_note", prep.previous_note.id, actor=current_user, patient_id=patient.id,
               detail={"page": "appointment", "as": "previous visit"})
    return prep


def _visit_intake(appointment: Appointment, current: IntakeResponse | None, now: datetime) -> dict:
    """Whether this visit's intake is done (or its follow-up check-in sent), and what to prepare for."""
    needs = sensitivities(get_questionnaire(current.questionnaire_version), current.answers) if current else None
    waiting: list[Appointment] = []
    if not appointment.consultation_type.intake_required and appointment.patient is not None:
        waiting = checkins.follow_ups_awaiting_check_in(appointment.patient, now)
    return {"current": current, "for_this": current is not None and current.appointment_id == appointment.id,
            "sensitivities": needs, "required": appointment.consultation_type.intake_required,
            "lock_at": intake_service.lock_at(appointment),
            "check_in_missing": any(a.id == appointment.id for a in waiting)}


def _appointment_or_404(appointment_id: int) -> Appointment:
    appointment = appointment_for(current_user, appointment_id)
    if appointment is None:
        abort(404, "We couldn't find that appointment.")
    if appointment.retained_patient_id is not None:  # a deleted account's record is kept as it was
        abort(409, "This patient deleted her account: her record is kept, read only, under Retained records.")
    return appointment


def _refused(error: notes.NoteRefused):
    db.session.rollback()
    abort(error.status, error.message)


@bp.post("/appointments/<int:appointment_id>/note")
@practitioner_required
def save_note(appointment_id: int):
    """Save the draft ("save"), or save and sign it ("sign"); a signed note is corrected the same way
    for 24 hours."""
    appointment = _appointment_or_404(appointment_id)
    action = request.form.get("action", "save")
    if action not in ("save", "sign"):
        abort(422, "Choose to save the draft or to sign the note.")
    try:
        note = notes.save(appointment, profile_for(current_user), request.form, sign=action == "sign",
                          actor=current_user, now=utcnow())
    except notes.NoteRefused as error:
        _refused(error)
    db.session.commit()
    flash("Note signed. You can still correct it for 24 hours; after that, add an addendum."
          if action == "sign" else ("Correction saved." if note.signed_at else "Draft saved."), "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id, _anchor="note-title"), 303)


@bp.post("/appointments/<int:appointment_id>/note/addenda")
@practitioner_required
def add_addendum(appointment_id: int):
    appointment = _appointment_or_404(appointment_id)
    try:
        notes.add_addendum(appointment, request.form.get("text", ""), actor=current_user, now=utcnow())
    except notes.NoteRefused as error:
        _refused(error)
    db.session.commit()
    flash("Addendum added.", "success")
    return redirect(url_for("practice.appointment", appointment_id=appointment_id, _anchor="note-title"), 303)


@bp.route("/note-template", methods=["GET", "POST"])
@practitioner_required
def note_template():
    profile = profile_for(current_user)
    if request.method == "POST":
        try:
            notes.set_template(profile, request.form.get("sections", ""), actor=current_user)
        except notes.NoteRefused as error:
            db.session.rollback()
            return render_template("practice/note_template.html", sections=request.form.get("sections", ""),
                                   error=error.message), error.status
        db.session.commit()
        flash("Note sections saved. New notes use them; notes already started keep theirs.", "success")
        return redirect(url_for("notes.note_template"), 303)
    return render_template("practice/note_template.html", sections="\n".join(profile.note_sections or []), error=None)
