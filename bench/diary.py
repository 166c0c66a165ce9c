"""The diary's correlation for a year of daily entries (`python -m bench --only diary`).

A synthetic year in one patient's diary: every day a meal (one of 12 foods, one to three of the 11 tags),
a second exposure and two symptom entries rating four organ systems, and a flare-level rating on about
one day in ten: 1,460 entries, about 2,200 exposures and 2,900 ratings. Timed is `correlate` (the pure
core: every key logged 3+ times x every system x both lag windows), the median of RUNS runs after a
warm-up, CPU time beside wall time (the machine may be shared).
"""
from __future__ import annotations

import os
import platform
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from app.diary.correlation import TAG_PREFIX, Exposure, Rating, correlate, food_key
from app.diary.entries import TAGS
from app.intake.questionnaire import SYSTEMS

RUNS = 15
DAYS = 365
FOODS = ["aged cheese", "spinach", "leftover curry", "rice", "chicken", "wine", "tomato", "avocado", "yoghurt",
         "salmon", "bread", "apple"]


def year_of_entries(seed: int = 15) -> tuple[list[Exposure], list[Rating], datetime, datetime]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    exposures: list[Exposure] = []
    ratings: list[Rating] = []
    systems, tags = list(SYSTEMS), list(TAGS)
    for day in range(DAYS):
        base = start + timedelta(days=day)
        for hour in (8, 19):
            at = base + timedelta(hours=hour, minutes=rng.randint(0, 59))
            exposures.append(Exposure(at, food_key(rng.choice(FOODS)) or ""))
            exposures.extend(Exposure(at, TAG_PREFIX + t) for t in rng.sample(tags, rng.randint(1, 3)))
        for hour in (12, 22):
            at = base + timedelta(hours=hour)
            flare = rng.random() < 0.1
            ratings.extend(Rating(at, s, 3 if flare and n == 0 else rng.randint(0, 1))
                           for n, s in enumerate(rng.sample(systems, 4)))
    return exposures, ratings, start, start + timedelta(days=DAYS)


def run(progress=None) -> str:
    exposures, ratings, start, end = year_of_entries()
    if progress:
        print(f"diary: correlating {len(exposures):,} exposures and {len(ratings):,} ratings ...", file=progress,
              flush=True)
    result = correlate(exposures, ratings, start=start, end=end)
    wall, cpu = [], []
    for _ in range(RUNS):
        w, c = time.perf_counter(), time.process_time()
        correlate(exposures, ratings, start=start, end=end)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return "\n".join([
        f"Diary correlation, a year of daily entries ({DAYS * 4:,} entries: {len(exposures):,} exposures, "
        f"{len(ratings):,} ratings), app.diary.correlation.correlate:",
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs{load}; median of {RUNS} runs after a warm-up.",
        f"  comparisons {result.comparisons:,} (keys x systems x windows), patterns shown {len(result.patterns)}",
        f"  median {statistics.median(wall):.1f} ms wall, {statistics.median(cpu):.1f} ms CPU "
        f"(slowest {max(wall):.1f} ms)",
    ])
