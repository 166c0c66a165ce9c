"""The diary's time-lag correlation: planted patterns are found, diaries with no link rarely show one, a food
eaten every day never does, and fewer than three exposures show nothing.

The comparison is the same clock time on days she logged something but not the exposure (see
app/diary/correlation.py). test_null_diaries_rarely_show_a_pattern measures the false-pattern rate on 1,200
seeded, realistic diaries with no link (fixed meal times, symptoms only while awake) and holds it at or
under ALPHA (1%); the README quotes its figure. Hypothesis examples are derandomized, so every run explores
the same ones.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.diary.correlation import (
    ALPHA,
    LABEL,
    MIN_EXPOSURES,
    Exposure,
    Rating,
    correlate,
    fisher_tail,
    food_key,
)
from app.intake.questionnaire import SYSTEMS

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
DAYS = 90
END = START + timedelta(days=DAYS)
SYSTEM_KEYS = sorted(SYSTEMS)
KEYS = ["tag:fermented", "tag:leftover", "tag:alcohol", "food:aged cheese", "food:spinach", "tag:stress"]
SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def background(rng: random.Random, flares_per_system: int) -> list[Rating]:
    """Flares and mild ratings scattered at random over the period, in every system."""
    ratings = []
    for system in SYSTEM_KEYS:
        for _ in range(flares_per_system):
            ratings.append(Rating(at(rng.uniform(0, DAYS * 24)), system, rng.choice([2, 3])))
        for _ in range(flares_per_system):
            ratings.append(Rating(at(rng.uniform(0, DAYS * 24)), system, rng.choice([0, 1])))
    return ratings


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), planted=st.integers(5, 14), lag=st.floats(0.5, 5.5),
       system=st.sampled_from(SYSTEM_KEYS), flares=st.integers(0, 8))
def test_a_planted_pattern_is_found(seed, planted, lag, system, flares):
    rng = random.Random(seed)
    ratings = background(rng, flares)
    exposures = [Exposure(at(rng.uniform(0, DAYS * 24) // 1), k) for k in KEYS for _ in range(rng.randint(3, 12))]
    for _ in range(planted):
        t = at(rng.uniform(0, DAYS * 24 - 6))
        exposures.append(Exposure(t, "food:prawns"))
        ratings.append(Rating(t + timedelta(hours=lag), system, 3))
    result = correlate(exposures, ratings, start=START, end=END)
    found = [c for c in result.patterns if c.key == "food:prawns" and c.system == system and c.window == "0-6h"]
    assert found, "the planted 0-6 h pattern was not found"
    assert found[0].hits == planted and found[0].counts_text == f"{planted} of {planted} times"


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), flares=st.integers(1, 40), per_key=st.integers(3, 30))
def test_exposures_at_random_times_show_no_pattern(seed, flares, per_key):
    rng = random.Random(seed)
    ratings = background(rng, flares)
    exposures = [Exposure(at(rng.uniform(0, DAYS * 24)), k) for k in KEYS for _ in range(per_key)]
    result = correlate(exposures, ratings, start=START, end=END)
    assert result.comparisons == len(KEYS) * len(SYSTEM_KEYS) * 2
    assert result.patterns == []


def test_shuffling_a_planted_diary_removes_its_pattern():
    rng = random.Random(7)
    ratings = background(rng, 4)
    exposures = []
    for _ in range(10):
        t = at(rng.uniform(0, DAYS * 24 - 6))
        exposures.append(Exposure(t, "tag:fermented"))
        ratings.append(Rating(t + timedelta(hours=2), "skin", 3))
    assert any(c.key == "tag:fermented" for c in correlate(exposures, ratings, start=START, end=END).patterns)
    shuffled = [Exposure(at(rng.uniform(0, DAYS * 24)), e.key) for e in exposures]
    assert correlate(shuffled, ratings, start=START, end=END).patterns == []


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, MIN_EXPOSURES - 1))
def test_fewer_than_three_exposures_show_nothing(seed, count):
    rng = random.Random(seed)
    exposures = []
    ratings = background(rng, 2)
    for _ in range(count):  # each one followed by a severe flare in every system: still nothing shown
        t = at(rng.uniform(0, DAYS * 24 - 6))
        exposures.append(Exposure(t, "food:prawns"))
        ratings.extend(Rating(t + timedelta(hours=1), s, 3) for s in SYSTEM_KEYS)
    result = correlate(exposures, ratings, start=START, end=END)
    assert result.for_key("food:prawns") == [] and result.patterns == []
    assert result.exposure_counts.get("food:prawns", 0) == count


def test_the_comparison_is_the_same_clock_time_on_days_without_the_exposure():
    # Aged cheese at 12:00 on days 0, 2, 4; every day from 0 to 19 has a logged rating. Skin flares at 14:00 on
    # days 0, 2, 4 (after the cheese) and on days 5 and 6 (without it). Days without cheese: 17; at 12:00 two
    # of them (5, 6) were followed by a skin flare within 6 hours: (2 + 1) / (17 + 2) each, Laplace-smoothed.
    ratings = [Rating(at(24 * d + 20), "neuro", 1) for d in range(20)]
    ratings += [Rating(at(24 * d + 14), "skin", 2) for d in (0, 2, 4, 5, 6)]
    exposures = [Exposure(at(24 * d + 12), "food:aged cheese") for d in (0, 2, 4)]
    cells = {c.window: c for c in correlate(exposures, ratings, start=START, end=at(24 * 20)).cells
             if c.system == "skin"}
    near = cells["0-6h"]
    assert (near.hits, near.exposures, near.control_days) == (3, 3, 17)
    assert near.base_rate == pytest.approx(3 / 19)
    assert near.counts_text == "3 of 3 times"
    assert near.usual_text == "about 0.5 of 3 at the same times on days without it"
    # A flare in the night (03:00) does not raise the comparison for a noon exposure: its own clock time counts.
    night = ratings + [Rating(at(24 * d + 3), "skin", 3) for d in range(7, 19)]
    cells = {c.window: c for c in correlate(exposures, night, start=START, end=at(24 * 20)).cells if c.system == "skin"}
    assert cells["0-6h"].base_rate == pytest.approx(3 / 19)


def test_a_food_eaten_every_day_is_never_a_pattern():
    """Oats at 08:00 every day of 8 weeks, a flare two hours later on every day: no day without oats to compare
    with, so no pattern, and the counts table says why."""
    exposures = [Exposure(at(24 * d + 8), "food:oats") for d in range(56)]
    ratings = [Rating(at(24 * d + 10), "skin", 3) for d in range(56)]
    result = correlate(exposures, ratings, start=START, end=at(24 * 56))
    assert result.patterns == []
    near = next(c for c in result.cells if c.window == "0-6h")
    assert near.hits == near.exposures == 56 and near.control_days == 0 and not near.comparable
    assert near.usual_text == "logged on too many days to compare with days without it"
    # Six days without oats (fewer than MIN_CONTROL_DAYS) are still too few to compare with.
    fewer = [e for d, e in enumerate(exposures) if d not in (3, 9, 15, 21, 27, 30)]
    result = correlate(fewer, ratings, start=START, end=at(24 * 56))
    assert result.patterns == [] and next(c for c in result.cells if c.window == "0-6h").control_days == 6


def test_a_planted_dinner_pattern_among_fixed_meals_is_found():
    """Real diaries: oats at 08:00 and a sandwich at 13:00 every day, a varied dinner at 19:00, flares at random
    waking hours; prawns (on 8 of 42 dinners) are followed by a skin flare 1-3 hours later."""
    rng = random.Random(11)
    exposures, ratings = [], []
    prawn_days = set(rng.sample(range(42), 8))
    for d in range(42):
        exposures += [Exposure(at(24 * d + 8), "food:oats"), Exposure(at(24 * d + 13), "food:sandwich")]
        dinner = "food:prawns" if d in prawn_days else rng.choice(["food:pasta", "food:curry", "food:stew"])
        exposures.append(Exposure(at(24 * d + 19), dinner))
        ratings += [Rating(at(24 * d + rng.uniform(9, 22)), rng.choice(["skin", "neuro"]), 2) for _ in range(2)]
        if d in prawn_days:
            ratings.append(Rating(at(24 * d + 19 + rng.uniform(1, 3)), "skin", 3))
    patterns = correlate(exposures, ratings, start=START, end=at(24 * 43)).patterns
    assert [(c.key, c.system, c.window, c.counts_text) for c in patterns] == [
        ("food:prawns", "skin", "0-6h", "8 of 8 times")]


NULL_DIARIES = 1200
DINNERS = ["pasta", "curry", "salmon", "stew", "pizza", "stir fry", "omelette", "soup", "tacos", "risotto"]
NULL_TAGS = ["tag:leftover", "tag:fermented", "tag:fresh", "tag:stress", "tag:poor_sleep", "tag:alcohol"]


def null_diary(rng: random.Random) -> tuple[list[Exposure], list[Rating], datetime, datetime]:
    """A diary with no link at all between what she ate and her flares, shaped like a real one: 2-8 weeks;
    breakfast at 08:00 (oats and coffee, every day), lunch at 13:00 (the same sandwich every day, or one of
    three), dinner at 19:00 (one of ten, with random tags), a snack some afternoons; meal times exact or
    within 10 or 30 minutes; flares (0.5-3 a day on average, Poisson) and mild ratings at random waking
    hours 09:00-22:00, in one to three organ systems."""
    days = rng.randint(14, 56)
    per_day = rng.uniform(0.5, 3)
    systems = rng.sample(SYSTEM_KEYS, rng.randint(1, 3))
    jitter = rng.choice([0, 10, 30])
    same_lunch = rng.random() < 0.5
    exposures: list[Exposure] = []
    ratings: list[Rating] = []

    def meal(day: int, hour: int) -> datetime:
        return START + timedelta(days=day, hours=hour, minutes=rng.randint(-jitter, jitter))

    for d in range(days):
        t = meal(d, 8)
        exposures += [Exposure(t, "food:oats"), Exposure(t, "food:coffee")]
        lunch = "sandwich" if same_lunch else rng.choice(["sandwich", "salad", "soup"])
        exposures.append(Exposure(meal(d, 13), "food:" + lunch))
        t = meal(d, 19)
        exposures.append(Exposure(t, "food:" + rng.choice(DINNERS)))
        exposures += [Exposure(t, tag) for tag in NULL_TAGS if rng.random() < 0.2]
        if rng.random() < 0.3:
            exposures.append(Exposure(meal(d, 16), "food:" + rng.choice(["apple", "crisps", "chocolate", "nuts"])))
        flares = 0
        gap = rng.expovariate(per_day)
        while gap < 1:  # a Poisson count with mean per_day
            flares += 1
            gap += rng.expovariate(per_day)
        for severity in [rng.choice([2, 3]) for _ in range(flares)] + [rng.choice([0, 1]) for _ in range(2)]:
            when = START + timedelta(days=d, minutes=rng.uniform(9 * 60, 22 * 60))
            ratings.append(Rating(when, rng.choice(systems), severity))
    return exposures, ratings, START, START + timedelta(days=days)


def test_null_diaries_rarely_show_a_pattern():
    """1,200 simulated diaries with no link at all (see null_diary): the share naming any pattern stays at or
    under ALPHA (1%). Seeded, so every run simulates the same diaries; measured: 0 of 1,200. The earlier
    baseline (every moment of the day, night included, with a binomial test) named a pattern in 88 of these
    same 1,200 (7.3%)."""
    rng = random.Random(23)
    shown = []
    for _ in range(NULL_DIARIES):
        exposures, ratings, start, end = null_diary(rng)
        result = correlate(exposures, ratings, start=start, end=end)
        assert not any(c.key in ("food:oats", "food:coffee") and c.notable for c in result.cells)
        if result.patterns:
            shown.append(result.patterns[0])
    print(f"null diaries showing a pattern: {len(shown)} of {NULL_DIARIES} ({len(shown) / NULL_DIARIES:.2%})")
    assert len(shown) / NULL_DIARIES <= ALPHA, shown


def test_mild_ratings_are_not_flares_and_windows_are_half_open():
    ratings = [Rating(at(10), "skin", 1), Rating(at(16), "gastrointestinal", 3)]
    exposures = [Exposure(at(h), "tag:alcohol") for h in (10, 10, 10)]
    cells = {(c.system, c.window): c.hits for c in correlate(exposures, ratings, start=START, end=END).cells}
    assert ("skin", "0-6h") not in cells  # no skin flare at all: nothing compared
    assert cells[("gastrointestinal", "0-6h")] == 0 and cells[("gastrointestinal", "6-48h")] == 3


def test_food_keys_ignore_case_and_spacing():
    assert food_key("  Aged   Cheese ") == food_key("aged cheese") == "food:aged cheese"
    assert food_key("   ") is None


@pytest.mark.parametrize("hits, n, control_hits, controls, p", [
    (0, 5, 3, 20, 1.0),
    (5, 5, 0, 13, 1 / 8568),  # all 5 flares in the 5 exposures: 1 / C(18, 5)
    (3, 3, 1, 1, 1.0),  # 4 flares in 4 moments: nothing to tell apart
    (2, 2, 0, 2, 1 / 6),  # 1 / C(4, 2)
    (1, 2, 1, 2, 5 / 6),
])
def test_fisher_tail(hits, n, control_hits, controls, p):
    assert fisher_tail(hits, n, control_hits, controls) == pytest.approx(p)


def test_results_carry_the_label():
    assert correlate([], [], start=START, end=END).label == LABEL == "A pattern to discuss, not a verdict"
