"""What keeps the workers of several hosts from doing one thing twice, in the database they share
(table worker_locks; one row per name, made by an upsert, so the first use on a fresh database
cannot collide with another host's):

- `claim_tick(name, tick)`: the periodic task `name` due at schedule minute `tick` is enqueued by
  the one host whose claim moves the row's tick forward; every other scheduler skips it
  (app/tasks.py's `read_periodic`).
- `hold(name, seconds)` / `renew` / `release`: a lease, so a long job (the calendar sync) runs once
  at a time across hosts. It lapses by itself if its holder dies; the holder renews it as it goes.

Each call commits its own short transaction; none stays open across a job.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import utcnow
from app.database import rowcount
from app.extensions import db
from app.models.notify import WorkerLock, WorkerRun


def _insert(model):
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def claim_tick(name: str, tick: datetime) -> bool:
    """True for the one caller that claims `tick` for `name` first."""
    stmt = _insert(WorkerLock).values(name=name, tick=tick)
    stmt = stmt.on_conflict_do_update(
        index_elements=[WorkerLock.name], set_={"tick": stmt.excluded.tick},
        where=or_(WorkerLock.tick.is_(None), WorkerLock.tick < stmt.excluded.tick),
    ).returning(WorkerLock.name)
    claimed = db.session.execute(stmt).first() is not None
    db.session.commit()
    return claimed


def hold(name: str, seconds: float, now: datetime | None = None) -> datetime | None:
    """Take the lease `name` for `seconds` if nobody holds it: its token (when it lapses), else None."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    db.session.execute(_insert(WorkerLock).values(name=name).on_conflict_do_nothing(index_elements=[WorkerLock.name]))
    taken = rowcount(db.session.execute(
        update(WorkerLock).where(WorkerLock.name == name,
                                 or_(WorkerLock.held_until.is_(None), WorkerLock.held_until <= now))
        .values(held_until=until)))
    db.session.commit()
    return until if taken == 1 else None


def renew(name: str, token: datetime, seconds: float) -> datetime | None:
    """Extend a lease its holder still has: the new token, or None when it had lapsed and was taken."""
    until = max(utcnow() + timedelta(seconds=seconds), token)
    renewed = rowcount(db.session.execute(
        update(WorkerLock).where(WorkerLock.name == name, WorkerLock.held_until == token).values(held_until=until)))
    db.session.commit()
    return until if renewed == 1 else None


def release(name: str, token: datetime) -> None:
    """Give the lease back (only if it is still this holder's)."""
    db.session.execute(update(WorkerLock).where(WorkerLock.name == name, WorkerLock.held_until == token)
                       .values(held_until=None))
    db.session.commit()


def record_run(name: str, result: object, now: datetime | None = None) -> None:
    """Record that the periodic task `name` ran (GET /healthz reports the latest): one upsert."""
    now = now or utcnow()
    stmt = _insert(WorkerRun).values(name=name, last_run_at=now, last_result=str(result)[:200], runs=1)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[WorkerRun.name],
        set_={"last_run_at": stmt.excluded.last_run_at, "last_result": stmt.excluded.last_result,
              "runs": WorkerRun.runs + 1}))
    db.session.commit()
