"""The consensus "20% + 2" rule for an acute serum tryptase rise (MCAS criterion B).

Source: Valent P, et al. "Definitions, criteria and global classification of mast cell disorders"
(consensus-1, Int Arch Allergy Immunol 2012;157:215-225) and the 2019 update (Valent et al., Int Arch
Allergy Immunol 2019;180:44-51, PMC7115850): an increase of serum tryptase over the individual's
baseline by at least 20% + 2 ng/mL, in a sample drawn within 4 hours of the onset of an episode,
documents mast cell activation. The rule supports the practitioner; it is never a diagnosis. Timing:
NICE CG134 (Anaphylaxis): as soon as possible, ideally within 2 hours, and no later than 4 hours from
the onset; a sample drawn 2-4 h after onset still counts but is noted.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Drawn too early (the rise takes time) or after this, an acute sample cannot show the rise.
IDEAL_DRAW_HOURS = (1, 2)  # NICE CG134: ideally within 2 hours (the rise peaks at about 1-2 h)
MAX_DRAW_HOURS = 4


@dataclass(frozen=True)
class TryptaseRise:
    baseline: Decimal
    acute: Decimal
    threshold: Decimal  # baseline x 1.2 + 2, exact (compared unrounded: baseline 5.04 gives 8.048)
    meets_rule: bool
    hours_after_onset: Decimal | None
    timing_note: str | None

    @property
    def summary(self) -> str:
        verdict = "meets" if self.meets_rule else "does not meet"
        return (f"Acute {self.acute} ng/mL vs baseline {self.baseline} ng/mL: the 20% + 2 threshold is "
                f"{shown(self.threshold)} ng/mL, so this {verdict} the consensus rise (not a diagnosis).")


def shown(value: Decimal) -> str:
    """A computed value as read: trailing zeros dropped, at least one decimal (8.00 -> 8.0, 8.048 -> 8.048)."""
    text = f"{value.normalize():f}"
    return text if "." in text else f"{text}.0"


def threshold(baseline: Decimal) -> Decimal:
    """baseline + 20% of baseline + 2 ng/mL, exact: never rounded before comparing (issue 23: baseline 5.04
    and acute 8.0 used to "meet" a threshold rounded to 8.0 from 8.048)."""
    return baseline * Decimal("1.2") + Decimal("2")


def assess_rise(baseline: Decimal | float | str, acute: Decimal | float | str,
                hours_after_onset: Decimal | float | str | None = None) -> TryptaseRise:
    """Compare an acute tryptase with the baseline. Values are ng/mL and must not be negative."""
    base, peak = Decimal(str(baseline)), Decimal(str(acute))
    if base < 0 or peak < 0:
        raise ValueError("tryptase values cannot be negative")
    hours = None if hours_after_onset is None else Decimal(str(hours_after_onset))
    note = None
    if hours is not None:
        if hours < 0:
            raise ValueError("hours after onset cannot be negative")
        if hours > MAX_DRAW_HOURS:
            note = (f"Drawn {hours} h after onset: later than {MAX_DRAW_HOURS} h, a rise may already "
                    "have passed, so a result below the threshold does not exclude one.")
        elif hours > IDEAL_DRAW_HOURS[1]:
            note = (f"Drawn {hours} h after onset: after the ideal {IDEAL_DRAW_HOURS[1]} h but within "
                    f"{MAX_DRAW_HOURS} h (NICE CG134), so it counts, though the peak may have passed.")
        elif hours < IDEAL_DRAW_HOURS[0]:
            note = (f"Drawn {hours} h after onset: earlier than 1 h, the rise may not have peaked yet.")
    limit = threshold(base)
    return TryptaseRise(baseline=base, acute=peak, threshold=limit, meets_rule=peak >= limit,
                        hours_after_onset=hours, timing_note=note)


# A high baseline (issue 23). Sources: the WHO classification of systemic mastocytosis (2016 revision, Arber DA
# et al., Blood 2016;127:2391; kept in WHO 2022): a serum tryptase persistently above 20 ng/mL is a minor
# criterion, so consider referral to haematology or allergy. Hereditary alpha-tryptasemia: a baseline of
# 8 ng/mL or more suggests it (Lyons JJ et al., Nat Genet 2016;48:1564), and there the 20% + 2 rule is less
# specific (Chovanec J et al. 2021, PubMed 34425177). Strictly above 20; 8 itself counts.
MASTOCYTOSIS_BASELINE = Decimal("20")
HAT_BASELINE = Decimal("8")


@dataclass(frozen=True)
class BaselineFlag:
    key: str  # "tryptase_over_20", "tryptase_hat"
    text: str


def baseline_flags(baseline: Decimal | float | str | None) -> tuple[BaselineFlag, ...]:
    """What a baseline tryptase alone should prompt: none below 8 ng/mL (or without a value)."""
    if baseline is None:
        return ()
    value = Decimal(str(baseline))
    flags = []
    if value > MASTOCYTOSIS_BASELINE:
        flags.append(BaselineFlag("tryptase_over_20", f"Baseline tryptase {value} ng/mL is above 20 ng/mL, a WHO "
                                  "minor criterion for systemic mastocytosis: consider referral to haematology "
                                  "or allergy."))
    if value >= HAT_BASELINE:
        flags.append(BaselineFlag("tryptase_hat", f"Baseline tryptase {value} ng/mL is 8 ng/mL or more: consider "
                                  "hereditary alpha-tryptasemia (a TPSAB1 copy-number test); the 20% + 2 rise is "
                                  "less specific at this baseline."))
    return tuple(flags)
