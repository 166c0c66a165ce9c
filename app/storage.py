"""Where uploaded files live: one small interface, so every host of the practice sees the same files.

The default (and only) backend keeps each file's bytes in the database (`stored_files`: bytea on
PostgreSQL, BLOB on SQLite), so the file and the row that names it are written, and erased, in one
transaction, and two web servers over one database serve the same files. Every call works in the
caller's transaction; nothing is committed here.

On SQLite, `secure_delete` (app/database.py) overwrites freed pages, and `forget_deleted` truncates the
write-ahead log after an erasure, so no copy stays in the database files. On PostgreSQL a deleted row
stays in its table's dead tuples (and in the WAL) until autovacuum reclaims it; no query, pg_dump or
backup taken afterwards contains it.

Files written before this existed live under UPLOAD_FOLDER: `flask import-uploads` copies them in
(`import_folder`, also run by migration c1200000002).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models.storage import StoredFile
from app.models.types import UTCDateTime


class FileStore(Protocol):
    def put(self, key: str, content: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class DatabaseStore:
    """Files as rows of `stored_files`, in the session's current transaction."""

    def put(self, key: str, content: bytes) -> None:
        db.session.add(StoredFile(key=key, content=content, size_bytes=len(content), created_at=utcnow()))
        db.session.flush()

    def get(self, key: str) -> bytes | None:
        return db.session.scalar(select(StoredFile.content).where(StoredFile.key == key))

    def delete(self, key: str) -> None:
        db.session.execute(sql_delete(StoredFile).where(StoredFile.key == key))

    def exists(self, key: str) -> bool:
        return db.session.scalar(select(sa.literal(True)).where(StoredFile.key == key)) is not None


_store = DatabaseStore()
logger = logging.getLogger("homeostasis.storage")


def files() -> FileStore:
    return _store


def forget_deleted() -> None:
    """After a committed erasure: on SQLite, fold the write-ahead log into the (secure-deleted) database
    file and truncate it, so the erased bytes are in neither. PostgreSQL: nothing to do here."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.commit()  # a checkpoint cannot run inside a transaction
    raw = db.engine.raw_connection()  # outside SQLAlchemy's transaction handling, which would BEGIN
    try:
        cursor = raw.cursor()
        busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    if busy:
        logger.warning("after an erasure the write-ahead log could not be truncated (a reader was busy); "
                       "the next checkpoint overwrites it")


def import_folder(connection: sa.Connection, folder: str | Path) -> tuple[int, int]:
    """Copy lab files from a host's UPLOAD_FOLDER into `stored_files` (core SQL, so the migration can
    use it too). Files already stored are skipped. Returns (copied, missing on this host)."""
    uploads = sa.table("lab_uploads", sa.column("stored_name", sa.String))
    stored = sa.table("stored_files", sa.column("key", sa.String), sa.column("content", sa.LargeBinary),
                      sa.column("size_bytes", sa.Integer), sa.column("created_at", UTCDateTime()))
    have = set(connection.execute(select(stored.c.key)).scalars())
    copied = missing = 0
    for name in connection.execute(select(uploads.c.stored_name)).scalars():
        if name in have:
            continue
        path = Path(folder) / name
        if not path.is_file():
            missing += 1
            continue
        content = path.read_bytes()
        connection.execute(stored.insert().values(key=name, content=content, size_bytes=len(content),
                                                  created_at=utcnow()))
        copied += 1
    return copied, missing
