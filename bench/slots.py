"""Open-slot look-ups as the appointments table grows.

For each N a fresh SQLite file database gets the migrations and `bench/loadgen.py`'s data (N confirmed
appointments of one practitioner), then `GET /api/v1/slots` for 30 days is timed through the
in-process test client: the median of REQUESTS requests after WARMUPS warm-ups, and the SQL
statements each request sends (counted with a `before_cursor_execute` listener on the engine).
Requests to the N databases are interleaved round by round, so a busy machine (other processes on
the same cores) slows every N alike instead of whichever N happened to run at the time; CPU time
per request is reported next to wall time for the same reason. The per-process cache of open times
(app/scheduling/cache.py) is cleared before every timed request: this measures computing the answer.
"""
from __future__ import annotations

import logging
import os
import platform
import re
import sqlite3
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import Appointment
from app.scheduling import cache as slot_cache
from app.scheduling.schedule import local_window
from bench import loadgen

SIZES = (100, 1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000, 10_000)
WARMUPS, REQUESTS, WINDOW_DAYS = 3, 30, 30
TARGET_RATIO, TARGET_QUERIES, TARGET_MS = 1.3, 5, 25.0
ZONE = loadgen.ZONE
# Transaction control is not a query (SQLite's BEGIN is sent through the engine; COMMIT is not).
CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)


@dataclass
class Series:
    """One window's requests at one N."""
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    control: list[int] = field(default_factory=list)
    slots: int = 0
    statement: tuple | None = None  # the busy-span SELECT as sent, with its parameters
    busy_ms: float = 0.0  # that statement alone, run again through the driver, rows fetched (near only)
    plan: tuple[str, ...] = ()  # its EXPLAIN QUERY PLAN (near only)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)


@dataclass
class Measurement:
    n: int
    app: Flask
    log: StatementLog
    load_s: float
    booked: int  # appointments inside the near window
    near: Series = field(default_factory=Series)
    far: Series = field(default_factory=Series)


class StatementLog:
    """Every statement the engine sends (a `before_cursor_execute` listener)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def reset(self) -> None:
        self.statements = []

    def split(self) -> tuple[int, int]:
        """(queries, transaction-control statements)"""
        control = sum(1 for sql, _ in self.statements if CONTROL.match(sql))
        return len(self.statements) - control, control

    def busy_query(self) -> tuple[str, object] | None:
        return next(((sql, p) for sql, p in self.statements if re.search(r"\bFROM appointments\b", sql)), None)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


@contextmanager
def _quiet_migrations():
    # Alembic's env.py configures INFO logging for every upgrade; the bench prints its own lines.
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def windows() -> dict[str, tuple[date, date]]:
    """near: tomorrow and the 29 days after it, inside the loaded year ahead (as booked as N makes it).
    empty: days 366-395 ahead, past every loaded appointment but inside the 400-day horizon, so every
    N returns the same slots and only the cost of a bigger table can change the time."""
    today = utcnow().astimezone(ZoneInfo(ZONE)).date()
    span = timedelta(days=WINDOW_DAYS - 1)
    near, empty = today + timedelta(days=1), today + timedelta(days=loadgen.DAYS_AHEAD + 1)
    return {"near": (near, near + span), "empty": (empty, empty + span)}


def prepare(n: int, directory: Path) -> Measurement:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / f'bench-{n}.sqlite3'}",
        "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
        "SEED_DEMO_ALLOWED": True, "TESTING": False,
    })
    with app.app_context():
        with _quiet_migrations():
            upgrade()
        started = time.perf_counter()
        loadgen.seed(n, patients=min(200, max(1, n // 10)))
        db.session.commit()
        load_s = time.perf_counter() - started
        lo, hi = local_window(*windows()["near"], ZONE)
        booked = db.session.scalar(select(func.count(Appointment.id)).where(
            Appointment.starts_at >= lo, Appointment.starts_at < hi))
        log = StatementLog(db.engine)
    return Measurement(n, app, log, load_s, booked)


def measure(results: list[Measurement]) -> None:
    """Time both windows at every N, interleaved: round r sends request r to each database in turn."""
    for name, (first, last) in windows().items():
        path = f"/api/v1/slots?type={loadgen.SLUG}&start={first}&end={last}&tz={ZONE}"
        # Requests run outside any app context of the bench: each gets its own context and session.
        clients = [(r.app.test_client(), r.log, r.near if name == "near" else r.far, r.app) for r in results]
        for _ in range(WARMUPS):
            for client, _log, _series, _app in clients:
                _get(client, path)
        for _ in range(REQUESTS):
            for client, log, series, app in clients:
                slot_cache.clear(app)  # measure computing the answer, not the per-process cache in front of it
                log.reset()
                wall, cpu = time.perf_counter(), time.process_time()
                response = _get(client, path)
                series.times_ms.append((time.perf_counter() - wall) * 1000)
                series.cpu_ms.append((time.process_time() - cpu) * 1000)
                queries, control = log.split()
                series.queries.append(queries)
                series.control.append(control)
                series.slots, series.statement = len(response.get_json()["slots"]), log.busy_query()
    for r in results:
        r.log.close()
        with r.app.app_context():
            r.near.busy_ms, r.near.plan = _busy_query(r.near.statement)
            db.engine.dispose()


def _get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return response


def _busy_query(statement) -> tuple[float, tuple[str, ...]]:
    """Median time of the captured busy-span statement (execute and fetch) and its query plan."""
    if not statement:
        return 0.0, ("(no statement reading appointments was sent)",)
    sql, parameters = statement
    with db.engine.connect() as conn:
        plan = tuple(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters))
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            conn.exec_driver_sql(sql, parameters).all()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), plan


def run(sizes: tuple[int, ...] = SIZES, progress: TextIO | None = None) -> str:
    with tempfile.TemporaryDirectory(prefix="homeostasis-bench-") as tmp:
        results = []
        for n in sizes:
            if progress:
                print(f"N={n:,}: migrating and loading ...", file=progress, flush=True)
            results.append(prepare(n, Path(tmp)))
        if progress:
            print(f"measuring: {len(sizes)} x 2 windows x {WARMUPS} + {REQUESTS} requests ...", file=progress,
                  flush=True)
        measure(results)
    return report(results)


def report(results: list[Measurement]) -> str:
    spans = windows()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    lines = [
        f"GET /api/v1/slots?type={loadgen.SLUG}&start=...&end=...&tz={ZONE}, {WINDOW_DAYS}-day windows:",
        f"  near  = {spans['near'][0]} to {spans['near'][1]} (inside the loaded year ahead)",
        f"  empty = {spans['empty'][0]} to {spans['empty'][1]} (after every appointment: the same answer at every N)",
        f"In-process test client, a fresh SQLite file database per N, median of {REQUESTS} requests after "
        f"{WARMUPS} warm-ups.",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs{load}.",
        "",
        f"{'':>17} {' near window ':-^52}  {' empty window ':-^28}",
        f"{'N':>9} {'load s':>7} {'booked':>7} {'slots':>6} {'median ms':>10} {'CPU ms':>7} {'busy q ms':>9} "
        f"{'queries':>7}  {'slots':>6} {'median ms':>10} {'CPU ms':>7}",
    ]
    for r in results:
        lines.append(f"{r.n:>9,} {r.load_s:>7.1f} {r.booked:>7,} {r.near.slots:>6,} {r.near.median_ms:>10.2f} "
                     f"{statistics.median(r.near.cpu_ms):>7.2f} {r.near.busy_ms:>9.3f} {_queries(r):>7}  "
                     f"{r.far.slots:>6,} {r.far.median_ms:>10.2f} {statistics.median(r.far.cpu_ms):>7.2f}")
    small, large = results[0], results[-1]
    ratio = large.near.median_ms / small.near.median_ms
    empty_ratio = large.far.median_ms / small.far.median_ms
    most_queries = max(max(r.near.queries + r.far.queries) for r in results)
    slowest = max(results, key=lambda r: r.near.median_ms)
    control = sorted({c for r in results for c in r.near.control + r.far.control})
    lines += [
        "",
        "median ms: wall time; CPU ms: this process's CPU time (less sensitive to other load);",
        "booked: appointments in the window; busy q ms: the busy-span SELECT alone (execute + fetch).",
        f"queries: SQL statements per request, transaction control not counted (SQLite also sends "
        f"{'/'.join(map(str, control))} BEGIN per request).",
        "",
        _target(f"near:  median(N={large.n:,}) / median(N={small.n:,}) = {ratio:.2f}", f"<= {TARGET_RATIO}",
                ratio <= TARGET_RATIO),
        _target(f"empty: median(N={large.n:,}) / median(N={small.n:,}) = {empty_ratio:.2f}",
                f"<= {TARGET_RATIO}", empty_ratio <= TARGET_RATIO),
        _target(f"SQL queries per request: at most {most_queries} at any N", f"<= {TARGET_QUERIES}",
                most_queries <= TARGET_QUERIES),
        _target(f"slowest near median: {slowest.near.median_ms:.2f} ms (N={slowest.n:,})", f"< {TARGET_MS:g} ms",
                slowest.near.median_ms < TARGET_MS),
        _target("every N returned open slots", "> 0", all(r.near.slots > 0 for r in results)),
        "",
        f"Busy-span query plan (EXPLAIN QUERY PLAN, N={large.n:,}):",
        *(f"  {line}" for line in large.near.plan),
    ]
    for r in results[:-1]:
        if r.near.plan != large.near.plan:
            lines += [f"  N={r.n:,}:", *(f"    {line}" for line in r.near.plan)]
    return "\n".join(lines)


def _queries(r: Measurement) -> str:
    return "/".join(str(q) for q in sorted(set(r.near.queries + r.far.queries)))


def _target(text: str, target: str, met: bool) -> str:
    return f"{text:<58} target {target:<9} {'met' if met else 'MISSED'}"
