"""A patient's own data, portable (GDPR Art. 20): one ZIP holding `data.json` and her lab files.

`collect` reads everything in the caller's transaction and returns plain values plus the storage keys
of the files; the route commits (the audit record, and on SQLite the request's write lock) before
`write_zip` reads the files from shared storage one at a time and writes the archive. Intake answers
and symptom check-ins are FHIR R5
QuestionnaireResponses, with the Questionnaire versions they answer, so another system can read them.

What is not exported: the practitioner's private notes (the practice's working notes, shown to no
patient; a wider access request under Art. 15 goes to the practice), and the audit trail.
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import storage
from app.diary.export import diary_export
from app.extensions import db
from app.intake import checkins, exports, service, uploads
from app.intake.fhir import questionnaire_resource, questionnaire_url, response_resource
from app.intake.questionnaire import SYMPTOM_STEP, Questionnaire, get_questionnaire
from app.models.accounts import User
from app.models.billing import Payment
from app.models.courses import Enrollment, Lesson, LessonProgress
from app.models.notes import SIGNED, ConsultationNote
from app.models.scheduling import Appointment

FORMAT = "homeostasis-export/1"
CHECK_IN_ID = "mcas-check-in"
SPOOL_IN_MEMORY = 16 * 1024 * 1024  # larger archives (up to 20 files of 10 MB) go to a temporary file
README = """Your data from {practice}, exported {when} (UTC).

data.json      your profile, appointments, waitlist places, payments and refunds, course progress, and your intake
               answers and symptom check-ins as HL7 FHIR R5 QuestionnaireResponse resources (with the
               Questionnaires they answer), readable by other health software.
lab-results/   the files you uploaded, byte for byte (data.json lists each with its SHA-256).
"""


@dataclass(frozen=True)
class LabFile:
    key: str  # in app/storage.py
    name_in_zip: str


@dataclass(frozen=True)
class Export:
    data: dict
    files: tuple[LabFile, ...]
    uploads: tuple[dict, ...]  # data.json's lab_results, completed by write_zip


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def collect(patient: User, *, base_url: str, now: datetime) -> Export:
    files, listed = _lab_files(patient)
    data = {
        "format": FORMAT,
        "exported_at": _iso(now),
        "profile": _profile(patient),
        "appointments": _appointments(patient),
        "consultation_notes": _notes(patient),
        "payments": _payments(patient),
        "intake": _intake(patient, base_url),
        "symptom_check_ins": _check_ins(patient, base_url),
        "courses": _courses(patient),
        "between_visits": diary_export(patient),
        "waitlist": _waitlist(patient),
    }
    return Export(data, tuple(files), tuple(listed))


def _profile(patient: User) -> dict:
    return {"id": patient.id, "email": patient.email, "full_name": patient.full_name,
            "timezone": patient.timezone, "created_at": _iso(patient.created_at),
            "health_data_consent_at": _iso(patient.health_data_consent_at),
            "non_essential_emails": not patient.email_opt_out}


def _appointments(patient: User) -> list[dict]:
    rows = db.session.scalars(select(Appointment).options(
        joinedload(Appointment.consultation_type), joinedload(Appointment.practitioner))
        .where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)).all()
    return [{"id": a.id, "consultation": a.consultation_type.name, "mode": a.consultation_type.mode_label,
             "practitioner": a.practitioner.display_name, "status": a.status, "starts_at": _iso(a.starts_at),
             "ends_at": _iso(a.ends_at), "booked_at": _iso(a.created_at), "your_time_zone": a.patient_timezone,
             "price_minor": a.price_minor, "currency": a.currency, "payment_status": a.payment_status,
             "your_note": a.patient_note, "rescheduled_from": _iso(a.rescheduled_from),
             "reschedule_count": a.reschedule_count, "cancelled_at": _iso(a.cancelled_at),
             "cancel_reason": a.cancel_reason} for a in rows]


def _notes(patient: User) -> list[dict]:
    """Her practitioner's signed consultation notes and their addenda (GDPR Art. 15 and 20: her health
    record); a draft is not yet a record and is never shown to her."""
    rows = db.session.scalars(select(ConsultationNote)
                              .join(Appointment, Appointment.id == ConsultationNote.appointment_id)
                              .options(selectinload(ConsultationNote.addenda))
                              .where(Appointment.patient_id == patient.id, ConsultationNote.status == SIGNED)
                              .order_by(Appointment.starts_at)).all()
    return [{"appointment_id": n.appointment_id, "signed_at": _iso(n.signed_at), "updated_at": _iso(n.updated_at),
             "sections": [{"title": s["title"], "text": s["text"]} for s in n.sections],
             "addenda": [{"added_at": _iso(a.created_at), "text": a.text} for a in n.addenda]} for n in rows]


def _waitlist(patient: User) -> list[dict]:
    from app.models.waitlist import WaitlistEntry, WaitlistOffer

    entries = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.patient_id == patient.id)
                                 .order_by(WaitlistEntry.created_at)).all()
    offers = db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.entry_id.in_([e.id for e in entries]))
                                .order_by(WaitlistOffer.offered_at)).all()
    return [{"consultation": e.consultation_type.name, "first_day": e.first_day.isoformat(),
             "last_day": e.last_day.isoformat(), "earliest": e.earliest.isoformat() if e.earliest else None,
             "latest": e.latest.isoformat() if e.latest else None, "time_zone": e.timezone, "status": e.status,
             "joined_at": _iso(e.created_at), "left_at": _iso(e.left_at),
             "offers": [{"starts_at": _iso(o.starts_at), "offered_at": _iso(o.offered_at),
                         "held_until": _iso(o.expires_at), "status": o.status} for o in offers if o.entry_id == e.id]}
            for e in entries]


def _payments(patient: User) -> list[dict]:
    rows = db.session.scalars(select(Payment).options(selectinload(Payment.refunds))
                              .where(Payment.patient_id == patient.id).order_by(Payment.created_at)).all()
    return [{"id": p.id, "for": p.description, "purpose": p.purpose, "amount_minor": p.amount_minor,
             "currency": p.currency, "status": p.status, "provider": p.provider, "method": p.method,
             "created_at": _iso(p.created_at), "paid_at": _iso(p.paid_at), "refunded_minor": p.refunded_minor,
             "refunds": [{"amount_minor": r.amount_minor, "status": r.status, "reason": r.reason,
                          "created_at": _iso(r.created_at)} for r in p.refunds]} for p in rows]


def _intake(patient: User, base_url: str) -> dict:
    responses = service.patient_responses(patient.id)
    versions = sorted({r.questionnaire_version for r in responses})
    return {"questionnaires": [exports.questionnaire_json(base_url, v) for v in versions],
            "responses": [{"appointment_id": r.appointment_id, "version": r.version,
                           "questionnaire_response": exports.response_json(r, base_url)} for r in responses]}


def _check_ins(patient: User, base_url: str) -> dict:
    """Each check-in answers the intake's symptom section alone, so it is a completed response to a
    Questionnaire of that section (derived from the intake), not a partial answer to the whole intake."""
    rows = checkins.check_ins(patient.id)
    versions = sorted({c.questionnaire_version for c in rows})
    return {"questionnaires": [check_in_questionnaire(v, base_url) for v in versions],
            "check_ins": [{"id": c.id, "created_at": _iso(c.created_at), "appointment_id": c.appointment_id,
                           "medication_changes": c.medication_changes or [],
                           "questionnaire_response": _check_in_response(c, patient, base_url)} for c in rows]}


def check_in_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/fhir/Questionnaire/{CHECK_IN_ID}"


def _symptom_section(version: str) -> Questionnaire:
    q = get_questionnaire(version)
    return replace(q, title=f"{q.title}: symptom check-in", steps=(q.step(SYMPTOM_STEP),))


def check_in_questionnaire(version: str, base_url: str) -> dict:
    resource = questionnaire_resource(_symptom_section(version), base_url)
    resource.update(id=f"{CHECK_IN_ID}-{version.replace('.', '-')}", url=check_in_url(base_url),
                    name="HomeostasisSymptomCheckIn", derivedFrom=[f"{questionnaire_url(base_url)}|{version}"],
                    description="The symptom section of the intake, sent on its own between visits. Scores "
                                "derived from it are not a diagnosis.")
    return resource


def _check_in_response(check_in, patient: User, base_url: str) -> dict:
    resource = response_resource(_symptom_section(check_in.questionnaire_version), check_in.answers,
                                 response_id=f"check-in-{check_in.id}", patient_ref=f"Patient/{patient.id}",
                                 authored=check_in.created_at, status="completed", base_url=base_url)
    resource["questionnaire"] = f"{check_in_url(base_url)}|{check_in.questionnaire_version}"
    return resource


def _courses(patient: User) -> list[dict]:
    enrolments = {e.course_id: e for e in db.session.scalars(
        select(Enrollment).options(joinedload(Enrollment.course)).where(Enrollment.patient_id == patient.id))}
    progress = db.session.execute(
        select(LessonProgress, Lesson).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.patient_id == patient.id).order_by(Lesson.course_id, Lesson.id)).all()
    by_course: dict[int, list[dict]] = {}
    for row, lesson in progress:
        by_course.setdefault(lesson.course_id, []).append(
            {"lesson": lesson.title, "slug": lesson.slug, "last_viewed_at": _iso(row.last_viewed_at),
             "completed_at": _iso(row.completed_at)})
    courses = []
    for course_id in sorted(set(enrolments) | set(by_course)):
        e = enrolments.get(course_id)
        courses.append({"course_id": course_id, "course": e.course.title if e else None,
                        "enrolled": e is not None, "source": e.source if e else None,
                        "enrolled_at": _iso(e.enrolled_at) if e else None,
                        "completed_at": _iso(e.completed_at) if e else None,
                        "lessons": by_course.get(course_id, [])})
    return courses


def _lab_files(patient: User) -> tuple[list[LabFile], list[dict]]:
    files, listed = [], []
    for upload in reversed(uploads.uploads_for(patient.id)):  # oldest first
        name = f"lab-results/{upload.id}-{_safe(upload.original_name)}"
        files.append(LabFile(upload.stored_name, name))
        listed.append({"id": upload.id, "file": name, "original_name": upload.original_name,
                       "content_type": upload.content_type, "size_bytes": upload.size_bytes,
                       "sha256": upload.sha256, "uploaded_at": _iso(upload.created_at)})
    return files, listed


def _safe(name: str) -> str:
    return name.replace("/", "_").replace("\\", "_") or "file"


def write_zip(export: Export, *, practice: str) -> tempfile.SpooledTemporaryFile:
    """The archive, positioned at its start. Reads each file from shared storage (a read-only
    transaction, ended before this returns). A file deleted meanwhile is listed with `"file": null`."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            included = set()
            for lab in export.files:
                content = storage.files().get(lab.key)
                if content is not None:
                    archive.writestr(lab.name_in_zip, content, compress_type=zipfile.ZIP_STORED)
                    included.add(lab.name_in_zip)
                del content
            db.session.rollback()  # only read: end the transaction before the download streams
            data = {**export.data, "lab_results": [
                entry if entry["file"] in included else {**entry, "file": None} for entry in export.uploads]}
            archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False),
                             compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("README.txt", README.format(practice=practice, when=data["exported_at"]),
                             compress_type=zipfile.ZIP_DEFLATED)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
