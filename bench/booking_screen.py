"""The patient's one booking screen (GET /book/SLUG: the month, the first open day's times, the zone
picker) as appointments grow (issue 21).

The same set-up as bench/week.py: a fresh SQLite file database per N with `bench/loadgen.py`'s practice,
an anonymous visitor who has answered the red-flag screen, the screen requested REQUESTS times after
WARMUPS warm-ups through the in-process test client (median wall and CPU time, SQL statements counted),
against the bare Flask "hello" in the same run."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bench import loadgen
from bench.slots import REQUESTS, WARMUPS
from bench.week import _timed, floor_cpu, measure, report, seeded_app

SIZES = (100, 10_000)
ZONE = "Asia/Tokyo"  # a far zone: the practice's days split across two of hers


def _screen(n: int, directory: Path) -> tuple[int, list[float], list[float], int, int, float]:
    app, log = seeded_app(n, directory / f"book-{n}.sqlite3")
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
    return report(f"GET /book/SLUG?tz={ZONE} (the one booking screen, a visitor), in-process test client, SQLite, "
                  f"median of {REQUESTS} after {WARMUPS} warm-ups:", "times",
                  measure("booking screen", _screen, progress), "booking screen", "a visitor")
