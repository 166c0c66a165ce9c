"""Time-lag correlation between what a patient was exposed to and when her organ systems flared.

Pure: plain values in, plain values out; no Flask, no database, no clock ("now" is the end of the
period, a parameter).

For every exposure key (a tag such as ``fermented``, or a food's normalised text) logged at least
``MIN_EXPOSURES`` times, and for every organ system, it counts how many of those exposures were followed
by a flare of that system within 0-6 h and within 6-48 h. A flare is a symptom rating of
``FLARE_SEVERITY`` (moderate) or more.

What it is compared with ("by chance"): the same clock times on the days she logged something but not
this key. For each exposure at, say, 13:05, the share of those other days on which a moment at 13:05 was
followed by such a flare in the same window; the expected count is the sum of those shares. Meals and
symptom entries both happen while she is awake, so comparing with every moment of the day (night
included) made any daytime food look linked; comparing clock time with clock time cancels that out.
A key logged on nearly every day has too few days without it to compare with (fewer than
``MIN_CONTROL_DAYS``): a diary cannot link it to anything, and it is never shown as a pattern. Each
day's share is estimated with one added hit and one added miss (Laplace), so a handful of days without
it cannot make the expected count look like zero. Clock times are her local wall clock (``zone``);
moments whose window runs past the end of the diary are left out on both sides.

"Above what the comparison days give" is a clear, stated test:
  * at least ``MIN_HITS`` exposures were followed by a flare, and
  * the observed share is at least ``MARGIN`` (25 percentage points) above the comparison share, and
  * a one-sided Fisher's exact test of the exposures against the comparison days (hits of n exposures vs
    the comparison days' hits; with exposures at several clock times, the mean comparison over them)
    gives p < ``ALPHA`` / (number of comparisons made), a Bonferroni correction over every key x system x
    window compared. Fisher's test conditions on both counts, so a comparison share estimated from a few
    weeks of days is not taken as exact (a binomial test at the estimated share let about 2% of 8-week
    null diaries through).
The false-pattern rate is measured on simulated diaries with no link at all (fixed meal times, symptoms
only while awake): ``tests/unit/test_diary_correlation.py::test_null_diaries_rarely_show_a_pattern``.
Results are counts ("4 of 5 times"), never a bare percentage, and always carry ``LABEL``: a pattern to
discuss with the practitioner, not a verdict (criterion C of the MCAS consensus, Valent et al. 2019, is
judged clinically; a diary only suggests what to discuss).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from math import comb
from typing import Iterable

LABEL = "A pattern to discuss, not a verdict"
MIN_EXPOSURES = 3
MIN_HITS = 3
MIN_CONTROL_DAYS = 7
MARGIN = 0.25
ALPHA = 0.01
FLARE_SEVERITY = 2  # 0 none, 1 mild, 2 moderate, 3 severe
DAY = 1440  # minutes

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
    exposures: int  # exposures whose window had ended by the end of the diary
    hits: int  # of those, followed by a flare of the system in the window
    base_rate: float  # mean share of days without the key followed by a flare at the same clock times (0-1)
    p_value: float  # Fisher's exact test; 1.0 where the count or margin test already fails
    notable: bool
    control_days: int = 0  # days she logged something but not this key

    @property
    def comparable(self) -> bool:
        return self.control_days >= MIN_CONTROL_DAYS

    @property
    def counts_text(self) -> str:
        return f"{self.hits} of {self.exposures} time{'s' if self.exposures != 1 else ''}"

    @property
    def usual_text(self) -> str:
        """The comparison as an expected count for the same number of exposures ("about 1.0 of 5 ...")."""
        if not self.comparable:
            return "logged on too many days to compare with days without it"
        return f"about {self.base_rate * self.exposures:.1f} of {self.exposures} at the same times on days without it"

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


def fisher_tail(hits: int, n: int, control_hits: int, controls: int) -> float:
    """One-sided Fisher's exact test: P(X >= hits) for X ~ Hypergeometric (n exposures drawn from the
    n + controls moments, of which hits + control_hits were followed by a flare)."""
    total, flared = n + controls, hits + control_hits
    if total <= 0 or n <= 0:
        return 1.0
    denominator = comb(total, n)
    return min(1.0, sum(comb(flared, x) * comb(total - flared, n - x)
                        for x in range(hits, min(n, flared) + 1)) / denominator)


class _Clock:
    """Her local wall clock as whole minutes since midnight of the diary's first local day."""

    def __init__(self, start: datetime, zone: tzinfo):
        self.zone = zone
        first = start.astimezone(zone)
        # Aware, in ``zone``: subtracting two datetimes with the same tzinfo gives the wall-clock difference.
        self.origin = first.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)

    def minute(self, instant: datetime) -> int:
        return int((instant.astimezone(self.zone) - self.origin).total_seconds() // 60)


def _bits(flags: bytes | bytearray) -> int:
    """A 0/1 byte string as an int whose set bits are the ones (AND two of them, count the ones)."""
    return int.from_bytes(flags, "big")


def correlate(exposures: Iterable[Exposure], ratings: Iterable[Rating], *, start: datetime,
              end: datetime, zone: tzinfo = timezone.utc) -> Correlation:
    """Compare exposures with flares over the diary period [start, end] (aware datetimes; clock times in ``zone``)."""
    clock = _Clock(start, zone)
    start_m, end_m = clock.minute(start), clock.minute(end)
    days = max(end_m // DAY + 1, 1)
    length = days * DAY
    by_key: dict[str, list[int]] = {}
    logged = bytearray(days)  # 1 on each day she logged anything
    for e in exposures:
        m = clock.minute(e.at)
        by_key.setdefault(e.key, []).append(m)
        if 0 <= m < length:
            logged[m // DAY] = 1
    flares: dict[str, list[int]] = {}
    for r in ratings:
        m = clock.minute(r.at)
        if 0 <= m < length:
            logged[m // DAY] = 1
        if r.severity >= FLARE_SEVERITY:
            flares.setdefault(r.system, []).append(m)
    counts = {k: len(v) for k, v in sorted(by_key.items())}
    eligible = {k: v for k, v in sorted(by_key.items()) if len(v) >= MIN_EXPOSURES}
    # covered[(system, window)][m] == 1 when a moment at minute m is followed by a flare in the window.
    covered: dict[tuple[str, str], bytes] = {}
    spans = {w: (int(lo.total_seconds() // 60), int(hi.total_seconds() // 60)) for w, _, lo, hi in WINDOWS}
    for system, times in flares.items():
        for w, (lo, hi) in spans.items():
            buf = bytearray(length)
            for f in times:  # lo <= f - m < hi  <=>  f - hi < m <= f - lo
                a, b = max(f - hi + 1, 0), min(f - lo + 1, length)
                if b > a:
                    buf[a:b] = b"\x01" * (b - a)
            covered[(system, w)] = bytes(buf)
    comparisons = len(eligible) * len(flares) * len(WINDOWS)
    threshold = ALPHA / comparisons if comparisons else 0.0
    # Days as bits (day d is one set bit in the 0/1 byte string of length ``days``), so "how many comparison
    # days at this clock time were followed by a flare" is an AND and a bit count.
    columns: dict[tuple[str, str, int], int] = {}  # (system, window, clock minute) -> days covered
    usable_days: dict[tuple[str, int], int] = {}  # (window, clock minute) -> days on which the moment is usable
    cells = []
    for key, minutes in eligible.items():
        control = bytearray(logged)
        for m in minutes:
            if 0 <= m < length:
                control[m // DAY] = 0
        control_days = sum(control)
        control_bits = _bits(control)
        for w, (_, hi) in spans.items():
            last_ok = end_m - hi  # the latest minute whose window has ended by the end of the diary
            usable = [m for m in minutes if start_m <= m <= last_ok]
            per_clock = Counter(m % DAY for m in usable)  # exposures at one clock time share one comparison
            compare: dict[int, tuple[int, int]] = {}
            for clock_m in per_clock:
                if (w, clock_m) not in usable_days:
                    first = max(0, -((clock_m - start_m) // DAY))  # first day with d*DAY+clock_m >= start_m
                    last = (last_ok - clock_m) // DAY
                    last = min(last, days - 1)
                    usable_days[(w, clock_m)] = _bits(bytes(first) + b"\x01" * max(0, last - first + 1)
                                                      + bytes(max(0, days - 1 - max(last, first - 1))))
                days_bits = usable_days[(w, clock_m)] & control_bits
                compare[clock_m] = (days_bits, days_bits.bit_count())
            for system in sorted(flares):
                cover = covered[(system, w)]
                hits = sum(cover[m] for m in usable)
                expected = seen_sum = days_sum = 0.0
                for clock_m, (days_bits, n_days) in compare.items():
                    column = columns.get((system, w, clock_m))
                    if column is None:
                        column = columns[(system, w, clock_m)] = _bits(cover[clock_m::DAY])
                    seen = (column & days_bits).bit_count()
                    weight = per_clock[clock_m]
                    expected += weight * (seen + 1) / (n_days + 2)
                    seen_sum, days_sum = seen_sum + weight * seen, days_sum + weight * n_days
                n = len(usable)
                rate = expected / n if n else 0.0
                # Fisher's exact test only where the count and margin tests pass (elsewhere p is reported as 1).
                candidate = control_days >= MIN_CONTROL_DAYS and hits >= MIN_HITS and hits / n >= rate + MARGIN
                p = fisher_tail(hits, n, round(seen_sum / n), round(days_sum / n)) if candidate else 1.0
                notable = candidate and p < threshold
                cells.append(Cell(key, system, w, n, hits, rate, p, notable, control_days))
    return Correlation(tuple(cells), comparisons, counts)
