"""Counting the SQL statements a piece of code sends (the query-count tests)."""
from __future__ import annotations

import contextlib

from sqlalchemy import event

from app.extensions import db

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE")


@contextlib.contextmanager
def counting_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
