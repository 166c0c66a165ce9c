"""The audit log as the practitioner reads it (who read or changed whose data, when, from where):
filtered by patient and by dates in her zone, a page at a time or whole as CSV.

Audit records are append-only. No route changes them, and importing this module installs an ORM guard
that refuses any UPDATE or DELETE of an AuditEvent (unit of work or bulk statement), so no code can
do it by accident. The database itself still applies `actor_id`'s ON DELETE SET NULL when an account is
erased: the record stays, without a link to the person who no longer exists. The one change allowed is
erasure's `redact_free_text`: typed text under the erased patient's number is replaced.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from app import csv_export
from app.extensions import db
from app.models.accounts import ROLE_PATIENT, User
from app.models.audit import AuditEvent
from app.refusals import Refusal

PAGE_SIZE = 50
ERASE = "erase"
# Detail keys that hold text someone typed (a refund's reason may describe the patient's health). The
# record cannot change, so once its patient is erased the viewer and the CSV show this instead.
FREE_TEXT_KEYS = frozenset({"reason"})
ERASED_TEXT = "(erased with the patient)"
CSV_HEADER = ("when", "actor", "actor_id", "patient", "patient_id", "action", "object_type", "object_id", "ip",
              "detail")


# --- the guard --------------------------------------------------------------------------------------

class AuditLogIsAppendOnly(RuntimeError):
    """Code tried to change or delete an audit record."""


def _refuse_row_change(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly(f"audit record {target.id} cannot be changed or deleted")


def _refuse_bulk_change(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete) or (state.is_update and state.execution_options.get(_REDACTION)):
        return
    table = getattr(state.statement, "table", None)  # also a Core statement sent through the session
    if table is AuditEvent.__table__ or any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditLogIsAppendOnly("audit records cannot be changed or deleted")


# The one change allowed, by erasure only (`redact_free_text`): typed text under an erased patient's number.
_REDACTION = "homeostasis_audit_redaction"


def redact_free_text(patient_id: int) -> int:
    """Erasure (GDPR Art. 17): replace typed text (FREE_TEXT_KEYS, e.g. a refund reason written by the
    practice, which may describe her health) in the records under her number with ERASED_TEXT. The
    records themselves, their actions, times and ids stay. Records made since issue 20 hold no typed
    text; this clears older ones. Returns how many records changed."""
    changed = 0
    for record_id, detail in db.session.execute(
            select(AuditEvent.id, AuditEvent.detail).where(AuditEvent.patient_id == patient_id)).all():
        if not isinstance(detail, dict) or not FREE_TEXT_KEYS & detail.keys():
            continue
        redacted = {key: ERASED_TEXT if key in FREE_TEXT_KEYS else value for key, value in detail.items()}
        db.session.execute(update(AuditEvent).where(AuditEvent.id == record_id).values(detail=redacted)
                           .execution_options(**{_REDACTION: True}))
        changed += 1
    return changed


def install_guard() -> None:
    if not event.contains(AuditEvent, "before_update", _refuse_row_change):
        event.listen(AuditEvent, "before_update", _refuse_row_change)
        event.listen(AuditEvent, "before_delete", _refuse_row_change)
        event.listen(Session, "do_orm_execute", _refuse_bulk_change)


install_guard()


# --- filters ----------------------------------------------------------------------------------------

class FilterError(Refusal, ValueError):
    pass


@dataclass(frozen=True)
class AuditFilter:
    """Which records: one patient (by id, so an erased patient can still be chosen) and local dates,
    both inclusive, in the practitioner's zone."""

    zone: str
    patient_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        tz = ZoneInfo(self.zone)
        start = datetime.combine(self.first_day, time(0), tzinfo=tz) if self.first_day else None
        end = datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=tz) if self.last_day else None
        return start, end

    def as_args(self) -> dict[str, str]:
        """The query string that selects the same records (for page and CSV links)."""
        args = {"patient": self.patient_id, "from": self.first_day, "to": self.last_day}
        return {key: str(value) for key, value in args.items() if value is not None}


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # keeps every bound a datetime can hold


def _number(raw: str, limit: int) -> int | None:
    """A plain decimal number (ASCII digits: "²".isdigit() is true) of a size the database can hold."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= limit else None


def parse_filter(args: Mapping[str, str], zone: str) -> AuditFilter:
    patient = (args.get("patient") or "").strip()
    if patient and _number(patient, 18) is None:
        raise FilterError("Choose a patient from the list.")
    first, last = _day(args.get("from")), _day(args.get("to"))
    if first and last and first > last:
        raise FilterError("The first date must be on or before the last date.")
    return AuditFilter(zone=zone, patient_id=int(patient) if patient else None, first_day=first, last_day=last)


def parse_page(raw: str | None) -> int:
    number = _number((raw or "1").strip(), 9)
    if not number:
        raise FilterError("The page number must be a whole number from 1.")
    return number


def _day(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError("Enter dates as YYYY-MM-DD, for example 2026-12-01.") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(f"Choose dates from {FIRST_DAY} to {LAST_DAY}.")
    return day


# --- reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor: str
    patient: str
    detail: dict | None  # as shown: free text of an erased patient's records left out


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


_Actor = aliased(User, name="actor")
_Patient = aliased(User, name="patient")


def _conditions(f: AuditFilter) -> list:
    start, end = f.bounds()
    conditions = []
    if f.patient_id is not None:
        conditions.append(AuditEvent.patient_id == f.patient_id)
    if start is not None:
        conditions.append(AuditEvent.at >= start)
    if end is not None:
        conditions.append(AuditEvent.at < end)
    return conditions


def _labelled(f: AuditFilter):
    return (select(AuditEvent, _Actor.full_name, _Actor.role, _Patient.full_name)
            .outerjoin(_Actor, _Actor.id == AuditEvent.actor_id)
            .outerjoin(_Patient, _Patient.id == AuditEvent.patient_id)
            .where(*_conditions(f))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def page_of(f: AuditFilter, number: int) -> AuditPage:
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*_conditions(f))) or 0
    results = db.session.execute(_labelled(f).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    erased = erasures()
    return AuditPage([_row(result, erased) for result in results], number, total)


def all_rows(f: AuditFilter) -> Iterator[AuditRow]:
    erased = erasures()
    for result in db.session.execute(_labelled(f).execution_options(yield_per=1000)):
        yield _row(result, erased)


def erasures() -> dict[int, datetime]:
    """When each erased patient was erased (the latest time, should an id ever be used twice)."""
    rows = db.session.execute(select(AuditEvent.patient_id, func.max(AuditEvent.at))
                              .where(AuditEvent.action == ERASE, AuditEvent.patient_id.is_not(None))
                              .group_by(AuditEvent.patient_id)).all()
    return {patient_id: _aware(at) for patient_id, at in rows if patient_id is not None}  # none is: see where()


def _aware(value) -> datetime:
    # An aggregate may bypass the column type: SQLite hands back naive text or datetimes.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _row(result, erased: dict[int, datetime]) -> AuditRow:
    audit, actor_name, actor_role, patient_name = result
    detail = audit.detail
    if detail and _of_erased_patient(audit, erased):
        detail = {key: ERASED_TEXT if key in FREE_TEXT_KEYS else value for key, value in detail.items()}
    return AuditRow(audit, _actor_label(audit, actor_name, actor_role), _patient_label(audit, patient_name, erased),
                    detail)


def _of_erased_patient(audit: AuditEvent, erased: dict[int, datetime]) -> bool:
    # On SQLite a deleted row's id can be given to a newer account: records up to the erasure are
    # the erased patient's whatever account holds the number now.
    return audit.patient_id in erased and audit.at <= erased[audit.patient_id]


def _actor_label(audit: AuditEvent, name: str | None, role: str | None) -> str:
    if name is not None:
        return f"{name} ({role})"
    if audit.action == ERASE:
        return "The patient"
    return "System or erased account"


def _patient_label(audit: AuditEvent, name: str | None, erased: dict[int, datetime]) -> str:
    pid = audit.patient_id
    if pid is None:
        return ""
    if _of_erased_patient(audit, erased):
        return f"Erased patient #{pid}"
    return name if name is not None else f"Deleted account #{pid}"


def patient_choices() -> list[tuple[int, str]]:
    """Patients to filter by: those with an account, then erased ones by number."""
    current = db.session.execute(select(User.id, User.full_name).where(User.role == ROLE_PATIENT)
                                 .order_by(User.full_name, User.id)).all()
    known = {pid for pid, _ in current}
    gone = sorted(pid for pid in erasures() if pid not in known)
    return [(pid, name) for pid, name in current] + [(pid, f"Erased patient #{pid}") for pid in gone]


# --- CSV --------------------------------------------------------------------------------------------

def csv_text(f: AuditFilter) -> str:
    tz = ZoneInfo(f.zone)
    return csv_export.csv_text(CSV_HEADER, (
        (row.event.at.astimezone(tz).isoformat(), row.actor, row.event.actor_id, row.patient, row.event.patient_id,
         row.event.action, row.event.object_type, row.event.object_id, row.event.ip,
         json.dumps(row.detail, sort_keys=True, ensure_ascii=False) if row.detail else "")
        for row in all_rows(f)))


def local_time(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def detail_text(detail: dict | None) -> str:
    if not detail:
        return ""
    return "; ".join(f"{key}: {value}" for key, value in sorted(detail.items()))
