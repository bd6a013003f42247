"""compare --worlds: the share of plausible worlds in which a verdict holds, and an interval over worlds and seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from crmsim.calibration.worlds import METADATA_KEY
from crmsim.commands import main
from crmsim.experiments.provenance import STAMP_KEY, model_stamp
from crmsim.experiments.worlds_compare import across_worlds, mixture_interval
from crmsim.model.params import PARAMS

SMALL = ('steps = 26\nwarmup = 52\nseed = 3\npolicy = "supply_front_office"\n'
         '[population]\nn_citizens = 500\nprescribers_per_1000 = 20\n')


def _worlds_file(path: Path, values: dict[str, list[float]], fitted: dict[str, float] | None = None) -> Path:
    """A worlds table as crmsim worlds writes it: the given assumptions' values, each world's fitted parameters
    (default: trust_disposition at its calibrated value, so the worlds differ only in the assumptions), the model
    stamp, and world numbers 0 to n-1, so that read_worlds accepts it."""
    fitted = {"trust_disposition": PARAMS["trust_disposition"].default} if fitted is None else fitted
    n = len(next(iter(values.values())))
    frame = pd.DataFrame({"world": np.arange(n), "candidate": np.arange(n),
                          **{name: [value] * n for name, value in fitted.items()}, **values, "distance": 0.0})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    provenance = {"fitted": list(fitted),
                  "priors": {name: [value - 0.1, value + 0.1] for name, value in fitted.items()},
                  "assumptions": {name: [min(v), max(v)] for name, v in values.items()}, STAMP_KEY: model_stamp()}
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(provenance).encode()}), path)
    return path


def _scenario(path: Path, levers: str = "") -> Path:
    path.write_text(f'name = "{path.stem}"\n{SMALL}' + (f"[levers]\n{levers}\n" if levers else ""), encoding="utf-8")
    return path


def test_a_scenario_compared_with_itself_is_negligible_on_every_metric_in_every_world(tmp_path, capsys):
    base, same = _scenario(tmp_path / "base.toml"), _scenario(tmp_path / "same.toml")
    worlds = _worlds_file(tmp_path / "w.parquet", {"trust_gain": [0.07, 0.1, 0.14], "queue_aversion": [0.7, 1.0, 1.4]})
    code = main(["compare", str(base), str(same), "--reps", "3", "--worlds", "3", "--world-reps", "3",
                 "--worlds-file", str(worlds), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "share of 3 plausible worlds" in out
    table = pd.read_csv(next((tmp_path / "out").glob("*/compare.csv")))
    rows = table[(table["scenario"] == "same") & table["worlds"].notna()]
    undefined = rows["mean"].isna()  # the ratings' metrics: no ratings, no score, nothing to compare
    assert rows.loc[undefined, "worlds_ci_low"].isna().all()
    rows = rows[~undefined]
    assert len(rows) > 30
    assert (rows["worlds_negligible"] == 1.0).all() and (rows["worlds_holds"] == 1.0).all()
    assert (rows["worlds_ci_low"] == 0).all() and (rows["worlds_ci_high"] == 0).all()
    page = next((tmp_path / "out").glob("*/compare.html")).read_text(encoding="utf-8")
    assert "Across plausible worlds" in page and "negligible in 100% of worlds" in page


def test_an_effect_that_flips_sign_in_a_known_share_of_worlds_is_reported_with_that_share(tmp_path):
    """Publishing every outcome (no fixes) raises trust where citizens expect long waits and lowers it where they
    expect short ones (tests/test_model_mechanisms.py). In 3 worlds of 10 they expect 26 weeks, in 7 half a
    week: the verdict must be better in 3/10 of the worlds and worse in 7/10, each world's effect being several
    times its smallest difference that matters (measured: about +0.017 and -0.06, intervals +-0.004)."""
    hidden = _scenario(tmp_path / "hidden.toml", "transparency = 0.0\nresponsiveness = 0.0")
    shown = _scenario(tmp_path / "shown.toml", "transparency = 1.0\nresponsiveness = 0.0")
    waits = [26.0, 0.5, 0.5, 26.0, 0.5, 0.5, 0.5, 26.0, 0.5, 0.5]
    worlds = _worlds_file(tmp_path / "w.parquet", {"expected_wait_weeks": waits})
    assert main(["compare", str(hidden), str(shown), "--reps", "2", "--worlds", "10", "--world-reps", "4",
                 "--worlds-file", str(worlds), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    table = pd.read_csv(next((tmp_path / "out").glob("*/compare.csv")))
    trust = table[(table["scenario"] == "shown") & (table["metric"] == "trust_mean")].iloc[0]
    assert trust["worlds_better"] == pytest.approx(0.3, abs=0.1)
    assert trust["worlds_worse"] == pytest.approx(0.7, abs=0.1)
    assert trust["worlds_ci_low"] < 0 < trust["worlds_ci_high"]  # the combined interval spans both signs


def test_the_combined_interval_is_the_mixture_of_each_worlds_sampling_distribution():
    # Two worlds far apart with tiny errors: the interval runs from near one to near the other.
    low, high = mixture_interval(np.array([-1.0, 1.0]), np.array([0.01, 0.01]))
    assert -1.03 < low < -0.99 and 0.99 < high < 1.03
    # One world: its own normal interval.
    low, high = mixture_interval(np.array([0.2]), np.array([0.1]))
    z = stats.norm.ppf(0.975)
    assert low == pytest.approx(0.2 - z * 0.1, abs=1e-9) and high == pytest.approx(0.2 + z * 0.1, abs=1e-9)
    # Shares: two negligible worlds and one better world.
    d = pd.DataFrame({"scenario": "b", "metric": "trust_mean", "n_pairs": 10, "world": [0, 1, 2],
                      "difference": [0.001, -0.001, 0.05], "ci_low": [-0.002, -0.004, 0.04],
                      "ci_high": [0.004, 0.002, 0.06]})
    row = across_worlds(d).iloc[0]
    assert row["share_negligible"] == pytest.approx(2 / 3) and row["share_better"] == pytest.approx(1 / 3)


def test_asking_for_more_worlds_than_stored_is_one_line(tmp_path, capsys):
    base = _scenario(tmp_path / "base.toml")
    worlds = _worlds_file(tmp_path / "w.parquet", {"trust_gain": [0.1, 0.12]})
    assert main(["compare", str(base), str(base), "--worlds", "5", "--worlds-file", str(worlds),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "holds 2" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_what_a_verdict_depends_on_ranks_the_parameter_that_drives_it_and_flags_seed_noise():
    """25 worlds whose difference is 0.05 x1 (x2 plays no part): x1 ranks first with most of the score; the same
    differences with intervals wider than their spread across worlds are flagged as noise."""
    from crmsim.experiments.worlds_compare import dependence

    rng = np.random.default_rng(1)
    values = pd.DataFrame({"x1": rng.uniform(0, 1, 25), "x2": rng.uniform(0, 1, 25)})
    d = 0.05 * values["x1"].to_numpy()
    tight = pd.DataFrame({"scenario": "b", "metric": "trust_mean", "n_pairs": 10, "world": np.arange(25),
                          "difference": d, "ci_low": d - 0.001, "ci_high": d + 0.001})
    ranked = dependence(tight, values, ("trust_mean",))
    first = ranked.sort_values("rank").iloc[0]
    assert first["parameter"] == "x1" and first["score"] > 0.6 and first["noise_share"] < 0.01
    wide = tight.assign(ci_low=d - 0.2, ci_high=d + 0.2)
    assert dependence(wide, values, ("trust_mean",))["noise_share"].iloc[0] > 1
