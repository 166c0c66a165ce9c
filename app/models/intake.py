"""The intake: a patient's answers per appointment (versioned), symptom check-ins and lab uploads.

Answers are stored as the JSON that ``app.intake.answers`` produces, with the questionnaire version they
answer. They are part of the clinical record: when she deletes her account they are kept for the practice's
retention period under a retained record (app/privacy/retention.py), then purged; the audit trail keeps only ids.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.accounts import User
from app.models.scheduling import Appointment
from app.models.types import UTCDateTime


class IntakeStatus(StrEnum):
    """IntakeResponse.status. Members equal their stored strings."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    AMENDED = "amended"  # a complete version made after an earlier one (FHIR's "amended")


IN_PROGRESS = IntakeStatus.IN_PROGRESS
COMPLETED = IntakeStatus.COMPLETED
AMENDED = IntakeStatus.AMENDED
STATUSES = tuple(IntakeStatus)


class IntakeResponse(Model):
    """One version of a patient's intake for one appointment.

    Version 1 is edited in place until the lock (24 hours before the appointment). After the lock a
    version that existed before it, or is finished (complete, every step saved), never changes again: a
    change makes version n+1.
    """

    __tablename__ = "intake_responses"
    __table_args__ = (
        UniqueConstraint("appointment_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("patient_id IS NOT NULL OR retained_patient_id IS NOT NULL", name="has_owner"),
        Index("ix_intake_responses_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Her account; once she deletes it, the retained record instead (app/models/retention.py). No CASCADE: the
    # erasure moves the row first, and a users row that still owns one cannot be deleted.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retained_patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("retained_patients.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_steps: Mapped[list] = mapped_column(JSON, default=list)  # step keys saved at least once
    status: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    patient: Mapped[User] = relationship()
    appointment: Mapped[Appointment | None] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.status in (COMPLETED, AMENDED)

    def __repr__(self) -> str:  # no answers in logs
        return f"<IntakeResponse {self.id} v{self.version} {self.status}>"


class SymptomCheckIn(Model):
    """The symptom section alone, sent at any time; linked to the follow-up it was asked for, if any."""

    __tablename__ = "symptom_check_ins"
    __table_args__ = (
        Index("ix_symptom_check_ins_patient_created", "patient_id", "created_at"),
        CheckConstraint("patient_id IS NOT NULL OR retained_patient_id IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Her account; once she deletes it, the retained record instead (app/models/retention.py). No CASCADE: the
    # erasure moves the row first, and a users row that still owns one cannot be deleted.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retained_patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("retained_patients.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Medicine changes since the last check-in (app.intake.medication_changes); None before 2026.2.
    medication_changes: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<SymptomCheckIn {self.id}>"


class LabUpload(Model):
    """A lab result file: its bytes are in shared storage (app/storage.py) under `stored_name`, a random key."""

    __tablename__ = "lab_uploads"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("patient_id IS NOT NULL OR retained_patient_id IS NOT NULL", name="has_owner"),
        Index("ix_lab_uploads_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Her account; once she deletes it, the retained record instead (app/models/retention.py). No CASCADE: the
    # erasure moves the row first, and a users row that still owns one cannot be deleted.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retained_patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("retained_patients.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))  # from the content's magic bytes
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # the file name may say what the test was: keep it out of logs
        return f"<LabUpload {self.id}>"
