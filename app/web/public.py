"""The public face of the practice: home page and health check."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import inspect, text

from app import health
from app.extensions import db

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
    """Liveness, what a load balancer probes: 200 {"status": "ok", "migration": {...}, "queue":
    {"last_periodic_run"}} when the database answers, 503 otherwise. Nothing else is asked: a late worker
    or an absent Redis is every host's, and pulling every host would take a working site down."""
    check, last_run = health.database()
    try:
        migration = {"database": database_revision(), "code": code_head()} if check["ok"] else None
    except Exception:  # the database went away since the first question
        migration = None
    finally:
        db.session.rollback()
    if migration is None:
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok", "migration": migration,
                    "queue": {"last_periodic_run": last_run.isoformat() if last_run else None}})


@bp.get("/healthz/ready")
def ready():
    """Readiness, for monitoring: 200 when the database, each Redis configured and the worker are fine;
    503 naming the failing part ("failing": [...]) otherwise (app/health.py)."""
    fine, answer = health.readiness()
    return jsonify(answer), 200 if fine else 503
