"""Database engine settings per dialect, and the write lock that serialises bookings on SQLite.

SQLite in WAL mode cannot upgrade a transaction that has read into one that writes once another
connection has committed: it fails at once with "database is locked", whatever the busy timeout. So on
SQLite every transaction begun while serving a request starts with BEGIN IMMEDIATE (writers queue on
the busy timeout instead of failing), and `serialised_write` gives the same to CLI jobs. PostgreSQL
needs none of this: it locks rows, and its exclusion constraint guards bookings.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any, Unpack

from flask import Flask
from sqlalchemy import CursorResult, Result, event

from app.extensions import db

_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)
_in_request = contextvars.ContextVar("sqlite_request_immediate", default=False)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)

        @app.before_request
        def _requests_write_immediately():
            _in_request.set(True)

        @app.teardown_request
        def _request_done(_error=None):
            _in_request.set(False)
    global _listening
    if not _listening:
        event.listen(db.session, "after_commit", _forget_write_lock)
        event.listen(db.session, "after_rollback", _forget_write_lock)
        _listening = True


_listening = False


def _configure_sqlite(engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the driver, so BEGIN IMMEDIATE is possible (SQLAlchemy's
        # documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # Deleted rows are overwritten, not just unlinked: an erased lab file leaves no bytes behind.
        cursor.execute("PRAGMA secure_delete=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = _immediate.get() or _in_request.get()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writes_immediately():
    """A worker task behaves as a request does: on SQLite each of its transactions begins with
    BEGIN IMMEDIATE, so it queues behind the web server's writers instead of failing "database is locked"."""
    token = _in_request.set(True)
    try:
        yield
    finally:
        _in_request.reset(token)


def _forget_write_lock(session, *args) -> None:
    session.info.pop("write_locked", None)


def rowcount(result: Result[Unpack[tuple[Any, ...]]]) -> int:
    """The rows an UPDATE or DELETE without RETURNING matched. Session.execute() is typed as returning a
    Result, but for such a statement it returns a CursorResult, which is what carries the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count: execute an UPDATE or DELETE without RETURNING")
    return result.rowcount


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


@contextmanager
def serialised_write(lock_statement=None):
    """Start a transaction that holds the database's write lock for bookings.

    SQLite: ends any read-only transaction of the request and begins a new one with BEGIN IMMEDIATE,
    so the overlap check and the insert cannot interleave with another writer. PostgreSQL: runs
    `lock_statement` (a SELECT ... FOR UPDATE on the practitioner's row); the exclusion constraint
    remains the final guard.
    """
    if is_sqlite():
        already = db.session.info.get("write_locked") or _in_request.get()
        if already and db.session().in_transaction():
            yield  # already inside a write-locked transaction: nothing more to take
            return
        if db.session.new or db.session.dirty or db.session.deleted:
            raise RuntimeError("serialised_write must start before any change in the transaction")
        db.session.commit()
        token = _immediate.set(True)
        try:
            db.session.connection()
        finally:
            _immediate.reset(token)
        db.session.info["write_locked"] = True
    elif lock_statement is not None:
        db.session.execute(lock_statement)
    yield
