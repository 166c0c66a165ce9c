"""The patient's one booking screen (GET /book/SLUG: the month, the first open day's times, the zone
picker) as appointments grow (issue 21).

The same set-up as bench/week.py: a fresh SQLite file database per N with `bench/loadgen.py`'s practice,
an anonymous visitor who has answered the red-flag screen, the screen requested REQUESTS times after
WARMUPS warm-ups through the in-process test client (median wall and CPU time, SQL statements counted),
against the bare Flask "hello" in the same run."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import TextIO

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from bench import hello, loadgen
from bench.slots import REQUESTS, WARMUPS, StatementLog, _quiet_migrations
from bench.week import FLOOR_PATH, _timed, floor_cpu

SIZES = (100, 10_000)
TARGET_RATIO = 3.0  # booking screen / hello, CPU per request
ZONE = "Asia/Tokyo"  # a far zone: the practice's days split across two of hers


def _screen(n: int, directory: Path) -> tuple[int, list[float], list[float], int, int, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / f'book-{n}.sqlite3'}",
                      "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
                      "SEED_DEMO_ALLOWED": True, "TESTING": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        with _quiet_migrations():
            upgrade()
        loadgen.seed(n, patients=min(200, max(1, n // 10)))
        db.session.commit()
        log = StatementLog(db.engine)
    client = app.test_client()
    passed = client.post("/book/safety", data={"screen": "none", "next": f"/book/{loadgen.SLUG}"})
    assert passed.status_code in (302, 303), passed.status_code
    path = f"/book/{loadgen.SLUG}?tz={ZONE}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="day-times"' in page, "the screen did not show a day's times"
    times = page.count('class="button" href="/book/')
    walls, cpus, queries, size = _timed(client, path, log)
    log.close()
    return times, walls, cpus, queries, size, floor_cpu(client)


def run(progress: TextIO | None = None) -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="homeostasis-bench-book-") as tmp:
        for n in SIZES:
            if progress:
                print(f"booking screen: N={n:,} ...", file=progress, flush=True)
            rows.append((n, *_screen(n, Path(tmp))))
    hello_walls, hello_cpus, _, _ = _timed(hello.app.test_client(), "/hello")
    hello_cpu = statistics.median(hello_cpus)
    lines = [f"GET /book/SLUG?tz={ZONE} (the one booking screen, a visitor), in-process test client, SQLite, "
             f"median of {REQUESTS} after {WARMUPS} warm-ups:",
             f"{'N':>9} {'times':>6} {'median ms':>10} {'CPU ms':>7} {'queries':>8} {'KB':>6}"]
    for n, times, walls, cpus, queries, size, _ in rows:
        lines.append(f"{n:>9,} {times:>6} {statistics.median(walls):>10.2f} {statistics.median(cpus):>7.2f} "
                     f"{queries:>8} {size / 1024:>6.1f}")
    big = rows[-1]
    ratio = statistics.median(big[3]) / hello_cpu
    lines += [f"bare Flask hello: median {statistics.median(hello_walls):.3f} ms, CPU {hello_cpu:.3f} ms",
              f"booking screen (N={big[0]:,}) / hello, CPU per request = {ratio:.1f}   target <= {TARGET_RATIO:g}   "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}",
              f"the app's floor for a visitor (a 304 of {FLOOR_PATH}): CPU {big[6]:.3f} ms = "
              f"{big[6] / hello_cpu:.1f} x hello; booking screen / floor = {statistics.median(big[3]) / big[6]:.1f}"]
    return "\n".join(lines)
