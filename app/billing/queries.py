"""Scoped reads of payments."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.accounts import User
from app.models.billing import Payment


def patient_payments(patient: User) -> list[Payment]:
    """A patient's receipts: paid payments and their refunds (open and lapsed checkouts left out)."""
    return list(db.session.scalars(
        select(Payment).options(selectinload(Payment.refunds))
        .where(Payment.patient_id == patient.id, Payment.paid_at.is_not(None))
        .order_by(Payment.paid_at.desc())).all())
