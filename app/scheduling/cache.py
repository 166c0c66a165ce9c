"""Cached open times, exact to the last booking.

Every change that can change open times (an appointment's status, span or hold; weekly hours,
overrides, time off; a consultation type or the practitioner's profile) raises the practitioner's
`schedule_version` in the same flush, so a cached answer keyed on the version read with the
consultation type is never stale because of a change. Time still passes: entries live at most
CACHE_SECONDS (a hold that runs out frees its time at most that late), and the notice and horizon
limits are re-applied to the cached starts at every request, against the current `now`.

The public slots API reads the version without a query most of the time: `type_snapshot` keeps what
it needs of an active consultation type (with the practitioner's zone and schedule_version) for at most
SLOTS_REVALIDATE_SECONDS (1 s by default). A change committed by this process drops its snapshots at
once, so this process is exact to its own last booking; a booking made by another worker or host shows
in this one's open times at most that long later. Display only: a booking is always checked against
the database under the practitioner's lock, and a taken time answers 409 with the nearest open ones.

Caches are per process and per app (each gunicorn worker has its own) and small.
"""
from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, update

from app.extensions import db
from app.models.scheduling import (
    Appointment,
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import InstanceState

CACHE_SECONDS = 60
MAX_ENTRIES = 512
BODY_BYTES = 8 * 2**20  # rendered JSON kept per app: a few hundred 30-day answers
_SLOT_FIELDS = ("status", "starts_at", "blocked_start", "blocked_end", "hold_expires_at", "practitioner_id",
                "consultation_type_id")
_lock = threading.Lock()
monotonic = time.monotonic  # tests replace it to move the revalidation clock
_serials = itertools.count(1)


@dataclass(frozen=True)
class Answer:
    """One computed answer: the open starts as sorted UTC instants. `serial` tells answers apart
    when one is computed again under the same key (after CACHE_SECONDS)."""
    starts: list[datetime]
    serial: int = field(default_factory=lambda: next(_serials))

    @cached_property
    def digest(self) -> str:
        """A digest of the starts, the same in every process for the same answer (an ETag part)."""
        return hashlib.sha256(b"".join(int(start.timestamp()).to_bytes(8, "big", signed=True)
                                       for start in self.starts)).hexdigest()[:16]


def body(answer: Answer, key: tuple, render) -> bytes:
    """`render()` encoded, kept per (answer, key) in a least-recently-used store of at most
    BODY_BYTES per app: the JSON of an answer for one zone and one notice cut-off."""
    store = current_app.extensions.setdefault("slot_bodies", {"entries": OrderedDict(), "bytes": 0})
    full_key = (answer.serial, *key)
    with _lock:
        found = store["entries"].get(full_key)
        if found is not None:
            store["entries"].move_to_end(full_key)
            return found
    found = render().encode()
    with _lock:
        if full_key not in store["entries"]:
            store["entries"][full_key] = found
            store["bytes"] += len(found)
            while store["bytes"] > BODY_BYTES and len(store["entries"]) > 1:
                _, dropped = store["entries"].popitem(last=False)
                store["bytes"] -= len(dropped)
    return found


@dataclass(frozen=True)
class TypeSnapshot:
    """An active consultation type's slot rules with its practitioner's zone and schedule version,
    read in one query: all the slots API needs, and all the slot engine needs besides the schedule."""
    id: int
    slug: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    granularity_minutes: int
    min_notice_minutes: int
    horizon_days: int
    max_per_day: int | None
    practitioner_id: int
    timezone: str
    schedule_version: int


def type_snapshot(slug: str, load) -> TypeSnapshot | None:
    """The snapshot for `slug`, read through `load(slug)` when none is younger than
    SLOTS_REVALIDATE_SECONDS. Unknown slugs are not remembered (any string can be asked for)."""
    snapshots = current_app.extensions.setdefault("slot_type_snapshots", {})
    fresh_for = current_app.config["SLOTS_REVALIDATE_SECONDS"]
    now = monotonic()
    hit = snapshots.get(slug)
    if hit is not None and 0 <= now - hit[0] < fresh_for:
        return hit[1]
    snapshot = load(slug)
    with _lock:
        if snapshot is None:
            snapshots.pop(slug, None)
        else:
            snapshots[slug] = (now, snapshot)
    return snapshot


def forget_snapshots(app=None) -> None:
    with _lock:
        (app or current_app).extensions.get("slot_type_snapshots", {}).clear()


def _entries(app=None) -> OrderedDict:
    return (app or current_app).extensions.setdefault("slot_cache", OrderedDict())


def get(key: tuple, now: datetime):
    entries = _entries()
    with _lock:
        entry = entries.get(key)
        if entry is None:
            return None
        computed_at, value = entry
        if now - computed_at > timedelta(seconds=CACHE_SECONDS) or now < computed_at:
            del entries[key]
            return None
        entries.move_to_end(key)
        return value


def put(key: tuple, now: datetime, value) -> None:
    entries = _entries()
    with _lock:
        entries[key] = (now, value)
        entries.move_to_end(key)
        while len(entries) > MAX_ENTRIES:
            entries.popitem(last=False)


def clear(app=None) -> None:
    with _lock:
        _entries(app).clear()
        (app or current_app).extensions.pop("slot_bodies", None)
    forget_snapshots(app)


def _practitioners_touched(session) -> set[int]:
    touched: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Appointment):
            state: InstanceState[Any] = inspect(obj)
            if obj in session.new or obj in session.deleted or any(
                    state.attrs[name].history.has_changes() for name in _SLOT_FIELDS):
                touched.add(obj.practitioner_id)
        elif isinstance(obj, (WeeklyAvailability, DateOverride, TimeOff, ConsultationType)):
            touched.add(obj.practitioner_id)
        elif isinstance(obj, PractitionerProfile) and obj.id is not None:
            state = inspect(obj)
            if any(attr.history.has_changes() for attr in state.attrs if attr.key != "schedule_version"):
                touched.add(obj.id)
    touched.discard(None)
    return touched


def _bump_versions(session, flush_context, instances) -> None:
    touched = _practitioners_touched(session)
    if touched:
        session.info.setdefault("schedule_touched", set()).update(touched)
        table = PractitionerProfile.__table__
        session.connection().execute(update(table).where(table.c.id.in_(touched))
                                     .values(schedule_version=table.c.schedule_version + 1))


def _committed(session) -> None:
    # This process changed a schedule: its own snapshots must not hide the change for a second.
    if session.info.pop("schedule_touched", None) and has_app_context():
        forget_snapshots()


_listening = False


def init_app(app) -> None:
    global _listening
    if not _listening:
        event.listen(db.session, "before_flush", _bump_versions)
        event.listen(db.session, "after_commit", _committed)
        _listening = True


def schedule_changed(practitioner_id: int) -> None:
    """Raise a practitioner's schedule_version for a change the flush listener cannot see (bulk
    statements, such as a calendar sync replacing its busy rows), in the current transaction."""
    db.session.info.setdefault("schedule_touched", set()).add(practitioner_id)
    table = PractitionerProfile.__table__
    db.session.execute(update(table).where(table.c.id == practitioner_id)
                       .values(schedule_version=table.c.schedule_version + 1))
