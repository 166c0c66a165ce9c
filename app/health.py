"""What GET /healthz and GET /healthz/ready report (app/web/public.py; contract in DESIGN.md).

Liveness (`/healthz`) asks the database only: a load balancer pulls a host that fails it, so it must
never fail because something every host shares (Redis, the worker) is late. Readiness (`/healthz/ready`)
is for monitoring: the database, each Redis the app is configured with (rate-limit counters, the task
queue) and the worker (a periodic task ran within HEALTH_WORKER_STALE_MINUTES), each named.
Every check has a short bound: a Redis that does not answer fails its check after REDIS_TIMEOUT seconds.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from sqlalchemy import func, select, text

from app.clock import utcnow
from app.extensions import db, limiter
from app.models.notify import WorkerRun

REDIS_TIMEOUT = 1.0
Check = dict[str, Any]


def database() -> tuple[Check, datetime | None]:
    """The database answers (SELECT 1); also the newest periodic run, read in the same breath."""
    try:
        db.session.execute(text("SELECT 1"))
        last_run = db.session.scalar(select(func.max(WorkerRun.last_run_at)))
        db.session.rollback()
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": exc.__class__.__name__}, None
    return {"ok": True}, last_run


def rate_limit_store() -> Check:
    """Flask-Limiter's storage (RATELIMIT_STORAGE_URI): pinged when it is Redis."""
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not current_app.config.get("RATELIMIT_ENABLED", True) or not uri.startswith("redis"):
        return {"ok": True, "backend": uri.split(":", 1)[0]}
    ok = limiter.storage.check()  # a ping, bounded by RATELIMIT_STORAGE_OPTIONS' timeouts
    return {"ok": bool(ok), "backend": "redis"} if ok else {"ok": False, "backend": "redis", "error": "unreachable"}


def task_queue() -> Check:
    """The task queue (HUEY_URL): for Redis a ping and the queue's length through a connection with a
    short timeout (the queue's own connections wait as long as a worker's blocking read needs)."""
    from huey import RedisHuey

    from app import tasks

    queue = tasks.huey
    if not isinstance(queue, RedisHuey):
        try:
            return {"ok": True, "backend": queue.storage.__class__.__name__, "pending": queue.pending_count()}
        except Exception as exc:
            return {"ok": False, "backend": queue.storage.__class__.__name__, "error": exc.__class__.__name__}
    own = queue.storage.pool
    pool = redis.ConnectionPool(connection_class=own.connection_class, **{
        **own.connection_kwargs, "socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT})
    try:
        pending = redis.Redis(connection_pool=pool).llen(queue.storage.queue_key)
        return {"ok": True, "backend": "redis", "pending": pending}
    except redis.RedisError as exc:
        return {"ok": False, "backend": "redis", "error": exc.__class__.__name__}
    finally:
        pool.disconnect()


def worker(last_run: datetime | None) -> Check:
    minutes = int(current_app.config["HEALTH_WORKER_STALE_MINUTES"])
    ok = last_run is not None and utcnow() - last_run <= timedelta(minutes=minutes)
    return {"ok": ok, "last_periodic_run": last_run.isoformat() if last_run else None, "stale_after_minutes": minutes}


def readiness() -> tuple[bool, dict]:
    """(all fine, the answer): {"status", "failing": [names], "checks": {name: {...}}}."""
    database_check, last_run = database()
    checks = {"database": database_check, "rate_limit_store": rate_limit_store(), "task_queue": task_queue(),
              "worker": worker(last_run) if database_check["ok"] else {"ok": False, "error": "database unavailable"}}
    failing = [name for name, check in checks.items() if not check["ok"]]
    return not failing, {"status": "unavailable" if failing else "ok", "failing": failing, "checks": checks}
