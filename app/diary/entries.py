"""Diary entries: validating what the patient typed, storing it in UTC, the 48-hour edit window, and the
reads the pages and the correlation make (each one query, whatever the number of entries).

Times are typed in the patient's zone (an HTML datetime-local value) and stored as UTC instants. A local
time that the clocks skip (spring forward) is refused with a clear message; an ambiguous one (fall back)
is read as the first of the two, which is what a person writing "01:30" that night usually means.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.clinical.medicines import names_medicine
from app.diary.correlation import TAG_PREFIX, Correlation, Exposure, Rating, correlate, food_key
from app.extensions import db
from app.intake.questionnaire import SYSTEMS
from app.models.accounts import User
from app.models.audit import record
from app.models.diary import EXPOSURE, SYMPTOMS, DiaryEntry

EDITABLE_FOR = timedelta(hours=48)
BACKDATE_LIMIT = timedelta(days=14)
FUTURE_SLACK = timedelta(minutes=5)
CORRELATION_PERIOD = timedelta(days=365)
RECENT = 20
TAGS: dict[str, str] = {
    "fresh": "Fresh", "leftover": "Leftover", "fermented": "Fermented", "cured": "Cured or smoked",
    "alcohol": "Alcohol", "scents": "Scents or fumes", "heat_cold": "Heat or cold", "exercise": "Exercise",
    "stress": "Stress", "poor_sleep": "Poor sleep", "medicine": "Medicine taken",
}
MEDICINE_TAG = "medicine"
SEVERITIES = {0: "None", 1: "Mild", 2: "Moderate", 3: "Severe"}
LOCKED = "Entries can be changed for 48 hours after they are written; this one is now kept as it was."


class DiaryError(Exception):
    def __init__(self, errors: dict[str, str], status: int = 422):
        super().__init__("; ".join(errors.values()))
        self.errors, self.status = errors, status


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(patient: User) -> ZoneInfo:
    return zone_named(patient.timezone)


def local_input_value(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: Any, zone: ZoneInfo, *, now: datetime, field: str = "occurred_at") -> datetime:
    """A datetime-local value in ``zone`` -> a UTC instant; blank means now. Raises DiaryError."""
    text = str(value or "").strip()
    if not text:
        return now
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise DiaryError({field: "Enter the date and time like 2026-03-29 18:30."}) from None
    if naive.tzinfo is not None:
        raise DiaryError({field: "Enter the time as shown on your clock, without a time zone."})
    local = naive.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise DiaryError({field: f"{naive:%H:%M} did not happen on {naive:%-d %B} in your time zone (the clocks "
                                 "went forward). Choose a time just before or after."})
    if instant > now + FUTURE_SLACK:
        raise DiaryError({field: "That time is in the future."})
    if instant < now - BACKDATE_LIMIT:
        raise DiaryError({field: "Entries can go back up to 14 days."})
    return instant


@dataclass(frozen=True)
class ExposureInput:
    text: str
    tags: list[str]
    cycle_day: int | None
    note: str
    occurred_at: datetime


@dataclass(frozen=True)
class SymptomInput:
    ratings: dict[str, int]
    note: str
    occurred_at: datetime


def _note(form: Mapping[str, Any], errors: dict[str, str]) -> str:
    note = str(form.get("note") or "").strip()
    if len(note) > 500:
        errors["note"] = "Keep the note under 500 characters."
    return note


def read_exposure(form: Any, zone: ZoneInfo, now: datetime) -> ExposureInput:
    errors: dict[str, str] = {}
    text = " ".join(str(form.get("text") or "").split())
    tags = [t for t in form.getlist("tags") if t in TAGS] if hasattr(form, "getlist") else []
    if len(text) > 200:
        errors["text"] = "Keep it under 200 characters."
    if not text and not tags:
        errors["text"] = "Write what you ate or were exposed to, or choose at least one tag."
    cycle_raw = str(form.get("cycle_day") or "").strip()
    cycle_day = None
    if cycle_raw:
        if not cycle_raw.isdigit() or not 1 <= int(cycle_raw) <= 60:
            errors["cycle_day"] = "Cycle day is a whole number from 1 to 60."
        else:
            cycle_day = int(cycle_raw)
    note = _note(form, errors)
    try:
        at = parse_local(form.get("occurred_at"), zone, now=now)
    except DiaryError as error:
        errors.update(error.errors)
    if errors:
        raise DiaryError(errors)
    return ExposureInput(text, tags, cycle_day, note, at)


def read_symptoms(form: Any, zone: ZoneInfo, now: datetime) -> SymptomInput:
    """Either the quick form (``system`` + ``severity``) or one ``rating_<system>`` per system."""
    errors: dict[str, str] = {}
    ratings: dict[str, int] = {}
    raw = {key: form.get(f"rating_{key}") for key in SYSTEMS}
    if form.get("system"):
        if form.get("system") not in SYSTEMS:
            errors["system"] = "Choose the part of the body from the list."
        else:
            raw[str(form.get("system"))] = form.get("severity")
            if not form.get("severity"):
                errors["severity"] = "Choose how strong it is."
    for key, value in raw.items():
        if value in (None, ""):
            continue
        if str(value) not in {"0", "1", "2", "3"}:
            errors[f"rating_{key}"] = "Ratings go from 0 (none) to 3 (severe)."
        else:
            ratings[key] = int(str(value))
    if not ratings and not errors:
        errors["system"] = "Choose a part of the body and how strong the symptoms are."
    note = _note(form, errors)
    try:
        at = parse_local(form.get("occurred_at"), zone, now=now)
    except DiaryError as error:
        errors.update(error.errors)
    if errors:
        raise DiaryError(errors)
    return SymptomInput(ratings, note, at)


def add_exposure(patient: User, data: ExposureInput, *, now: datetime) -> DiaryEntry:
    entry = DiaryEntry(patient_id=patient.id, kind=EXPOSURE, occurred_at=data.occurred_at, text=data.text,
                       tags=data.tags, cycle_day=data.cycle_day, note=data.note, created_at=now, updated_at=now)
    return _add(patient, entry)


def add_symptoms(patient: User, data: SymptomInput, *, now: datetime) -> DiaryEntry:
    entry = DiaryEntry(patient_id=patient.id, kind=SYMPTOMS, occurred_at=data.occurred_at, ratings=data.ratings,
                       note=data.note, created_at=now, updated_at=now)
    return _add(patient, entry)


def _add(patient: User, entry: DiaryEntry) -> DiaryEntry:
    db.session.add(entry)
    db.session.flush()
    record("create", "diary_entry", entry.id, actor=patient, patient_id=patient.id)
    return entry


def is_editable(entry: DiaryEntry, now: datetime) -> bool:
    return now - entry.created_at < EDITABLE_FOR


def own_entry(patient: User, entry_id: int) -> DiaryEntry | None:
    return db.session.scalar(select(DiaryEntry).where(DiaryEntry.id == entry_id, DiaryEntry.patient_id == patient.id))


def update_entry(patient: User, entry: DiaryEntry, form: Any, *, now: datetime) -> None:
    """Change an entry within its 48 hours. Raises DiaryError (409 once locked, 422 for bad input)."""
    if not is_editable(entry, now):
        raise DiaryError({"entry": LOCKED}, status=409)
    zone = zone_of(patient)
    data: ExposureInput | SymptomInput
    if entry.kind == EXPOSURE:
        data = exposure = read_exposure(form, zone, now)
        entry.text, entry.tags, entry.cycle_day = exposure.text, exposure.tags, exposure.cycle_day
    else:
        data = symptoms = read_symptoms(form, zone, now)
        entry.ratings = symptoms.ratings
    entry.note, entry.occurred_at, entry.updated_at = data.note, data.occurred_at, now
    record("update", "diary_entry", entry.id, actor=patient, patient_id=patient.id)


def recent_entries(patient_id: int, limit: int = RECENT) -> list[DiaryEntry]:
    return list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.patient_id == patient_id)
                                   .order_by(DiaryEntry.occurred_at.desc(), DiaryEntry.id.desc()).limit(limit)))


def entries_since(patient_id: int, since: datetime) -> list[DiaryEntry]:
    return list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.patient_id == patient_id,
                                                            DiaryEntry.occurred_at >= since)
                                   .order_by(DiaryEntry.occurred_at)))


def correlation_for(patient_id: int, now: datetime, zone: tzinfo = timezone.utc,
                    period: timedelta = CORRELATION_PERIOD) -> Correlation:
    """The correlation over the last year of her diary, from one query, by her own clock (``zone``)."""
    return correlation_of(entries_since(patient_id, now - period), now, zone)


def is_medicine(entry: DiaryEntry) -> bool:
    """An exposure she tagged "Medicine taken", or whose text names a medicine on the list."""
    return MEDICINE_TAG in (entry.tags or []) or names_medicine(entry.text or "")


def correlation_of(entries: list[DiaryEntry], now: datetime, zone: tzinfo = timezone.utc) -> Correlation:
    """Medicines are left out of the exposures (all of the entry: its text and its tags): she may take a
    medicine *because* she flares, so "skin flared after cetirizine 6 of 6 times" would read the wrong way
    round (issue 23). The entry still counts as a day she was logging."""
    exposures: list[Exposure] = []
    ratings: list[Rating] = []
    logging: list[Rating] = []
    for e in entries:
        if e.kind == EXPOSURE and is_medicine(e):
            logging.append(Rating(e.occurred_at, "", 0))
        elif e.kind == EXPOSURE:
            exposures.extend(Exposure(e.occurred_at, TAG_PREFIX + t) for t in e.tags)
            key = food_key(e.text)
            if key:
                exposures.append(Exposure(e.occurred_at, key))
        else:
            ratings.extend(Rating(e.occurred_at, s, int(v)) for s, v in e.ratings.items())
    start = entries[0].occurred_at if entries else now
    return correlate(exposures, ratings + logging, start=start, end=max(now, start), zone=zone)


def key_text(key: str) -> str:
    kind, _, name = key.partition(":")
    return TAGS.get(name, name) if kind == "tag" else name
