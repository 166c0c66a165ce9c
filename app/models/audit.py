"""The audit trail: who read or changed whose health data, payments and appointments."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, insert
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model, db
from app.models.types import UTCDateTime


class AuditEvent(Model):
    """Append-only: the app has no code path that updates or deletes these rows."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as a plain number (no foreign key) so the record survives the patient's erasure.
    patient_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))  # e.g. "view", "update", "login", "erase"
    object_type: Mapped[str] = mapped_column(String(40))  # e.g. "intake", "appointment", "payment"
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict | None] = mapped_column(JSON)


def record(action: str, object_type: str, object_id=None, *, actor=None, patient_id=None, detail=None,
           ip: str | None = None) -> AuditEvent:
    """Add an audit row to the current transaction (it commits with the change it describes)."""
    if ip is None:
        ip = _request_ip()
    event = AuditEvent(
        action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        actor_id=getattr(actor, "id", actor), patient_id=patient_id, detail=detail, ip=ip,
    )
    db.session.add(event)
    return event


def record_many(action: str, object_type: str, rows: Sequence[tuple[object, int | None, dict | None]], *,
                actor=None) -> None:
    """Audit rows for many objects at once, (object_id, patient_id, detail) each, in one INSERT (a list
    that reads 50 patients' intakes writes its 50 rows in one statement, not 50)."""
    if not rows:
        return
    ip, actor_id, at = _request_ip(), getattr(actor, "id", actor), utcnow()
    db.session.execute(insert(AuditEvent), [
        {"at": at, "action": action, "object_type": object_type, "actor_id": actor_id, "ip": ip,
         "object_id": None if object_id is None else str(object_id), "patient_id": patient_id, "detail": detail}
        for object_id, patient_id, detail in rows])


def _request_ip() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None
