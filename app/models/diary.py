"""Between visits: diary entries, flares with their tryptase results, medication plans and their logs.

Health data belongs to the patient: deleting the account deletes these rows (CASCADE, and the erasure
deletes them explicitly too), except the medicine plans, which are the practitioner's clinical record and are
kept for her retention period (app/privacy/retention.py); the audit trail keeps only ids.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.types import UTCDateTime

EXPOSURE, SYMPTOMS = "exposure", "symptoms"
ACUTE, BASELINE = "acute", "baseline"


class DoseStatus(StrEnum):
    """MedicationLog.status (the check constraint below names the same values)."""

    TAKEN = "taken"
    MISSED = "missed"


TAKEN, MISSED = DoseStatus.TAKEN, DoseStatus.MISSED


class DiaryEntry(Model):
    """A food or exposure (free text and tags), or symptom ratings per organ system (0-3)."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('exposure', 'symptoms')", name="kind_known"),
        Index("ix_diary_entries_patient_occurred", "patient_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    cycle_day: Mapped[int | None] = mapped_column()
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)  # {system: 0-3}
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # no health data in logs
        return f"<DiaryEntry {self.id} {self.kind}>"


class Flare(Model):
    __tablename__ = "flares"
    __table_args__ = (Index("ix_flares_patient_onset", "patient_id", "onset_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tryptase: Mapped[list[TryptaseResult]] = relationship(back_populates="flare", order_by="TryptaseResult.drawn_at")

    def __repr__(self) -> str:
        return f"<Flare {self.id}>"


class TryptaseResult(Model):
    """A serum tryptase (ng/mL): acute (drawn after a flare's onset) or baseline."""

    __tablename__ = "tryptase_results"
    __table_args__ = (
        CheckConstraint("value_ng_ml >= 0", name="value_not_negative"),
        CheckConstraint("kind IN ('acute', 'baseline')", name="kind_known"),
        Index("ix_tryptase_results_patient_drawn", "patient_id", "drawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    flare_id: Mapped[int | None] = mapped_column(ForeignKey("flares.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value_ng_ml: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    flare: Mapped[Flare | None] = relationship(back_populates="tryptase")


class FlareLabSettings(Model):
    """What the practitioner tells a patient having a flare about an acute tryptase (optional)."""

    __tablename__ = "flare_lab_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"),
                                                 unique=True)
    lab_order: Mapped[str] = mapped_column(Text, default="")
    lab_hours: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DiaryPreferences(Model):
    """The patient's diary choices and her answers to the tracker's safety questions."""

    __tablename__ = "diary_preferences"

    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    evening_reminder: Mapped[bool] = mapped_column(default=False)
    pregnant: Mapped[str | None] = mapped_column(String(10))  # "yes", "no", "unsure"
    takes_opioid: Mapped[str | None] = mapped_column(String(10))  # "yes", "no", "unsure"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MedicationPlan(Model):
    """A medicine the practitioner prescribed or recommended, with its dose steps
    (``[{"from": "YYYY-MM-DD", "dose": "0.5 mg"}, ...]``, in date order)."""

    __tablename__ = "medication_plans"
    __table_args__ = (
        Index("ix_medication_plans_patient", "patient_id"),
        CheckConstraint("patient_id IS NOT NULL OR retained_patient_id IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Her account; once she deletes it, the retained record instead (app/models/retention.py). No CASCADE: the
    # erasure moves the row first, and a users row that still owns one cannot be deleted.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retained_patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("retained_patients.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="SET NULL"))
    medicine: Mapped[str] = mapped_column(String(120))
    formulation: Mapped[str] = mapped_column(String(120), default="")
    steps: Mapped[list] = mapped_column(JSON, default=list)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    instructions: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    logs: Mapped[list[MedicationLog]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                     order_by="MedicationLog.taken_on")

    def __repr__(self) -> str:
        return f"<MedicationPlan {self.id}>"


class MedicationLog(Model):
    """The patient's record for one day of one plan: taken or missed, and any side effects."""

    __tablename__ = "medication_logs"
    __table_args__ = (
        CheckConstraint("status IN ('taken', 'missed')", name="status_known"),
        UniqueConstraint("plan_id", "taken_on", name="uq_medication_logs_plan_day"),
        Index("ix_medication_logs_patient_day", "patient_id", "taken_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("medication_plans.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    taken_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    side_effects: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    plan: Mapped[MedicationPlan] = relationship(back_populates="logs")
