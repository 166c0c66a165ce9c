"""Issue 23: the 20% + 2 threshold compared unrounded, and what a high baseline tryptase alone prompts
(WHO minor criterion for systemic mastocytosis above 20 ng/mL; hereditary alpha-tryptasemia from 8 ng/mL,
Chovanec 2021, PubMed 34425177). Tables: values -> outcome."""
from decimal import Decimal

import pytest

from app.clinical.tryptase import assess_rise, baseline_flags


@pytest.mark.parametrize(
    ("baseline", "acute", "meets", "shown"),
    [
        ("5.04", "8.0", False, "8.048"),  # the review's case: 8.048 rounded to 8.0 used to "meet"
        ("5.04", "8.05", True, "8.048"),
        ("5.04", "8.048", True, "8.048"),  # exactly at the threshold meets
        ("4.96", "7.95", False, "7.952"),
        ("5", "8", True, "8.0"),
    ],
)
def test_the_threshold_is_compared_unrounded(baseline, acute, meets, shown):
    result = assess_rise(baseline, acute)
    assert result.meets_rule is meets
    assert f"the 20% + 2 threshold is {shown} ng/mL" in result.summary


@pytest.mark.parametrize(
    ("baseline", "keys"),
    [
        (None, []),
        ("0", []),
        ("5.4", []),
        ("7.9", []),
        ("8", ["tryptase_hat"]),  # 8 itself counts
        ("11.5", ["tryptase_hat"]),
        ("20", ["tryptase_hat"]),  # "above 20": 20 is not
        ("20.1", ["tryptase_over_20", "tryptase_hat"]),
        ("35", ["tryptase_over_20", "tryptase_hat"]),  # the review's case: used to show nothing
    ],
)
def test_a_high_baseline_is_flagged(baseline, keys):
    flags = baseline_flags(None if baseline is None else Decimal(baseline))
    assert [f.key for f in flags] == keys
    texts = " ".join(f.text for f in flags)
    if "tryptase_over_20" in keys:
        assert "WHO minor criterion for systemic mastocytosis" in texts and "haematology or allergy" in texts
    if "tryptase_hat" in keys:
        assert "hereditary alpha-tryptasemia" in texts and "less specific" in texts
