"""Database engine settings per dialect, and the write lock that serialises writers on SQLite.

SQLite in WAL mode lets readers run beside one writer, but it cannot upgrade a transaction that has
read into one that writes once another connection has committed: it fails at once with "database is
locked", whatever the busy timeout. So on SQLite a transaction that will write starts with
BEGIN IMMEDIATE (writers queue on the busy timeout instead of failing), and one that only reads starts
with a plain BEGIN and takes no write lock:

- a POST, PUT, PATCH or DELETE request, and every worker task (`writes_immediately`), write;
- a GET, HEAD or OPTIONS request reads, unless its view is marked `@writes` (an audited read writes
  its audit row); a read-only request that writes anyway is refused by `_refuse_unlocked_writes`,
  so the mistake shows in tests rather than as a rare "database is locked" under load;
- a read-only request that must write now and then (a session's last-seen time) calls
  `lock_for_writing()` first.

PostgreSQL needs none of this: it locks rows, and its exclusion constraint guards bookings.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, TypeVar, Unpack

from flask import Flask, current_app, request
from sqlalchemy import CursorResult, Result, event

from app.extensions import db

_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)
# While serving a request or a task: "write" (BEGIN IMMEDIATE) or "read" (plain BEGIN); None otherwise.
_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("sqlite_transaction_mode", default=None)
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

View = TypeVar("View", bound=Callable)


def writes(view: View) -> View:
    """Mark a GET view that writes (e.g. an audited read of health data): on SQLite its transaction
    takes the write lock at its first statement, as a form post's does."""
    setattr(view, "writes_to_database", True)  # noqa: B010  (an attribute the view keeps through functools.wraps)
    return view


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)

        @app.before_request
        def _choose_transaction_mode():
            view = current_app.view_functions.get(request.endpoint or "")
            reads = request.method in READ_ONLY_METHODS and not getattr(view, "writes_to_database", False)
            _mode.set("read" if reads else "write")

        @app.teardown_request
        def _request_done(_error=None):
            _mode.set(None)
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
        immediate = _immediate.get() or _mode.get() == "write"
        connection.info["read_only_request"] = not immediate and _mode.get() == "read"
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_unlocked_writes(connection, _cursor, statement, _parameters, _context, _executemany):
        if connection.info.get("read_only_request") and statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            raise RuntimeError(
                f"A read-only request ({request.method} {request.endpoint}) wrote to the database without the "
                "write lock: mark its view with @app.database.writes, or call lock_for_writing() before the "
                "transaction reads.")


@contextmanager
def writes_immediately():
    """A worker task behaves as a form post does: on SQLite each of its transactions begins with
    BEGIN IMMEDIATE, so it queues behind the web server's writers instead of failing "database is locked"."""
    token = _mode.set("write")
    try:
        yield
    finally:
        _mode.reset(token)


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


def lock_for_writing() -> None:
    """On SQLite: end the current read-only transaction (it must hold no changes) and begin one with
    BEGIN IMMEDIATE, so what follows may write. Nothing to do on PostgreSQL, or when already locked."""
    if not is_sqlite():
        return
    already = db.session.info.get("write_locked") or _mode.get() == "write"
    if already and db.session().in_transaction():
        return
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("lock_for_writing must come before any change in the transaction")
    db.session.commit()
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)
    db.session.info["write_locked"] = True


@contextmanager
def serialised_write(lock_statement=None):
    """Start a transaction that holds the database's write lock for bookings.

    SQLite: ends any read-only transaction of the request and begins a new one with BEGIN IMMEDIATE,
    so the overlap check and the insert cannot interleave with another writer. PostgreSQL: runs
    `lock_statement` (a SELECT ... FOR UPDATE on the practitioner's row); the exclusion constraint
    remains the final guard.
    """
    if is_sqlite():
        lock_for_writing()
    elif lock_statement is not None:
        db.session.execute(lock_statement)
    yield
