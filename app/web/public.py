"""The public face of the practice: home page and health check."""
from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import func, inspect, select, text

from app import tasks
from app.clock import utcnow
from app.extensions import db
from app.models.notify import WorkerRun

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@cache
def code_head() -> str | None:
    """The newest migration in migrations/ (what `flask db upgrade` would bring the database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(current_app.root_path).parent / "migrations")).get_current_head()


def database_revision() -> str | None:
    """The migration the database is at (Alembic's own table), or None if it was never migrated."""
    if not inspect(db.session.connection()).has_table("alembic_version"):
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok", "migration": {...}, "queue": {...}} when the database answers (and, in
    production, the worker ran a periodic task in the last WORKER_STALE_SECONDS); 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        last_run = db.session.scalar(select(func.max(WorkerRun.last_run_at)))
        migration = {"database": database_revision(), "code": code_head()}
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    try:
        pending = tasks.huey.pending_count()
    except Exception:  # Redis down: the queue cannot take work
        pending = None
    queue = {"pending": pending, "last_periodic_run": last_run.isoformat() if last_run else None}
    stale = last_run is None or utcnow() - last_run > timedelta(seconds=current_app.config["WORKER_STALE_SECONDS"])
    if current_app.config["ENV_NAME"] == "production" and (pending is None or stale):
        return jsonify({"status": "unavailable", "migration": migration, "queue": queue}), 503
    return jsonify({"status": "ok", "migration": migration, "queue": queue})
