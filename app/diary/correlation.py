"""Time-lag correlation between what a patient was exposed to and when her organ systems flared.

Pure: plain values in, plain values out; no Flask, no database, no clock ("now" is the end of the
period, a parameter).

For every exposure key (a tag such as ``fermented``, or a food's normalised text) logged at least
``MIN_EXPOSURES`` times, and for every organ system, it counts how many of those exposures were followed
by a flare of that system within 0-6 h and within 6-48 h, and compares that with her base rate: the
share of all moments in the diary period that are followed by such a flare within the same lag window.
A flare is a symptom rating of ``FLARE_SEVERITY`` (moderate) or more.

"Above the base rate" is a clear, stated test, so that chance alone rarely shows a pattern:
  * at least ``MIN_HITS`` exposures were followed by a flare, and
  * the observed share is at least ``MARGIN`` (25 percentage points) above the base rate, and
  * a one-sided binomial test (exposure times as if independent of flares: each follows a flare with the
    base-rate probability) gives p < ``ALPHA`` / (number of comparisons made), a Bonferroni correction
    over every key x system x window compared, so the chance that a diary with no real link shows any
    pattern at all is at most ALPHA (1%).
Results are counts ("4 of 5 times"), never a bare percentage, and always carry ``LABEL``: a pattern to
discuss with the practitioner, not a verdict (criterion C of the MCAS consensus, Valent et al. 2019, is
judged clinically; a diary only suggests what to discuss).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import comb
from typing import Iterable, Sequence

LABEL = "A pattern to discuss, not a verdict"
MIN_EXPOSURES = 3
MIN_HITS = 3
MARGIN = 0.25
ALPHA = 0.01
FLARE_SEVERITY = 2  # 0 none, 1 mild, 2 moderate, 3 severe

# (key, label, start, end): a flare at f follows an exposure at t when start <= f - t < end.
WINDOWS: tuple[tuple[str, str, timedelta, timedelta], ...] = (
    ("0-6h", "within 6 hours", timedelta(0), timedelta(hours=6)),
    ("6-48h", "6 to 48 hours later", timedelta(hours=6), timedelta(hours=48)),
)
TAG_PREFIX, FOOD_PREFIX = "tag:", "food:"


@dataclass(frozen=True)
class Exposure:
    at: datetime
    key: str  # "tag:fermented" or "food:aged cheese"


@dataclass(frozen=True)
class Rating:
    at: datetime
    system: str
    severity: int  # 0-3


@dataclass(frozen=True)
class Cell:
    """One key x system x window comparison."""

    key: str
    system: str
    window: str
    exposures: int
    hits: int  # exposures followed by a flare of the system in the window
    base_rate: float  # share of moments in the period followed by such a flare (0-1)
    p_value: float
    notable: bool

    @property
    def counts_text(self) -> str:
        return f"{self.hits} of {self.exposures} time{'s' if self.exposures != 1 else ''}"

    @property
    def usual_text(self) -> str:
        """Her base rate as an expected count for the same number of exposures ("about 1 of 5")."""
        return f"about {self.base_rate * self.exposures:.1f} of {self.exposures} by chance"

    @property
    def window_label(self) -> str:
        return next(label for key, label, _, _ in WINDOWS if key == self.window)


@dataclass(frozen=True)
class Correlation:
    cells: tuple[Cell, ...]
    comparisons: int
    exposure_counts: dict[str, int]  # every key, with how often it was logged
    label: str = LABEL

    @property
    def patterns(self) -> list[Cell]:
        """Notable cells, strongest evidence first."""
        return sorted((c for c in self.cells if c.notable), key=lambda c: (c.p_value, -c.hits, c.key))

    def for_key(self, key: str) -> list[Cell]:
        return [c for c in self.cells if c.key == key]


def food_key(text: str) -> str | None:
    """A food's key: lower-cased, inner spaces collapsed, so "Aged  Cheese" and "aged cheese" count as one."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip().lower())
    return FOOD_PREFIX + cleaned if cleaned else None


def binomial_tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return min(1.0, sum(comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def _covered_share(flares: Sequence[datetime], lo: timedelta, hi: timedelta, start: datetime, end: datetime) -> float:
    """Share of moments t in [start, end] with a flare f such that lo <= f - t < hi (union of intervals)."""
    span = (end - start).total_seconds()
    if span <= 0:
        return 0.0
    covered, reach = 0.0, start
    for f in flares:  # sorted
        a, b = max(f - hi, reach, start), min(f - lo, end)
        if b > a:
            covered += (b - a).total_seconds()
            reach = b
    return min(1.0, covered / span)


def _hits(times: Iterable[datetime], flares: Sequence[datetime], lo: timedelta, hi: timedelta) -> int:
    count = 0
    for t in times:
        i = bisect.bisect_left(flares, t + lo)
        if i < len(flares) and flares[i] < t + hi:
            count += 1
    return count


def correlate(exposures: Iterable[Exposure], ratings: Iterable[Rating], *, start: datetime,
              end: datetime) -> Correlation:
    """Compare exposures with flares over the diary period [start, end] (aware datetimes)."""
    by_key: dict[str, list[datetime]] = {}
    for e in exposures:
        by_key.setdefault(e.key, []).append(e.at)
    flares: dict[str, list[datetime]] = {}
    for r in ratings:
        if r.severity >= FLARE_SEVERITY:
            flares.setdefault(r.system, []).append(r.at)
    for times in flares.values():
        times.sort()
    counts = {k: len(v) for k, v in sorted(by_key.items())}
    eligible = {k: v for k, v in sorted(by_key.items()) if len(v) >= MIN_EXPOSURES}
    base = {(system, w): _covered_share(times, lo, hi, start, end)
            for system, times in flares.items() for w, _, lo, hi in WINDOWS}
    comparisons = len(eligible) * len(flares) * len(WINDOWS)
    threshold = ALPHA / comparisons if comparisons else 0.0
    cells = []
    for key, times in eligible.items():
        for system in sorted(flares):
            for w, _, lo, hi in WINDOWS:
                n, rate = len(times), base[(system, w)]
                hits = _hits(times, flares[system], lo, hi)
                p = binomial_tail(n, hits, rate)
                notable = hits >= MIN_HITS and hits / n >= rate + MARGIN and p < threshold
                cells.append(Cell(key, system, w, n, hits, rate, p, notable))
    return Correlation(tuple(cells), comparisons, counts)
