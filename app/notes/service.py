"""Writing consultation notes: save a draft, sign, correct within 24 hours of signing, then addenda only.

Each function runs in the caller's transaction, writes its audit row with the change, and raises
NoteRefused (a 409 or 422 with a message) without writing anything. The lock rule is pure (`locked`).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.audit import record
from app.models.notes import DRAFT, SIGNED, ConsultationNote, NoteAddendum
from app.models.scheduling import DEFAULT_NOTE_SECTIONS, Appointment, PractitionerProfile
from app.refusals import Refusal

CORRECTION_WINDOW = timedelta(hours=24)  # after signing, she may still correct the note this long
MAX_SECTION = 20_000
MAX_SECTIONS, MAX_TITLE = 12, 80


class NoteRefused(Refusal):
    pass


def locked(note: ConsultationNote, now: datetime) -> bool:
    """A signed note is locked 24 hours after signing; a draft never is."""
    return note.signed_at is not None and now >= note.signed_at + CORRECTION_WINDOW


def locks_at(note: ConsultationNote) -> datetime | None:
    return None if note.signed_at is None else note.signed_at + CORRECTION_WINDOW


def note_for(appointment: Appointment) -> ConsultationNote | None:
    return db.session.scalar(select(ConsultationNote).where(ConsultationNote.appointment_id == appointment.id))


def blank_sections(profile: PractitionerProfile) -> list[dict]:
    return [{"title": title, "text": ""} for title in (profile.note_sections or DEFAULT_NOTE_SECTIONS)]


def previous_signed_note(appointment: Appointment) -> ConsultationNote | None:
    """The patient's last signed note from an earlier visit with this practitioner (one query)."""
    if appointment.patient_id is None:
        return None
    return db.session.scalar(
        select(ConsultationNote).join(Appointment, Appointment.id == ConsultationNote.appointment_id)
        .where(Appointment.patient_id == appointment.patient_id,
               Appointment.practitioner_id == appointment.practitioner_id,
               Appointment.starts_at < appointment.starts_at, ConsultationNote.status == SIGNED)
        .order_by(Appointment.starts_at.desc()).limit(1))


def _texts(form: Mapping[str, str], count: int) -> list[str]:
    texts = []
    for n in range(count):
        text = (form.get(f"section-{n}") or "").replace("\r\n", "\n")
        if len(text) > MAX_SECTION:
            raise NoteRefused(f"A section can be at most {MAX_SECTION:,} characters.")
        texts.append(text)
    return texts


def save(appointment: Appointment, profile: PractitionerProfile, form: Mapping[str, str], *, sign: bool, actor,
         now: datetime) -> ConsultationNote:
    """Save the draft (or correct a signed note inside its 24 hours), and sign it if asked."""
    note = note_for(appointment)
    if note is not None and locked(note, now):
        raise NoteRefused("This note was signed more than 24 hours ago and is locked: add a dated addendum "
                          "instead.", 409)
    sections = note.sections if note is not None else blank_sections(profile)
    texts = _texts(form, len(sections))
    if sign and not any(t.strip() for t in texts):
        raise NoteRefused("Write something in the note before you sign it.")
    if note is None:
        note = ConsultationNote(appointment_id=appointment.id, status=DRAFT, created_at=now)
        db.session.add(note)
    changed = [s["title"] for s, t in zip(sections, texts, strict=True) if s["text"] != t]
    note.sections = [{"title": s["title"], "text": t} for s, t in zip(sections, texts, strict=True)]
    note.updated_at = now
    action = "update"
    if sign and note.status == DRAFT:
        note.status, note.signed_at, note.signed_by_id, action = SIGNED, now, getattr(actor, "id", None), "sign"
    db.session.flush()
    record(action, "consultation_note", note.id, actor=actor, patient_id=appointment.patient_id,
           detail={"appointment": appointment.id, "sections_changed": changed,
                   "after_signing": action == "update" and note.status == SIGNED})
    return note


def add_addendum(appointment: Appointment, text: str, *, actor, now: datetime) -> NoteAddendum:
    note = note_for(appointment)
    if note is None or note.status != SIGNED:
        raise NoteRefused("Sign the note first: addenda are for a signed note.", 409)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise NoteRefused("Write the addendum first.")
    if len(text) > MAX_SECTION:
        raise NoteRefused(f"An addendum can be at most {MAX_SECTION:,} characters.")
    addendum = NoteAddendum(note_id=note.id, text=text, created_at=now, author_id=getattr(actor, "id", None))
    db.session.add(addendum)
    db.session.flush()
    record("addendum", "consultation_note", note.id, actor=actor, patient_id=appointment.patient_id,
           detail={"appointment": appointment.id, "addendum": addendum.id})
    return addendum


def set_template(profile: PractitionerProfile, raw: str, *, actor) -> list[str]:
    """Her note sections, one title a line; new notes use them, old notes keep theirs."""
    titles = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if not titles:
        raise NoteRefused("Give at least one section, one title a line.")
    if len(titles) > MAX_SECTIONS:
        raise NoteRefused(f"A note can have at most {MAX_SECTIONS} sections.")
    if any(len(t) > MAX_TITLE for t in titles):
        raise NoteRefused(f"A section title can be at most {MAX_TITLE} characters.")
    if len({t.casefold() for t in titles}) != len(titles):
        raise NoteRefused("Each section needs its own title.")
    if any(not t.isprintable() for t in titles):
        raise NoteRefused("A section title cannot hold control characters.")
    profile.note_sections = titles
    record("update", "note_template", profile.id, actor=actor, detail={"sections": titles})
    return titles
