"""Payment totals for the practitioner: per month of her own time zone, over every row, in SQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal, select

from app.extensions import db
from app.models.billing import Payment, PaymentStatus


@dataclass(frozen=True)
class MonthTotal:
    month: str  # "2026-03", in the practice's zone
    currency: str
    paid: int  # minor units
    refunded: int


def _months(first: datetime, last: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """Each local month from the one holding `first` to the one holding `last`, as (label, the UTC
    instant at which the next month begins)."""
    start, end = first.astimezone(zone), last.astimezone(zone)
    year, month = start.year, start.month
    months = []
    while (year, month) <= (end.year, end.month):
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        months.append((f"{year:04d}-{month:02d}", datetime(*following, 1, tzinfo=zone)))
        year, month = following
    return months


def monthly_totals(zone_name: str) -> list[MonthTotal]:
    """Totals of paid payments per local month and currency, newest first: one GROUP BY over all rows.

    SQLite has no time zones, so the month of each instant is found by a CASE over the UTC instants at
    which the practice's months begin (DST-correct, computed here); the sums are done by the database."""
    zone = ZoneInfo(zone_name)
    first, last = db.session.execute(select(func.min(Payment.paid_at), func.max(Payment.paid_at))
                                     .where(Payment.paid_at.is_not(None))).one()
    if first is None or last is None:  # both or neither: no paid payment yet
        return []
    months = _months(first, last, zone)
    bucket = case(*[(Payment.paid_at < next_start, literal(label)) for label, next_start in months],
                  else_=literal(months[-1][0])).label("month")
    rows = db.session.execute(
        select(bucket, Payment.currency, func.sum(Payment.amount_minor), func.sum(Payment.refunded_minor))
        .where(Payment.paid_at.is_not(None), Payment.status != PaymentStatus.OPEN)
        .group_by(bucket, Payment.currency)).all()
    totals = [MonthTotal(month, currency, int(paid or 0), int(refunded or 0))
              for month, currency, paid, refunded in rows]
    return sorted(totals, key=lambda t: (t.month, t.currency), reverse=True)

