"""The practitioner's week calendar (GET /practice/schedule?view=week) as appointments grow.

A fresh SQLite file database per N gets the migrations and `bench/loadgen.py`'s practice (one practitioner
open 08:00-20:00 every day, two of every three half hours booked at random across two years), the
practitioner signs in through the login form, and the week after today is requested REQUESTS times
after WARMUPS warm-ups through the in-process test client (median wall and CPU time; SQL statements
counted at the cursor, transaction control left out). The yardstick is the bare Flask "hello"
(bench/hello.py) through the same test client in the same run, so the ratio holds on a busy machine.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.clock import utcnow
from app.extensions import db
from bench import hello, loadgen
from bench.slots import REQUESTS, WARMUPS, StatementLog, _quiet_migrations

SIZES = (100, 10_000)
TARGET_RATIO = 3.0  # week view / hello, CPU per request


def _timed(client, path: str, log: StatementLog | None = None) -> tuple[list[float], list[float], int, int]:
    for _ in range(WARMUPS):
        client.get(path).close()
    walls, cpus, queries, size = [], [], 0, 0
    for _ in range(REQUESTS):
        if log is not None:
            log.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.data)
        if log is not None:
            queries = max(queries, log.split()[0])
    return walls, cpus, queries, size


FLOOR_PATH = "/static/css/app.css"  # answered 304 below: the app's own cost of a request that does nothing


def floor_cpu(client) -> float:
    """Median CPU per request of the cheapest answer this app gives the same visitor (a stylesheet it
    already holds, answered 304): the session, sign-in and security headers every page pays before its
    own work. It shows how much of a page/hello ratio no page can shed."""
    tag = client.get(FLOOR_PATH).headers["ETag"]
    cpus = []
    for _ in range(WARMUPS + REQUESTS):
        cpu = time.process_time()
        response = client.get(FLOOR_PATH, headers={"If-None-Match": tag})
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 304, response.status_code
    return statistics.median(cpus[WARMUPS:])


def seeded_app(n: int, database: Path) -> tuple[Flask, StatementLog]:
    """An app on a fresh SQLite file migrated and holding loadgen's practice with N appointments, and a
    log of the statements its engine sends."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
                      "SEED_DEMO_ALLOWED": True, "TESTING": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        with _quiet_migrations():
            upgrade()
        loadgen.seed(n, patients=min(200, max(1, n // 10)))
        db.session.commit()
        return app, StatementLog(db.engine)


def _week(n: int, directory: Path) -> tuple[int, list[float], list[float], int, int, float]:
    app, log = seeded_app(n, directory / f"week-{n}.sqlite3")
    password = app.config["DEMO_PASSWORD"]
    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": loadgen.LOAD_PRACTITIONER, "password": password})
    assert signed_in.status_code in (302, 303), signed_in.status_code
    day = (utcnow() + timedelta(days=7)).astimezone(ZoneInfo(loadgen.ZONE)).date()
    path = f"/practice/schedule?view=week&date={day.isoformat()}"
    page = client.get(path).get_data(as_text=True)
    entries = page.count('data-kind="appointment"')
    walls, cpus, queries, size = _timed(client, path, log)
    log.close()
    return entries, walls, cpus, queries, size, floor_cpu(client)


def measure(label: str, measure_one, progress: TextIO | None) -> list[tuple]:
    """`measure_one(n, directory)` at each N of SIZES, each on a fresh database in one temporary folder."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="homeostasis-bench-page-") as tmp:
        for n in SIZES:
            if progress:
                print(f"{label}: N={n:,} ...", file=progress, flush=True)
            rows.append((n, *measure_one(n, Path(tmp))))
    return rows


def report(header: str, count_label: str, rows: list[tuple], page: str, visitor: str) -> str:
    """The table of a page's rows (n, count, walls, cpus, queries, size, floor CPU), then the page against
    the bare hello measured now, in this run, and against the app's own floor for the same visitor."""
    hello_walls, hello_cpus, _, _ = _timed(hello.app.test_client(), "/hello")
    hello_cpu = statistics.median(hello_cpus)
    lines = [header, f"{'N':>9} {count_label:>8} {'median ms':>10} {'CPU ms':>7} {'queries':>8} {'KB':>6}"]
    for n, count, walls, cpus, queries, size, _ in rows:
        lines.append(f"{n:>9,} {count:>8} {statistics.median(walls):>10.2f} {statistics.median(cpus):>7.2f} "
                     f"{queries:>8} {size / 1024:>6.1f}")
    big = rows[-1]
    ratio = statistics.median(big[3]) / hello_cpu
    queries = {row[4] for row in rows}
    lines += [f"bare Flask hello: median {statistics.median(hello_walls):.3f} ms, CPU {hello_cpu:.3f} ms",
              f"queries per request: {sorted(queries)} at N = {', '.join(f'{n:,}' for n in SIZES)}"
              f"   {'constant' if len(queries) == 1 else 'NOT constant'}",
              f"{page} (N={big[0]:,}) / hello, CPU per request = {ratio:.1f}   target <= {TARGET_RATIO:g}   "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}",
              f"the app's floor for {visitor} (a 304 of {FLOOR_PATH}): CPU {big[6]:.3f} ms = "
              f"{big[6] / hello_cpu:.1f} x hello; {page} / floor = {statistics.median(big[3]) / big[6]:.1f}"]
    return "\n".join(lines)


def run(progress: TextIO | None = None) -> str:
    return report(f"GET /practice/schedule?view=week (signed-in practitioner), in-process test client, SQLite, "
                  f"median of {REQUESTS} after {WARMUPS} warm-ups:", "on grid",
                  measure("week view", _week, progress), "week view", "her, signed in,")
