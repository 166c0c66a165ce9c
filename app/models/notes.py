"""Consultation notes: the practitioner's structured record of a visit, part of the clinical record.

A note is a draft until she signs it; she may still correct a signed note for 24 hours (each change
audited), after which it is locked and only dated addenda can be added. A patient never sees a draft.
The sections' titles are copied into the note, so editing her template later never changes an old note.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.scheduling import Appointment
from app.models.types import UTCDateTime


class NoteStatus(StrEnum):
    """ConsultationNote.status (the check constraint below names the same values)."""

    DRAFT = "draft"
    SIGNED = "signed"


DRAFT, SIGNED = NoteStatus.DRAFT, NoteStatus.SIGNED


class ConsultationNote(Model):
    __tablename__ = "consultation_notes"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed')", name="note_status"),
        CheckConstraint("(status = 'signed') = (signed_at IS NOT NULL)", name="signed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    # [{"title": "Subjective", "text": "..."}, ...]: the template's titles when the note was started.
    sections: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    appointment: Mapped[Appointment] = relationship()
    addenda: Mapped[list[NoteAddendum]] = relationship(cascade="all, delete-orphan",
                                                       order_by="NoteAddendum.created_at")

    def __repr__(self) -> str:  # no clinical text in logs
        return f"<ConsultationNote {self.id} {self.status}>"


class NoteAddendum(Model):
    """A dated addition to a locked note; never changed once written."""

    __tablename__ = "note_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("consultation_notes.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<NoteAddendum {self.id} of {self.note_id}>"
