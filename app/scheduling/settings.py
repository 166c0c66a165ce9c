"""Validation and writes behind the practitioner's schedule editors: weekly hours, date overrides,
time off, consultation types and the booking policy.

Each write function takes the profile and the values as typed into the form (strings), checks all of
them and raises SettingsError with every problem keyed by field name before it changes anything;
then it makes its writes and an audit record in the caller's transaction. The route commits.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.database import rowcount
from app.extensions import db
from app.models.audit import record
from app.models.scheduling import (
    FIXED_LINK,
    JITSI_LINK,
    MODES,
    VIDEO_LINKS,
    WEEKDAYS,
    Appointment,
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)
from app.money import AmountError, decimals, format_amount, parse_amount
from app.scheduling.schedule import MAX_BLOCKED, blocking_clause
from app.timezones import valid_zone_name
from app.validation import Checker, FieldErrors, clean

# The slot engine and the busy-span scan assume no appointment blocks more than MAX_BLOCKED.
MINUTES_PER_DAY = int(MAX_BLOCKED.total_seconds()) // 60
GRANULARITIES = (5, 6, 10, 12, 15, 20, 30, 60)  # divide the hour, so every hour starts on the grid
OVERRIDE_REACH = timedelta(days=731)

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class SettingsError(FieldErrors):
    pass


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class _Checker(Checker):
    """The shared field checks (app/validation.py), plus clock times, days and local instants."""
    error = SettingsError

    def clock(self, field: str, raw: object, what: str) -> time | None:
        value = clean(raw)
        match = _CLOCK.fullmatch(value)
        if not value:
            self.fail(field, f"Enter {what} time, or clear both times of this row.")
        elif value in ("24:00", "24:00:00"):
            self.fail(field, "A day's hours end at 23:59 at the latest: use 23:59 instead of 24:00.")
        elif not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
            self.fail(field, "Enter a time on the 24-hour clock, like 09:00 or 17:30.")
        else:
            return time(int(match[1]), int(match[2]), int(match[3] or 0))
        return None

    def day(self, field: str, raw: object, today: date) -> date | None:
        value = clean(raw)
        try:
            chosen = date.fromisoformat(value) if _DAY.fullmatch(value) else None
        except ValueError:
            chosen = None
        if chosen is None:
            self.fail(field, "Enter a date like 2027-03-14." if value else "Enter the date.")
        elif chosen < today:
            self.fail(field, "Choose today or a later date.")
        elif chosen > today + OVERRIDE_REACH:
            self.fail(field, "Choose a date within the next two years.")
        else:
            return chosen
        return None

    def instant(self, field: str, raw: object, zone: ZoneInfo, what: str) -> datetime | None:
        """A local date and time in `zone` as a UTC instant (see `local_instant`)."""
        value = clean(raw)
        try:
            wall = datetime.fromisoformat(value) if _LOCAL_DATETIME.fullmatch(value) else None
        except ValueError:
            wall = None
        if wall is None or not 1970 <= wall.year <= 2999:  # far-off years overflow with an offset
            self.fail(field, f"Enter the {what} as a date and time like 2027-03-14T09:00."
                      if value else f"Enter the {what} date and time.")
            return None
        instant = local_instant(wall, zone)
        if instant is None:
            self.fail(field, f"{wall:%H:%M} on {wall:%A %-d %B %Y} does not exist in {zone.key}: the clocks "
                             "go forward at that time. Choose a time after the change.")
        return instant


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant whose reading in `zone` is `wall`: None inside a spring-forward gap; on a
    repeated fall-back hour the earlier of the two (fold=0, PEP 495)."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    # zoneinfo quietly maps a skipped wall time to a real instant; the round trip tells it apart.
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _ranges(check: _Checker, rows: Sequence[tuple[str, str]], prefix: str) -> list[tuple[time, time]]:
    """Rows (start, end) as typed -> sorted ranges; errors keyed `{prefix}-{n}-start` / `-end`."""
    parsed = []
    for n, (raw_start, raw_end) in enumerate(rows):
        if not clean(raw_start) and not clean(raw_end):
            continue  # a spare row left empty
        start_key, end_key = f"{prefix}-{n}-start", f"{prefix}-{n}-end"
        start, end = check.clock(start_key, raw_start, "a start"), check.clock(end_key, raw_end, "an end")
        if start is not None and end is not None:
            if end <= start:
                check.fail(end_key, "The end must be after the start.")
            else:
                parsed.append((start, end, start_key))
    parsed.sort()
    widest: tuple[time, time] | None = None  # the range reaching furthest so far
    for start, end, key in parsed:
        if widest and start < widest[1]:
            check.fail(key, f"This overlaps {hhmm(widest[0])}–{hhmm(widest[1])}. "
                            "Ranges on one day may touch but not overlap.")
        if widest is None or end > widest[1]:
            widest = (start, end)
    return [(start, end) for start, end, _ in parsed]


def _audit(profile: PractitionerProfile, actor, section: str, **detail) -> None:
    record("update", "schedule", profile.id, actor=actor, detail={"section": section, **detail})


# --- weekly hours ---------------------------------------------------------------------------------

def replace_weekly_hours(profile: PractitionerProfile, days: Mapping[int, Sequence[tuple[str, str]]], *,
                         actor) -> int:
    """Replace all weekly ranges. `days` maps weekday (0 = Monday) to its rows of (start, end) text;
    errors are keyed `day-{weekday}-{row}-start` / `-end`. Returns the number of ranges kept."""
    check = _Checker()
    ranges = {weekday: _ranges(check, days.get(weekday, ()), f"day-{weekday}") for weekday in range(7)}
    check.done()
    profile.weekly_hours = [WeeklyAvailability(weekday=weekday, start_time=start, end_time=end)
                            for weekday, day_ranges in ranges.items() for start, end in day_ranges]
    _audit(profile, actor, "weekly_hours",
           ranges=[[WEEKDAYS[w], hhmm(s), hhmm(e)] for w, rs in ranges.items() for s, e in rs])
    return len(profile.weekly_hours)


# --- date overrides -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverrideDay:
    day: date
    ranges: tuple[tuple[time, time], ...]  # empty: closed all day
    note: str

    @property
    def closed(self) -> bool:
        return not self.ranges


def upcoming_overrides(profile: PractitionerProfile, today: date) -> list[OverrideDay]:
    rows = db.session.scalars(
        select(DateOverride).where(DateOverride.practitioner_id == profile.id, DateOverride.day >= today)
        .order_by(DateOverride.day, DateOverride.start_time)).all()
    by_day: dict[date, list[DateOverride]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    return [OverrideDay(day, tuple((r.start_time, r.end_time) for r in group
                                   if r.start_time is not None and r.end_time is not None),
                        group[0].note) for day, group in by_day.items()]


def set_date_override(profile: PractitionerProfile, *, day: str, closed: bool, ranges: Sequence[tuple[str, str]],
                      note: str, today: date, actor) -> date:
    """Close a local date, or open it only at `ranges` (errors keyed `range-{n}-start`), replacing
    any override it had."""
    check = _Checker()
    chosen = check.day("day", day, today)
    typed = any(clean(a) or clean(b) for a, b in ranges)
    if closed and typed:
        check.fail("kind", "You chose closed all day: clear the opening hours, or choose open at these times.")
    opening = [] if closed else _ranges(check, ranges, "range")
    if not closed and not typed:
        check.fail("range-0-start", "Enter at least one range of opening hours, or choose closed all day.")
    note = check.line("note", note, limit=200)
    check.done()
    assert chosen is not None  # check.day gives None only after check.fail, and then check.done raised
    db.session.execute(delete(DateOverride).where(DateOverride.practitioner_id == profile.id,
                                                  DateOverride.day == chosen))
    rows: Sequence[tuple[time | None, time | None]] = opening or [(None, None)]  # one row without times closes the date
    db.session.add_all(DateOverride(practitioner_id=profile.id, day=chosen, start_time=start, end_time=end,
                                    note=note) for start, end in rows)
    _audit(profile, actor, "date_override", day=chosen.isoformat(),
           ranges=[[hhmm(s), hhmm(e)] for s, e in opening])
    return chosen


def delete_date_override(profile: PractitionerProfile, day: date, *, actor) -> bool:
    deleted = rowcount(db.session.execute(delete(DateOverride).where(
        DateOverride.practitioner_id == profile.id, DateOverride.day == day)))
    if deleted:
        _audit(profile, actor, "date_override", day=day.isoformat(), deleted=True)
    return bool(deleted)


# --- time off -------------------------------------------------------------------------------------

def upcoming_time_off(profile: PractitionerProfile, now: datetime) -> list[TimeOff]:
    return list(db.session.scalars(
        select(TimeOff).where(TimeOff.practitioner_id == profile.id, TimeOff.ends_at > now)
        .order_by(TimeOff.starts_at)).all())


def add_time_off(profile: PractitionerProfile, *, starts_at: str, ends_at: str, reason: str, now: datetime,
                 actor) -> TimeOff:
    """Time off from local date-times in the practitioner's zone (as from datetime-local inputs)."""
    check = _Checker()
    zone = ZoneInfo(profile.timezone)
    start = check.instant("starts_at", starts_at, zone, "start")
    end = check.instant("ends_at", ends_at, zone, "end")
    reason = check.line("reason", reason, limit=200)
    if start is not None and end is not None:
        if end <= start:
            check.fail("ends_at", "The end must be after the start.")
        elif end <= now:
            check.fail("ends_at", "This time has already passed. Enter time off that ends in the future.")
    check.done()
    assert start is not None and end is not None  # check.instant gives None only after check.fail (done raised)
    time_off = TimeOff(practitioner_id=profile.id, starts_at=start, ends_at=end, reason=reason)
    db.session.add(time_off)
    db.session.flush()
    _audit(profile, actor, "time_off", id=time_off.id, starts_at=start.isoformat(), ends_at=end.isoformat())
    return time_off


def appointments_during(profile: PractitionerProfile, start: datetime, end: datetime, now: datetime) -> int:
    """Active appointments overlapping [start, end): time off does not cancel them."""
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.practitioner_id == profile.id, Appointment.starts_at < end, Appointment.ends_at > start,
        blocking_clause(now))) or 0


def delete_time_off(profile: PractitionerProfile, time_off_id: int, *, actor) -> bool:
    deleted = rowcount(db.session.execute(delete(TimeOff).where(
        TimeOff.practitioner_id == profile.id, TimeOff.id == time_off_id)))
    if deleted:
        _audit(profile, actor, "time_off", id=time_off_id, deleted=True)
    return bool(deleted)


# --- consultation types ---------------------------------------------------------------------------

def type_values(ct: ConsultationType | None, *, next_order: int = 0) -> dict[str, object]:
    """The editor's fields as text: from a type, or the defaults for a new one."""
    if ct is None:
        return {"duration_minutes": "60", "price": "0.00", "currency": "usd", "buffer_before_minutes": "0",
                "buffer_after_minutes": "0", "min_notice_hours": "24", "horizon_days": "60",
                "granularity_minutes": "15", "mode": "video", "intake_required": True,
                "reminder_lead_hours": "24", "active": True, "display_order": str(next_order),
                "video_link": FIXED_LINK, "patient_cancel_cutoff_hours": "", "patient_reschedule_cutoff_hours": ""}
    return {
        "slug": ct.slug, "name": ct.name, "description": ct.description,
        "duration_minutes": str(ct.duration_minutes), "price": format_amount(ct.price_minor, ct.currency),
        "currency": ct.currency, "buffer_before_minutes": str(ct.buffer_before_minutes),
        "buffer_after_minutes": str(ct.buffer_after_minutes), "min_notice_hours": str(ct.min_notice_minutes // 60),
        "horizon_days": str(ct.horizon_days), "max_per_day": "" if ct.max_per_day is None else str(ct.max_per_day),
        "granularity_minutes": str(ct.granularity_minutes), "mode": ct.mode, "location": ct.location,
        "intake_required": ct.intake_required, "reminder_lead_hours": str(ct.reminder_lead_minutes // 60),
        "active": ct.active, "display_order": str(ct.display_order), "video_link": ct.video_link,
        "patient_cancel_cutoff_hours": _blank_or(ct.patient_cancel_cutoff_hours),
        "patient_reschedule_cutoff_hours": _blank_or(ct.patient_reschedule_cutoff_hours),
    }


def _blank_or(value: int | None) -> str:
    return "" if value is None else str(value)


def save_consultation_type(profile: PractitionerProfile, values: Mapping[str, object], *, actor,
                           existing: ConsultationType | None = None) -> ConsultationType:
    """Create a type, or update `existing`. Types are never deleted: appointments refer to them."""
    check = _Checker()
    fields = {**_type_about(check, values, existing), **_type_timing(check, values), **_type_price(check, values)}
    check.done()
    ct = existing or ConsultationType(practitioner_id=profile.id)
    for name, value in fields.items():
        setattr(ct, name, value)
    db.session.add(ct)
    try:
        with db.session.begin_nested():  # the unique index settles a race for the same slug
            db.session.flush()
    except IntegrityError:
        raise SettingsError({"slug": SLUG_TAKEN}) from None
    _audit(profile, actor, "consultation_type", id=ct.id, slug=ct.slug, created=existing is None, active=ct.active)
    return ct


RESERVED_SLUGS = {"safety", "pay"}  # /book/safety and /book/pay/<id> are pages of their own
SLUG_TAKEN = "Another consultation type already uses this slug. Choose a different one."


def _type_about(check: _Checker, v: Mapping[str, object], existing: ConsultationType | None) -> dict:
    slug = check.line("slug", v.get("slug"), limit=60, required="Enter a slug, like follow-up.")
    if slug and not _SLUG.fullmatch(slug):
        check.fail("slug", "Use lowercase letters, digits and single hyphens between them, like follow-up.")
    elif slug in RESERVED_SLUGS:
        check.fail("slug", f"“{slug}” is used by the booking pages themselves. Choose a different slug.")
    elif slug and db.session.scalar(select(ConsultationType.id).where(
            ConsultationType.slug == slug, ConsultationType.id != (existing.id if existing else -1))):
        check.fail("slug", SLUG_TAKEN)
    mode = clean(v.get("mode"))
    if mode not in MODES:
        check.fail("mode", "Choose video call, phone call or in person.")
    location = check.text("location", v.get("location"), limit=500)
    video_link = clean(v.get("video_link")) or FIXED_LINK
    if video_link not in VIDEO_LINKS:
        check.fail("video_link", "Choose a fixed meeting link or a new Jitsi room for each appointment.")
    if mode == "video" and video_link == JITSI_LINK:
        location = location if not location or location.startswith("https://") else ""
    elif mode == "video" and not location.startswith("https://"):
        check.fail("location", "Enter the meeting link for video calls, starting with https://.")
    elif mode == "in_person" and not location:
        check.fail("location", "Enter the address for in-person consultations.")
    return {"slug": slug, "name": check.line("name", v.get("name"), limit=120, required="Enter a name."),
            "description": check.text("description", v.get("description"), limit=5000), "mode": mode,
            "location": location, "video_link": video_link, "intake_required": bool(v.get("intake_required")),
            "active": bool(v.get("active")),
            "display_order": check.whole("display_order", v.get("display_order"), 0, 999, blank=0)}


def _type_timing(check: _Checker, v: Mapping[str, object]) -> dict:
    day = MINUTES_PER_DAY
    duration = check.whole("duration_minutes", v.get("duration_minutes"), 1, day, "minutes")
    before = check.whole("buffer_before_minutes", v.get("buffer_before_minutes"), 0, day, "minutes", blank=0)
    after = check.whole("buffer_after_minutes", v.get("buffer_after_minutes"), 0, day, "minutes", blank=0)
    if duration is not None and before is not None and after is not None and duration + before + after > day:
        check.fail("duration_minutes", f"The duration plus buffers must be at most 24 hours ({day} minutes); "
                                       f"these add up to {duration + before + after}.")
    granularity = check.whole("granularity_minutes", v.get("granularity_minutes"), 5, 60, message=GRANULARITY)
    if granularity is not None and granularity not in GRANULARITIES:
        check.fail("granularity_minutes", GRANULARITY)
    notice = check.whole("min_notice_hours", v.get("min_notice_hours"), 0, 24 * 365, "hours")
    horizon = check.whole("horizon_days", v.get("horizon_days"), 1, 730, "days")
    if notice is not None and horizon is not None and notice >= horizon * 24:
        check.fail("min_notice_hours", "The minimum notice must be shorter than the booking horizon, "
                                       "or no time could ever be booked.")
    reminder = check.whole("reminder_lead_hours", v.get("reminder_lead_hours"), 1, 24 * 14, "hours")
    return {"duration_minutes": duration, "buffer_before_minutes": before, "buffer_after_minutes": after,
            "granularity_minutes": granularity, "min_notice_minutes": None if notice is None else notice * 60,
            "horizon_days": horizon, "reminder_lead_minutes": None if reminder is None else reminder * 60,
            "max_per_day": check.whole("max_per_day", v.get("max_per_day"), 1, 100, "consultations", blank=None),
            "patient_cancel_cutoff_hours": check.whole(
                "patient_cancel_cutoff_hours", v.get("patient_cancel_cutoff_hours"), 0, 24 * 30, "hours", blank=None),
            "patient_reschedule_cutoff_hours": check.whole(
                "patient_reschedule_cutoff_hours", v.get("patient_reschedule_cutoff_hours"), 0, 24 * 30, "hours",
                blank=None)}


GRANULARITY = "Choose 5, 6, 10, 12, 15, 20, 30 or 60 minutes: start times follow a grid that divides the hour."


def _type_price(check: _Checker, v: Mapping[str, object]) -> dict:
    currency, price_minor = clean(v.get("currency")).lower(), None
    try:
        price_minor = parse_amount(clean(v.get("price")), currency)
    except AmountError as refused:
        check.fail("price", refused.message)
    if not re.fullmatch(r"[a-z]{3}", currency):
        check.fail("currency", "Enter a three-letter ISO currency code, like USD or EUR.")
    elif decimals(currency) != 2:  # prices are typed with two decimals here
        check.fail("currency", f"{currency.upper()} has no cents-style minor unit, which this practice's prices "
                               "need. Choose a currency like USD, EUR or GBP.")
    return {"price_minor": price_minor, "currency": currency}


# --- booking policy and profile ------------------------------------------------------------------

_POLICY_NUMBERS = {  # field: (lowest, highest, unit)
    "cancellation_notice_hours": (0, 24 * 30, "hours"), "reschedule_notice_hours": (0, 24 * 30, "hours"),
    "max_reschedules": (0, 20, "reschedules"), "late_cancel_refund_percent": (0, 100, "percent"),
}
POLICY_FIELDS = ("display_name", "credentials", "bio", "timezone", "contact_email", "contact_phone", "privacy_notice",
                 *_POLICY_NUMBERS)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()\-]{6,40}")


def policy_values(profile: PractitionerProfile) -> dict[str, object]:
    return {name: getattr(profile, name) for name in POLICY_FIELDS}


def update_policy(profile: PractitionerProfile, v: Mapping[str, object], *, actor) -> list[str]:
    """Save the profile and booking policy; returns the names of the fields that changed."""
    check = _Checker()
    zone = clean(v.get("timezone"))
    if not valid_zone_name(zone):
        check.fail("timezone", "Choose a time zone from the list, for example America/New_York.")
    display_name = check.line("display_name", v.get("display_name"), limit=120,
                              required="Enter the name patients see.")
    credentials = check.line("credentials", v.get("credentials"), limit=120)
    bio = check.text("bio", v.get("bio"), limit=5000)
    email = check.line("contact_email", v.get("contact_email"), limit=254)
    phone = check.line("contact_phone", v.get("contact_phone"), limit=40)
    notice = check.text("privacy_notice", v.get("privacy_notice"), limit=50000)
    fields = {
        "display_name": display_name, "credentials": credentials, "bio": bio, "timezone": zone,
        "contact_email": email, "contact_phone": phone, "privacy_notice": notice,
        **{name: check.whole(name, v.get(name), low, high, unit,
                             message="Enter a percentage from 0 to 100." if unit == "percent" else None)
           for name, (low, high, unit) in _POLICY_NUMBERS.items()},
    }
    if email and not _EMAIL.fullmatch(email):
        check.fail("contact_email", "Enter an email address like hello@practice.example, or leave it empty.")
    if phone and not _PHONE.fullmatch(phone):
        check.fail("contact_phone", "Enter a phone number of digits, spaces and an optional leading +.")
    check.done()
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, fields[name])
    if profile.policy_saved_at is None:
        profile.policy_saved_at = utcnow()
    _audit(profile, actor, "policy", changed=changed)
    return changed
