"""Cached open times, exact to the last booking.

Every change that can change open times (an appointment's status, span or hold; weekly hours,
overrides, time off; a consultation type or the practitioner's profile) raises the practitioner's
`schedule_version` in the same flush, so a cached answer keyed on the version read with the
consultation type is never stale because of a change. Time still passes: entries live at most
CACHE_SECONDS (a hold that runs out frees its time at most that late), and the notice and horizon
limits are re-applied to the cached starts at every request, against the current `now`.

Caches are per process and per app (each gunicorn worker has its own) and small.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, inspect, update

from app.extensions import db
from app.models.scheduling import (
    Appointment, ConsultationType, DateOverride, PractitionerProfile, TimeOff, WeeklyAvailability,
)

CACHE_SECONDS = 60
MAX_ENTRIES = 512
_SLOT_FIELDS = ("status", "starts_at", "blocked_start", "blocked_end", "hold_expires_at", "practitioner_id",
                "consultation_type_id")
_lock = threading.Lock()


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


def _practitioners_touched(session) -> set[int]:
    touched: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Appointment):
            state = inspect(obj)
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
        table = PractitionerProfile.__table__
        session.connection().execute(update(table).where(table.c.id.in_(touched))
                                     .values(schedule_version=table.c.schedule_version + 1))


_listening = False


def init_app(app) -> None:
    global _listening
    if not _listening:
        event.listen(db.session, "before_flush", _bump_versions)
        _listening = True
