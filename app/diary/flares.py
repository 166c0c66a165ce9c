"""The flare log: a flare starts at its onset, ends when she says so, and carries tryptase results.

The acute tryptase advice follows the MCAS consensus (Valent et al. 2019, PMC7115850) and NICE CG134: a
sample drawn as soon as possible after the onset of an episode, ideally within 2 hours and no later than 4
hours, compared with a baseline drawn at least 24 hours after symptoms have settled, documents mast cell
activation when it rises by 20% + 2 ng/mL (app.clinical.tryptase).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clinical.tryptase import TryptaseRise, assess_rise
from app.diary.entries import EDITABLE_FOR, DiaryError, parse_local, zone_of
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.diary import ACUTE, BASELINE, Flare, FlareLabSettings, TryptaseResult
from app.models.scheduling import Appointment, PractitionerProfile

BASELINE_AFTER = timedelta(hours=24)
ACUTE_WINDOW = (timedelta(hours=2), timedelta(hours=4))  # ideally by, and no later than (NICE CG134)
MAX_TRYPTASE = Decimal("1000")
REPEAT_WITHIN = timedelta(hours=1)


def start_flare(patient: User, *, now: datetime) -> Flare:
    """A new flare from now, or the one she started in the last hour and has not marked over: a second
    tap (or a resent form) opens the same flare instead of logging two."""
    recent = db.session.scalar(select(Flare).where(Flare.patient_id == patient.id, Flare.ended_at.is_(None),
                                                   Flare.onset_at > now - REPEAT_WITHIN, Flare.onset_at <= now)
                               .order_by(Flare.onset_at.desc()).limit(1))
    if recent is not None:
        return recent
    flare = Flare(patient_id=patient.id, onset_at=now, created_at=now)
    db.session.add(flare)
    db.session.flush()
    record("create", "flare", flare.id, actor=patient, patient_id=patient.id)
    return flare


def own_flare(patient: User, flare_id: int) -> Flare | None:
    return db.session.scalar(select(Flare).options(selectinload(Flare.tryptase))
                             .where(Flare.id == flare_id, Flare.patient_id == patient.id))


def not_before_onset(flare: Flare, instant: datetime) -> datetime | None:
    """``instant`` read against the flare's onset at the precision she can type (whole minutes): a time in
    the minute the flare started counts as the onset itself (the form's prefilled time is cut to the minute
    while the onset keeps its seconds, issue 23). None when it is before that minute."""
    if instant >= flare.onset_at:
        return instant
    if instant >= flare.onset_at.replace(second=0, microsecond=0):
        return flare.onset_at
    return None


def end_flare(patient: User, flare: Flare, form: Any, *, now: datetime) -> None:
    if flare.ended_at is not None:
        raise DiaryError({"ended_at": "This flare has already been marked as over."}, status=409)
    ended = not_before_onset(flare, parse_local(form.get("ended_at"), zone_of(patient), now=now, field="ended_at"))
    if ended is None:
        raise DiaryError({"ended_at": "The end cannot be before the flare started."})
    note = str(form.get("note") or "").strip()
    if len(note) > 500:
        raise DiaryError({"note": "Keep the note under 500 characters."})
    flare.ended_at, flare.note = ended, note or flare.note
    record("update", "flare", flare.id, actor=patient, patient_id=patient.id)


def add_tryptase(patient: User, flare: Flare | None, form: Any, *, now: datetime) -> TryptaseResult:
    errors: dict[str, str] = {}
    kind = str(form.get("kind") or "")
    if kind not in (ACUTE, BASELINE):
        errors["kind"] = "Choose whether this was drawn during the flare or as a baseline."
    if kind == ACUTE and flare is None:
        errors["kind"] = "An acute result belongs to a flare."
    try:
        value = Decimal(str(form.get("value") or "").strip().replace(",", "."))
        if not value.is_finite() or value < 0 or value > MAX_TRYPTASE:
            raise InvalidOperation
        value = value.quantize(Decimal("0.1"))
    except InvalidOperation:
        errors["value"] = "Enter the tryptase in ng/mL, for example 5.4."
        value = Decimal(0)
    try:
        drawn = parse_local(form.get("drawn_at"), zone_of(patient), now=now, field="drawn_at")
        if kind == ACUTE and flare is not None:
            after = not_before_onset(flare, drawn)
            if after is None:
                errors["drawn_at"] = "An acute sample is drawn after the flare started."
            drawn = after or drawn
    except DiaryError as error:
        errors.update(error.errors)
        drawn = now
    if errors:
        raise DiaryError(errors)
    result = TryptaseResult(patient_id=patient.id, flare_id=flare.id if flare else None, kind=kind,
                            value_ng_ml=value, drawn_at=drawn, created_at=now)
    db.session.add(result)
    db.session.flush()
    record("create", "tryptase", result.id, actor=patient, patient_id=patient.id)
    return result


def delete_flare(patient: User, flare: Flare, form: Any, *, now: datetime) -> int:
    """Delete a flare started by mistake, with its tryptase results, once she has confirmed (the page asks
    first: it cannot be undone). Within 48 hours of starting it, like diary entries; then it is kept (409).
    Returns how many tryptase results went with it."""
    if now - flare.created_at >= EDITABLE_FOR:
        raise DiaryError({"confirm": "A flare can be deleted for 48 hours after it was started; this one is now "
                                     "kept as it was."}, status=409)
    if form.get("confirm") != "yes":
        raise DiaryError({"confirm": "Tick the box to confirm you want to delete this flare."})
    results = list(flare.tryptase)
    for result in results:
        db.session.delete(result)
    db.session.delete(flare)
    db.session.flush()
    record("delete", "flare", flare.id, actor=patient, patient_id=patient.id, detail={"tryptase": len(results)})
    return len(results)


def lab_settings_for_patient(patient: User) -> FlareLabSettings | None:
    """The acute-tryptase advice of her practitioner (the one she last booked with), when set up."""
    return db.session.scalar(
        select(FlareLabSettings).join(PractitionerProfile, PractitionerProfile.id == FlareLabSettings.practitioner_id)
        .join(Appointment, Appointment.practitioner_id == PractitionerProfile.id)
        .where(Appointment.patient_id == patient.id, FlareLabSettings.lab_order != "")
        .order_by(Appointment.starts_at.desc()).limit(1))


def flares_since(patient_id: int, since: datetime) -> list[Flare]:
    return list(db.session.scalars(select(Flare).options(selectinload(Flare.tryptase))
                                   .where(Flare.patient_id == patient_id, Flare.onset_at >= since)
                                   .order_by(Flare.onset_at.desc())))


def latest_baseline(patient_id: int) -> TryptaseResult | None:
    return db.session.scalar(select(TryptaseResult).where(TryptaseResult.patient_id == patient_id,
                                                          TryptaseResult.kind == BASELINE)
                             .order_by(TryptaseResult.drawn_at.desc()).limit(1))


@dataclass(frozen=True)
class FlareRise:
    flare: Flare
    acute: TryptaseResult
    rise: TryptaseRise | None  # None without a baseline


def rises(flares: list[Flare], baseline: TryptaseResult | None) -> list[FlareRise]:
    """The 20% + 2 rule for each acute result, against her latest baseline."""
    out = []
    for flare in flares:
        for result in flare.tryptase:
            if result.kind != ACUTE:
                continue
            hours = Decimal((result.drawn_at - flare.onset_at).total_seconds() / 3600).quantize(Decimal("0.1"))
            rise = assess_rise(baseline.value_ng_ml, result.value_ng_ml, hours) if baseline else None
            out.append(FlareRise(flare, result, rise))
    return out


def baseline_due_at(flare: Flare) -> datetime | None:
    return flare.ended_at + BASELINE_AFTER if flare.ended_at else None
