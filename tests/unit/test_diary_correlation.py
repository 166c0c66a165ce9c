"""The diary's time-lag correlation: a planted pattern is found, exposures at random times find none above
the base rate, and fewer than three exposures show nothing.

Why the shuffled property is exact rather than lucky: with exposure times drawn uniformly over the diary
period, each exposure is followed by a flare with probability equal to the base rate (the base rate is
that very share of the period), independently, so its hit count is Binomial(n, base rate). The finder's
Bonferroni-corrected binomial test then flags any cell at all with probability at most ALPHA (1%), and the
25-point margin and three-hit minimum make it rarer still (test_false_positive_rate_is_small measures it on
500 diaries). Hypothesis examples are derandomized, so every run explores the same ones.
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
    binomial_tail,
    correlate,
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


def test_false_positive_rate_is_small():
    """500 diaries with no link at all: the share showing any pattern stays well under ALPHA."""
    rng = random.Random(2026)
    shown = 0
    for _ in range(500):
        ratings = background(rng, rng.randint(1, 30))
        exposures = [Exposure(at(rng.uniform(0, DAYS * 24)), k) for k in KEYS for _ in range(rng.randint(3, 25))]
        shown += bool(correlate(exposures, ratings, start=START, end=END).patterns)
    assert shown / 500 <= ALPHA


def test_base_rate_is_the_share_of_the_period_followed_by_a_flare():
    # One skin flare at hour 100 of a 90-day diary: 6 of the 2,160 hours are followed by it within 6 h.
    ratings = [Rating(at(100), "skin", 2)]
    exposures = [Exposure(at(h), "tag:fermented") for h in (95, 97, 500)]
    cells = {c.window: c for c in correlate(exposures, ratings, start=START, end=END).cells}
    assert cells["0-6h"].base_rate == pytest.approx(6 / (DAYS * 24))
    assert cells["6-48h"].base_rate == pytest.approx(42 / (DAYS * 24))
    assert (cells["0-6h"].hits, cells["6-48h"].hits) == (2, 0)
    assert cells["0-6h"].counts_text == "2 of 3 times" and cells["0-6h"].usual_text == "about 0.0 of 3 by chance"
    assert not cells["0-6h"].notable  # two hits are too few to call a pattern


def test_mild_ratings_are_not_flares_and_windows_are_half_open():
    ratings = [Rating(at(10), "skin", 1), Rating(at(16), "gastrointestinal", 3)]
    exposures = [Exposure(at(h), "tag:alcohol") for h in (10, 10, 10)]
    cells = {(c.system, c.window): c.hits for c in correlate(exposures, ratings, start=START, end=END).cells}
    assert ("skin", "0-6h") not in cells  # no skin flare at all: nothing compared
    assert cells[("gastrointestinal", "0-6h")] == 0 and cells[("gastrointestinal", "6-48h")] == 3


def test_food_keys_ignore_case_and_spacing():
    assert food_key("  Aged   Cheese ") == food_key("aged cheese") == "food:aged cheese"
    assert food_key("   ") is None


def test_binomial_tail():
    assert binomial_tail(5, 0, 0.3) == 1.0
    assert binomial_tail(5, 5, 0.5) == pytest.approx(1 / 32)
    assert binomial_tail(4, 2, 0.5) == pytest.approx(11 / 16)


def test_results_carry_the_label():
    assert correlate([], [], start=START, end=END).label == LABEL == "A pattern to discuss, not a verdict"
