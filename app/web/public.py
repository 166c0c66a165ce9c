"""The public face of the practice: home page and health check."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import func, select, text

from app import tasks
from app.clock import utcnow
from app.extensions import db
from app.models.notify import WorkerRun

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok", "queue": {...}} when the database answers (and, in production, the worker
    ran a periodic task in the last WORKER_STALE_SECONDS); 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        last_run = db.session.scalar(select(func.max(WorkerRun.last_run_at)))
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
        return jsonify({"status": "unavailable", "queue": queue}), 503
    return jsonify({"status": "ok", "queue": queue})
