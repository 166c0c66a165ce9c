"""The public face of the practice: home page (with who she is booking with), the privacy notice, the
practitioner's photo, and the health check."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template
from sqlalchemy import inspect, text

from app import health, profile_photo
from app.courses import markdown
from app.extensions import db
from app.scheduling.profiles import the_practice

bp = Blueprint("public", __name__)


def _practice_and_types():
    practice = the_practice()
    return practice, [ct for ct in (practice.consultation_types if practice else []) if ct.active]


@bp.get("/")
def home():
    practice, types = _practice_and_types()
    return render_template("public/home.html", practice=practice, price_list=types)


@bp.get("/privacy-notice")
def privacy_notice():
    """The practice's privacy notice as she wrote it (Markdown, sanitised by the course renderer)."""
    practice = the_practice()
    text = practice.privacy_notice.strip() if practice else ""
    return render_template("public/privacy_notice.html", practice=practice,
                           notice=markdown.render(text, top=2) if text else None)


@bp.get("/practitioner/photo/<key>")
def practitioner_photo(key: str):
    """Her public photo, with the type its bytes were checked to be; a replaced photo's key is gone."""
    practice = the_practice()
    content = profile_photo.content_of(practice, key[:80])
    if content is None or practice is None:
        abort(404, "We couldn't find that photo.")
    response = Response(content, mimetype=practice.photo_type)
    response.headers["Cache-Control"] = "public, max-age=86400"  # a new photo gets a new key
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
