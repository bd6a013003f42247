"""Scenario discovery against a known answer, and the condition reader.

The synthetic sweep is stored in the sweep format (manifest, design, a part)
and read back through the results store: its outcome is
``(x0 > 0.6) & (x2 < 0.3)`` plus Gaussian noise (sd 0.25, so about 2% of the
runs land on the wrong side of 0.5), over four levers drawn by our Latin
hypercube. PRIM and CART must find that box and nothing else, and feature
scoring must rank x0 and x2 first.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmsim.experiments.analysis import load_results
from crmsim.experiments.box_scenario import box_scenario
from crmsim.experiments.design import Factor, latin_hypercube
from crmsim.experiments.discovery import DiscoveryError, discover, feature_scores, load_runs, parse_condition
from crmsim.experiments.store import ResultStore
from crmsim.model.scenario import load_scenario, parse_scenario

N, NOISE, SEED = 1000, 0.25, 11
# Synthetic levers named as in the issue, each standing for a real lever so the box can become a scenario.
PATHS = {"x0": "levers.faq_quality", "x1": "levers.forum", "x2": "levers.public_qa", "x3": "levers.transparency"}


def write_synthetic_sweep(root: Path) -> Path:
    """A sweep in the store's format whose answer is known (see the module docstring)."""
    factors = [Factor(name, low=0.0, high=1.0) for name in PATHS]
    design = latin_hypercube(factors, samples=N, seed=SEED)
    x = design.X
    rng = np.random.default_rng(SEED)
    metrics = {"outcome": ((x[:, 0] > 0.6) & (x[:, 2] < 0.3)) + rng.normal(0.0, NOISE, N),
               "noise": rng.normal(0.0, 1.0, N),
               "sparse": np.where(np.arange(N) % 4 == 0, np.nan, rng.uniform(size=N))}
    store = ResultStore(root)
    store.write_manifest({
        "experiment": "synthetic", "spec": {}, "factors": [f.to_dict() for f in factors], "paths": PATHS,
        "base_scenario": parse_scenario({}).model_dump(mode="json", exclude_none=True),
        "design": {"kind": "latin_hypercube", "samples": N}, "master_seed": SEED, "seeds": "test", "replications": 1,
        "points": N, "run_count": N, "every_step": [], "final": list(metrics), "code_version": "test",
        "started": "", "finished": "", "sessions": [], "identity": "synthetic"})
    store.write_design(pd.DataFrame({"point": range(N), **{f.name: x[:, j] for j, f in enumerate(factors)}}))
    rows = pd.concat([pd.DataFrame({"kind": "final", "run_id": np.arange(N), "point": np.arange(N), "replicate": 0,
                                    "seed": 0, **{f.name: x[:, j] for j, f in enumerate(factors)}, "step": 0,
                                    "metric": name, "value": values}) for name, values in metrics.items()])
    store.write_part(rows, identity="synthetic", experiment="synthetic")
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return load_runs(load_results(write_synthetic_sweep(tmp_path_factory.mktemp("synthetic"))))


@pytest.fixture(scope="module")
def condition(runs):
    return parse_condition("outcome > 0.5", runs.metrics, tuple(runs.levers.columns))


def _check_known_box(limits: pd.DataFrame, others_free: bool = True) -> None:
    by = limits.set_index("lever")
    assert by.loc["x0", "restricted_low"] and not by.loc["x0", "restricted_high"]
    assert abs(by.loc["x0", "low"] - 0.6) <= 0.05 and by.loc["x0", "high"] == 1.0
    assert by.loc["x2", "restricted_high"] and not by.loc["x2", "restricted_low"]
    assert abs(by.loc["x2", "high"] - 0.3) <= 0.05 and by.loc["x2", "low"] == 0.0
    if others_free:
        assert not by.loc["x1", "restricted"] and not by.loc["x3", "restricted"]  # the other levers stay free


def test_prim_recovers_the_known_box_and_leaves_the_other_levers_free(runs, condition):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # EMA Workbench's own warnings are silenced, and nothing else is raised
        found = discover(runs, condition, "prim")
    _check_known_box(found.limits)
    assert found.box["density"] > 0.9 and found.box["coverage"] > 0.8
    assert found.trajectory["coverage"].iloc[0] == 1.0 and found.trajectory["restricted"].iloc[0] == 0
    qp = found.limits.set_index("lever").loc[["x0", "x2"], ["qp_low", "qp_high"]]
    assert qp.loc["x0", "qp_low"] < 1e-3 and qp.loc["x2", "qp_high"] < 1e-3


def test_cart_finds_the_same_limits_on_a_leaf(runs, condition):
    found = discover(runs, condition, "cart")
    # A tree may split the true box again on noise (here on x3, into two pure leaves): only its limits are checked.
    _check_known_box(found.limits, others_free=False)
    assert found.box["density"] > 0.9 and found.limits[["qp_low", "qp_high"]].isna().all().all()


def test_feature_scoring_ranks_x0_and_x2_first(runs, condition):
    table, skipped = feature_scores(runs.levers, {m: runs.metrics[m].to_numpy() for m in runs.metrics})
    top = table[(table["outcome"] == "outcome") & (table["rank"] <= 2)]
    assert set(top["lever"]) == {"x0", "x2"}
    assert table.groupby("outcome")["score"].sum().round(6).eq(1.0).all()
    assert set(table["outcome"]) == {"outcome", "noise", "sparse"} and not skipped  # NaN runs left out, not fatal
    noise = table[table["outcome"] == "noise"]["score"]
    assert noise.max() - noise.min() < 0.1  # no lever stands out for a metric no lever drives
    classified, _ = feature_scores(runs.levers, {"c": condition.holds}, classify=True)
    assert set(classified.nsmallest(2, "rank")["lever"]) == {"x0", "x2"}


def test_the_same_results_give_the_same_boxes_and_scores(runs, condition):
    for method in ("prim", "cart"):
        first, second = discover(runs, condition, method), discover(runs, condition, method)
        pd.testing.assert_frame_equal(first.trajectory, second.trajectory)
        pd.testing.assert_frame_equal(first.limits, second.limits)
    outcomes = {"outcome": runs.metrics["outcome"].to_numpy()}
    pd.testing.assert_frame_equal(feature_scores(runs.levers, outcomes)[0], feature_scores(runs.levers, outcomes)[0])


def test_when_most_runs_meet_the_condition_the_box_still_finds_where_it_fails(runs):
    common = parse_condition("outcome < 0.5", runs.metrics)  # true outside the known box: 86% of the runs
    found = discover(runs, common, "prim")
    share = common.holds.mean()
    assert found.chosen > 0 and found.box["density"] > share + 0.1 and found.box["coverage"] > 0.5
    restricted = set(found.limits.loc[found.limits["restricted"], "lever"])
    assert restricted and restricted <= {"x0", "x2"}  # it cuts away (part of) the known box, and nothing else
    assert found.trajectory.loc[found.chosen, "significant"]


def test_another_box_on_the_trajectory_can_be_chosen(runs, condition):
    found = discover(runs, condition, "prim", box=0)
    assert found.chosen == 0 and not found.limits["restricted"].any() and found.box["coverage"] == 1.0
    with pytest.raises(DiscoveryError, match=r"--box: got 999; allowed: 0 to \d+"):
        discover(runs, condition, "prim", box=999)
    with pytest.raises(DiscoveryError, match="--method: got 'tree'; allowed: prim, cart"):
        discover(runs, condition, "tree")


def test_the_box_as_a_scenario_sits_at_its_centre_and_loads(runs, condition, tmp_path):
    found = discover(runs, condition, "prim")
    path = tmp_path / "box.toml"
    path.write_text(box_scenario(runs, found, condition, parse_scenario({}).model_dump(mode="json", exclude_none=True),
                                 path=path, label="outcome > 0.5"), encoding="utf-8")
    levers = load_scenario(path).levers
    by = found.limits.set_index("lever")
    assert levers.faq_quality == pytest.approx((by.loc["x0", "low"] + 1.0) / 2, abs=0.005)  # x0 is faq_quality
    assert levers.public_qa == pytest.approx(by.loc["x2", "high"] / 2, abs=0.005)  # x2 is public_qa
    assert levers.forum == 0.5 and levers.transparency == 0.5  # free levers: the centre of their sampled range
    text = path.read_text()
    assert "# Condition: outcome > 0.5" in text and "not restricted by the box" in text and "quasi-p" in text


# --- the condition ----------------------------------------------------------------------------

METRICS = pd.DataFrame({"lost_users": [0.01, 0.2, 0.04, np.nan], "trust_mean": [0.6, 0.7, 0.4, 0.9]})


@pytest.mark.parametrize("where, holds", [
    ("lost_users < 0.05 and trust_mean > 0.5", [True, False, False, False]),
    ("lost_users < 0.05 & (trust_mean > 0.5)", [True, False, False, False]),
    ("0.03 < lost_users < 0.3 or not trust_mean < 0.8", [False, True, True, True]),
    ("lost_users * 2 <= trust_mean - 0.3", [True, False, True, False]),
])
def test_conditions_combine_comparisons_and_missing_values_do_not_meet_them(where, holds):
    condition = parse_condition(where, METRICS)
    assert condition.holds.tolist() == holds
    assert condition.missing == {"lost_users": 1}


@pytest.mark.parametrize("where, words", [
    ("lost_user < 0.05", "unknown metric 'lost_user' (did you mean lost_users?); allowed: the final metrics of this "
                         "sweep: lost_users, trust_mean"),
    ("faq_quality > 0.5", "faq_quality is a varied lever, not a metric"),
    ("__import__('os').system('touch /tmp/pwned') == 0", "is not allowed in a condition"),
    ("lost_users.max() > 0", "is not allowed in a condition"),
    ("lost_users == 'a'", "is not allowed in a condition"),
    ("lost_users <", "cannot read 'lost_users <' as a condition"),
    ("lost_users + 1", "is not a condition (true or false for each run)"),
    ("1 < 2", "names no metric"),
])
def test_a_condition_that_cannot_be_used_is_named_with_what_is_allowed(where, words):
    with pytest.raises(DiscoveryError) as err:
        parse_condition(where, METRICS, ("faq_quality",))
    assert words in str(err.value) and str(err.value).startswith("--where: ") and "\n" not in str(err.value)


@pytest.mark.parametrize("where, which", [("outcome > 5", "none"), ("outcome > -5", "all")])
def test_a_condition_true_for_no_run_or_every_run_has_no_box(runs, where, which):
    condition = parse_condition(where, runs.metrics)
    with pytest.raises(DiscoveryError, match=rf"holds for {which} of the 1,000 runs \(outcome ranges from -0\.\d+ "
                                             rf"to 1\.\d+\); allowed: a condition some runs meet and others do not"):
        discover(runs, condition)
