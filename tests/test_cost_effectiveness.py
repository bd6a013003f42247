"""Cost-effectiveness in compare: known ratios, what is shown when an effect is unclear, the conventions' cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from babel.messages.pofile import read_po

from crmsim.experiments.analysis import differences
from crmsim.experiments.cost_effectiveness import (COST, LEGEND, PRICED, STATUSES, cost_effectiveness, euros,
                                                   ratio_text, unit_header)
from crmsim.texts.i18n import LOCALE_DIR, language

REPS = 30


def _final(cost_shift: float, lost_shift: float, lost_noise: float = 0.002, seed: int = 0) -> pd.DataFrame:
    """A reference and a scenario over REPS paired replicates: cost and lost users shifted by the given amounts.

    Replicates share a large common part (what pairing cancels) and differ by small noise of their own.
    """
    rng = np.random.default_rng(seed)
    common_cost, common_lost = rng.normal(25, 5, REPS), rng.normal(0.2, 0.05, REPS)
    rows = []
    for scenario, c, l in (("ref", 0.0, 0.0), ("alt", cost_shift, lost_shift)):
        cost = common_cost + c + rng.normal(0, 0.5, REPS)
        lost = common_lost + l + rng.normal(0, lost_noise, REPS)
        acted = np.full(REPS, 1.0) + (0.0 if scenario == "ref" else 0.1)
        for metric, values in ((COST, cost), ("lost_users", lost), ("bottom_needs_acted_on", acted)):
            rows += [{"point": int(scenario == "alt"), "scenario": scenario, "replicate": r, "metric": metric,
                      "value": v} for r, v in enumerate(values)]
    return pd.DataFrame(rows)


def _analyse(final: pd.DataFrame, steps: int = 52) -> pd.DataFrame:
    diffs = differences(final, "scenario", "ref", ["scenario"]).drop(columns="point")
    return cost_effectiveness(final, diffs, ["ref", "alt"], steps).set_index("effect")


def test_a_known_extra_cost_over_a_known_gain_gives_the_ratio_with_an_interval_around_it():
    """+EUR 10 a citizen a year for 2 points fewer lost users a year: EUR 500 per lost user reconnected."""
    row = _analyse(_final(10.0, -0.02)).loc["lost_users"]
    assert row["status"] == "cost per unit gained"
    assert row["ratio"] == pytest.approx(500, rel=0.05)
    assert row["ratio_ci_low"] < row["ratio"] < row["ratio_ci_high"]
    assert row["ratio_ci_high"] - row["ratio_ci_low"] < 100  # the paired bootstrap keeps only the own noise


def test_the_ratio_counts_lost_users_per_year_of_the_recorded_period():
    """Half a year recorded: the same difference in lost users is twice the gain per year, so half the cost."""
    assert _analyse(_final(10.0, -0.02), steps=26).loc["lost_users", "ratio"] == pytest.approx(250, rel=0.05)


def test_the_bootstrap_interval_is_the_same_every_time():
    first, again = _analyse(_final(10.0, -0.02)), _analyse(_final(10.0, -0.02))
    pd.testing.assert_frame_equal(first, again)


def test_an_effect_whose_interval_includes_zero_shows_no_ratio():
    row = _analyse(_final(10.0, 0.0, lost_noise=0.01)).loc["lost_users"]
    assert row["effect_ci_low"] < 0 < row["effect_ci_high"]
    assert row["status"] == "effect unclear" and np.isnan(row["ratio"])
    assert ratio_text(row) == "effect unclear"


@pytest.mark.parametrize(("cost", "lost", "status"), [
    (-5.0, -0.02, "dominant"),
    (5.0, 0.02, "dominated"),
    (0.0, -0.02, "better, no clear cost difference"),
])
def test_the_cases_of_cost_effectiveness_analysis(cost, lost, status):
    row = _analyse(_final(cost, lost)).loc["lost_users"]
    assert row["status"] == status and np.isnan(row["ratio"])


def test_cheaper_and_worse_shows_the_saving_per_unit_forgone():
    row = _analyse(_final(-10.0, 0.02)).loc["lost_users"]
    assert row["status"] == "saving per unit lost"
    assert row["ratio"] == pytest.approx(500, rel=0.05)
    assert ratio_text(row) == f"saves {euros(row['ratio'])} per unit forgone ({euros(row['ratio_ci_low'])} to " \
                              f"{euros(row['ratio_ci_high'])})"


def test_a_gain_in_needs_acted_on_is_priced_per_need():
    """+0.1 needs of the least skilled quarter acted on per citizen a year for +EUR 10: EUR 100 a need."""
    row = _analyse(_final(10.0, 0.0)).loc["bottom_needs_acted_on"]
    assert row["status"] == "cost per unit gained" and row["ratio"] == pytest.approx(100, rel=0.05)


def test_every_cost_effectiveness_text_is_in_french():
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po").open("rb") as source:
        catalogue = {m.id for m in read_po(source, locale="fr") if m.id}
    texts = {LEGEND, *STATUSES, *(p.unit for p in PRICED.values())}
    assert sorted(texts - catalogue) == []
    with language("fr"):
        assert unit_header("lost_users") == "euros par usager perdu reconnecté"
