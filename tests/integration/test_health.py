"""GET /healthz (liveness: the database answers) and GET /healthz/ready (readiness: the database, each
Redis configured and the worker), as DESIGN.md states them. A load balancer probes /healthz, so a late
worker or an absent Redis, which every host shares, must never fail it; /healthz/ready names them."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine

from app import create_app, tasks
from app.clock import utcnow


@pytest.fixture
def app_config(app_config, redis_server):
    """Rate-limit counters in this test's own redis-server, which the test stops and freezes."""
    return {**app_config, "RATELIMIT_STORAGE_URI": f"{redis_server.url}/0"}


@pytest.fixture
def redis_queue(redis_server, monkeypatch):
    """The task queue on the test's Redis, as with HUEY_URL=redis://... in production."""
    queue = tasks.build_huey(f"{redis_server.url}/1")
    monkeypatch.setattr(tasks, "huey", queue)
    return queue


def timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_ready_is_200_when_the_database_redis_and_a_fresh_worker_run_are_all_fine(app, client, redis_queue):
    tasks.PERIODIC_TASKS["send-outbox"].call_local()

    @redis_queue.task()
    def waiting():
        pass

    waiting()  # one task in the queue, not yet taken
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["rate_limit_store"] == {"ok": True, "backend": "redis"}
    assert body["checks"]["task_queue"] == {"ok": True, "backend": "redis", "pending": 1}
    assert body["checks"]["worker"]["ok"] and body["checks"]["worker"]["last_periodic_run"] is not None


def test_a_late_worker_fails_ready_by_name_never_healthz(app, client):
    app.config["ENV_NAME"] = "production"  # it was production where /healthz pulled every host
    never = client.get("/healthz/ready")
    assert never.status_code == 503 and never.get_json()["failing"] == ["worker"]
    assert client.get("/healthz").status_code == 200
    tasks.PERIODIC_TASKS["send-outbox"].call_local()
    assert client.get("/healthz/ready").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=True):
        late = client.get("/healthz/ready")
        live = client.get("/healthz")
    assert late.status_code == 503 and late.get_json()["failing"] == ["worker"]
    assert late.get_json()["checks"]["worker"]["stale_after_minutes"] == 5
    assert live.status_code == 200 and live.get_json()["status"] == "ok"


def test_how_late_the_worker_may_be_is_a_setting(app, client):
    app.config["HEALTH_WORKER_STALE_MINUTES"] = 30  # HEALTH_WORKER_STALE_MINUTES=30 in the environment
    tasks.PERIODIC_TASKS["send-outbox"].call_local()
    with time_machine.travel(utcnow() + timedelta(minutes=20), tick=True):
        assert client.get("/healthz/ready").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=True):
        late = client.get("/healthz/ready").get_json()
    assert late["failing"] == ["worker"] and late["checks"]["worker"]["stale_after_minutes"] == 30


def test_redis_stopped_or_hung_fails_ready_naming_it_and_healthz_stays_200(app, client, redis_server, redis_queue):
    tasks.PERIODIC_TASKS["send-outbox"].call_local()
    assert client.get("/healthz/ready").status_code == 200

    redis_server.freeze()  # takes connections, answers nothing
    ready, seconds = timed_get(client, "/healthz/ready")
    assert ready.status_code == 503 and ready.get_json()["failing"] == ["rate_limit_store", "task_queue"]
    assert seconds < 15  # not a speed check: each Redis check gives up (after about 1 s) instead of hanging
    live, seconds = timed_get(client, "/healthz")
    assert live.status_code == 200 and live.get_json()["status"] == "ok" and seconds < 10  # never asks Redis

    redis_server.stop()  # refuses connections
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503 and ready.get_json()["failing"] == ["rate_limit_store", "task_queue"]
    assert ready.get_json()["checks"]["task_queue"] == {"ok": False, "backend": "redis", "error": "ConnectionError"}
    assert client.get("/healthz").status_code == 200

    redis_server.start()
    assert client.get("/healthz/ready").status_code == 200


def test_with_the_database_unreachable_both_answer_503(app_config):
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=1"
    down = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": unreachable}).test_client()
    assert down.get("/healthz").status_code == 503
    ready = down.get("/healthz/ready")
    assert ready.status_code == 503 and ready.get_json()["failing"] == ["database", "worker"]
    assert ready.get_json()["checks"]["database"]["ok"] is False


def test_the_staleness_setting_is_read_from_the_environment():
    import os
    import subprocess
    import sys

    env = {**os.environ, "HEALTH_WORKER_STALE_MINUTES": "30"}
    read = subprocess.run([sys.executable, "-c",
                           "from config import Config; print(Config.HEALTH_WORKER_STALE_MINUTES)"],
                          env=env, capture_output=True, text=True, check=True)
    assert read.stdout.strip() == "30"
