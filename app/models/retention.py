"""The clinical record kept after a patient deletes her account (app/privacy/retention.py).

Her users row goes at once; the rows the practitioner relied on for care (intake answers, check-ins, lab
results, medicine plans, appointments with their consultation notes, payments) stay for the retention
period, re-pointed from her (gone) account to one `retained_patients` row that keeps who she was, for the
practitioner only. Those rows name either a live account (`patient_id`) or a retained record
(`retained_patient_id`), never neither (a CHECK on the health-data tables), so every existing query, which
is scoped by `patient_id`, never sees a retained row, and a retained row is only reached through this one.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model
from app.models.types import UTCDateTime

ADULT, CHILD = "adult", "child"


class RetainedPatient(Model):
    __tablename__ = "retained_patients"
    __table_args__ = (Index("ix_retained_patients_keep_until", "keep_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Her account's number when it existed (the audit log's patient_id): a plain number, the account is gone.
    former_user_id: Mapped[int] = mapped_column(index=True)
    # Whose record it is: the practitioner of her last appointment; only she sees it.
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner_profiles.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    date_of_birth: Mapped[date | None] = mapped_column(Date)  # from her latest intake, when she gave it
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retention_years: Mapped[int]  # the practitioner's setting when the account was deleted
    basis: Mapped[str] = mapped_column(String(10), default=ADULT)  # which rule set keep_until: adult or child
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # no name or email in logs
        return f"<RetainedPatient {self.id}>"
