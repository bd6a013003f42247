"""Analysis of saved results: confidence intervals and sensitivity indices.

"Run, save, then analyse": everything here reads tables (from
:func:`load_results`, or built by hand in tests), never live models.

- :func:`point_means`: each metric's mean per design point, with a 95%
  confidence interval from Student's t over the replicates;
- :func:`series_bands`: the same at every step;
- :func:`differences`: each design point minus its baseline point, replicate
  by replicate: a sweep gives replicate ``r`` the same seed at every point
  (common random numbers, :mod:`experiments.seeds`), so when the points differ
  only in policy and levers the two runs of a replicate share their
  population, network and warm-up; the interval is Student's t over the
  paired differences. E.g. every policy minus the supply front office;
- :func:`sobol_indices`: first-order and total Sobol indices with confidence
  intervals (``SALib.analyze.sobol``), the response of each point being the
  mean of its replicates;
- :func:`morris_indices`: Morris mu, mu* and sigma (``SALib.analyze.morris``);
- :func:`noise_share`: how much of the spread between design points is the
  model's own replicate noise, to read the indices with;
- :func:`unreliable_indices`: the indices a sample is too small for (outside
  0..1 beyond their interval, or the largest one known only to +-50%).

A missing value (NaN: a rate with no denominator) is left out of a mean, and
``n`` counts the values used; in a difference it drops its pair, and
``n_pairs`` counts the pairs used. Sensitivity indices need a value at every
point; a metric that is missing somewhere gets no indices, and the reason says
so.

Examples
--------
>>> import pandas as pd
>>> final = pd.DataFrame({"point": [0, 0, 1, 1], "metric": "m", "value": [1.0, 3.0, 2.0, 2.0]})
>>> point_means(final)[["point", "n", "mean"]].to_dict("records")
[{'point': 0, 'n': 2, 'mean': 2.0}, {'point': 1, 'n': 2, 'mean': 2.0}]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crmsim.experiments.design import Factor, problem_for
from crmsim.experiments.store import ResultStore

__all__ = ["Results", "load_results", "point_means", "series_bands", "differences", "sobol_indices",
           "morris_indices", "noise_share", "response", "unreliable_indices"]

LEVEL = 0.95


@dataclass
class Results:
    """A sweep's saved results: manifest, design, factors and the tidy rows."""

    root: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    factors: list[Factor]
    final: pd.DataFrame
    series: pd.DataFrame

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def runs_saved(self) -> int:
        return int(self.final["run_id"].nunique())


def load_results(root: str | Path) -> Results:
    """Read a results folder.

    Raises StoreError (one line naming the file) if it has no manifest, no
    parts, or a part that does not belong to the manifest (see
    :meth:`ResultStore.check_parts`): rows are never mixed or counted twice.
    """
    store = ResultStore(root)
    manifest = store.read_manifest()
    rows = store.read(manifest=manifest)
    final = rows[rows["kind"] == "final"].drop(columns="kind").reset_index(drop=True)
    series = rows[rows["kind"] == "series"].drop(columns="kind").reset_index(drop=True)
    factors = [Factor.from_dict(f) for f in manifest["factors"]]
    return Results(Path(root), manifest, store.read_design(manifest), factors, final, series)


def _t_interval(mean: pd.Series, std: pd.Series, n: pd.Series, level: float = LEVEL) -> tuple[pd.Series, pd.Series]:
    """Student's t interval of each mean (``scipy.stats.t.interval``).

    NaN with n < 2; the mean itself when the values do not spread.
    """
    low = mean.where(n > 1)
    high = low.copy()
    spread = (n > 1) & (std > 0)
    low[spread], high[spread] = stats.t.interval(level, n[spread] - 1, loc=mean[spread],
                                                 scale=std[spread] / np.sqrt(n[spread]))
    return low, high


def _summarise(rows: pd.DataFrame, keys: list[str], level: float) -> pd.DataFrame:
    grouped = rows.groupby(keys, sort=True, dropna=False)["value"]
    table = grouped.agg(n="count", mean="mean", std="std").reset_index()
    table["n"] = table["n"].astype(np.int64)
    table["ci_low"], table["ci_high"] = _t_interval(table["mean"], table["std"], table["n"], level)
    return table


def point_means(final: pd.DataFrame, factor_names: list[str] | tuple[str, ...] = (),
                level: float = LEVEL) -> pd.DataFrame:
    """Per design point and metric: ``n``, ``mean``, ``std``, ``ci_low``, ``ci_high`` (t interval)."""
    return _summarise(final, ["point", *factor_names, "metric"], level)


def series_bands(series: pd.DataFrame, by: list[str] | tuple[str, ...] = ("point",),
                 level: float = LEVEL) -> pd.DataFrame:
    """Per group (default: design point), metric and step: the mean and its t interval over runs."""
    return _summarise(series, [*by, "metric", "step"], level)


def differences(final: pd.DataFrame, factor: str, baseline: Any, factor_names: list[str] | tuple[str, ...],
                level: float = LEVEL) -> pd.DataFrame:
    """Each point minus the point with the same other values and ``factor == baseline``, paired by replicate.

    ``final`` needs a ``replicate`` column. Each run of a point is paired with
    the baseline point's run of the same replicate (in a sweep, the same seed:
    the same population, network and warm-up when the points differ only in
    policy and levers), and the interval is Student's t over the per-replicate
    differences (``scipy.stats.t.interval``), so the noise the two runs share
    does not widen it. A pair with a NaN on either side is dropped.

    Columns: ``point``, the factors, ``metric``, ``n_pairs``, ``difference``
    (the mean paired difference), ``ci_low``, ``ci_high``. The interval is NaN
    with fewer than 2 pairs, and a single value when every pair differs by the
    same amount. Points with the baseline value are left out.

    Replicates 0, 1, 2 differ a lot (1, 5, 9 at the baseline), but point 1 is
    above the baseline by 1, 1 and 2 in the same replicates:

    >>> final = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "f": ["a"] * 3 + ["b"] * 3,
    ...                       "replicate": [0, 1, 2] * 2, "metric": "m", "value": [1.0, 5.0, 9.0, 2.0, 6.0, 11.0]})
    >>> row = differences(final, "f", "a", ["f"]).iloc[0]
    >>> int(row["n_pairs"]), *(round(float(row[c]), 3) for c in ("difference", "ci_low", "ci_high"))
    (3, 1.333, -0.101, 2.768)
    """
    if "replicate" not in final.columns:
        raise ValueError("differences pairs runs by replicate: the table needs a 'replicate' column")
    others = [f for f in factor_names if f != factor]
    rows = final[["point", *factor_names, "replicate", "metric", "value"]]
    base = rows[rows[factor] == baseline].drop(columns=[factor, "point"])
    pairs = rows[rows[factor] != baseline].merge(base, on=[*others, "replicate", "metric"],
                                                 suffixes=("", "_baseline"), validate="many_to_one")
    pairs["difference"] = pairs["value"] - pairs["value_baseline"]  # NaN on either side: NaN, not counted
    out = (pairs.groupby(["point", *factor_names, "metric"], sort=True, dropna=False)["difference"]
           .agg(n_pairs="count", difference="mean", std="std").reset_index())
    out["n_pairs"] = out["n_pairs"].astype(np.int64)
    se = out["std"] / np.sqrt(out["n_pairs"])
    spread = (out["n_pairs"] > 1) & (se > 0)
    out["ci_low"] = out["ci_high"] = out["difference"].where(out["n_pairs"] > 1)  # no spread: the one value
    low, high = stats.t.interval(level, out.loc[spread, "n_pairs"] - 1, loc=out.loc[spread, "difference"],
                                 scale=se[spread])
    out.loc[spread, "ci_low"], out.loc[spread, "ci_high"] = low, high
    return out.drop(columns="std")


def response(final: pd.DataFrame, metric: str, n_points: int) -> tuple[np.ndarray, str | None]:
    """The mean of a metric per point, in point order, and why it cannot be used (or None)."""
    rows = final[final["metric"] == metric]
    means = rows.groupby("point")["value"].mean().reindex(range(n_points))
    saved_points = int(rows["point"].nunique())
    if saved_points < n_points:
        return means.to_numpy(), f"only {saved_points} of {n_points} points are saved; finish the sweep"
    if means.isna().any():
        return means.to_numpy(), f"{int(means.isna().sum())} points have no value (NaN: no denominator)"
    if np.ptp(means.to_numpy()) == 0:
        return means.to_numpy(), "the metric does not vary"
    return means.to_numpy(), None


def noise_share(final: pd.DataFrame, metrics: list[str]) -> dict[str, float]:
    """Per metric, the share of the variance of the point means that is replicate noise.

    A stochastic model's own noise shows up in sensitivity indices as variance no
    factor explains (in Sobol's ST, as spurious interactions). With ``r``
    replicates per point, the noise left in a point mean has variance
    ``mean within-point variance / r``; this returns that over the variance of
    the point means (NaN with one replicate). Near 0: indices are about the
    factors; near 1: mostly noise, add replications or samples. A sweep gives
    a replicate the same seed at every point (common random numbers), so part
    of the noise is shared by every point and does not spread the point means:
    the share is then an upper bound.
    """
    shares = {}
    for metric in metrics:
        rows = final[final["metric"] == metric].dropna(subset=["value"])
        groups = rows.groupby("point")["value"]
        counts = groups.count()
        if counts.empty or counts.min() < 2:
            shares[metric] = float("nan")
            continue
        noise = float((groups.var() / counts).mean())
        spread = float(groups.mean().var())
        shares[metric] = noise / spread if spread > 0 else float("nan")
    return shares


def sobol_indices(final: pd.DataFrame, factors: list[Factor] | tuple[Factor, ...], metrics: list[str],
                  *, n_points: int | None = None, second_order: bool = False, level: float = LEVEL,
                  resamples: int = 1000,
                  seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """First-order (S1) and total (ST) Sobol indices with their confidence intervals.

    ``final`` holds the rows of a Sobol design (``point``, ``metric``, ``value``);
    ``n_points`` is the design's size (default: the highest point saved, plus one).
    Returns a table (metric, factor, S1, S1_conf, ST, ST_conf; ``*_conf`` is the
    half-width of the ``level`` interval, by bootstrap) and, per metric left out,
    the reason.
    """
    from SALib.analyze import sobol

    problem = problem_for(tuple(factors))
    if n_points is None:
        n_points = int(final["point"].max()) + 1 if len(final) else 0
    rows, skipped = [], {}
    for metric in metrics:
        y, why = response(final, metric, n_points)
        if why is not None:
            skipped[metric] = why
            continue
        result = sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=resamples,
                               conf_level=level, seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append({"metric": metric, "factor": name, "S1": result["S1"][j], "S1_conf": result["S1_conf"][j],
                         "ST": result["ST"][j], "ST_conf": result["ST_conf"][j]})
    return pd.DataFrame(rows, columns=["metric", "factor", "S1", "S1_conf", "ST", "ST_conf"]), skipped


def morris_indices(final: pd.DataFrame, factors: list[Factor] | tuple[Factor, ...], X: np.ndarray,
                   metrics: list[str], *, levels: int = 4, level: float = LEVEL, resamples: int = 1000,
                   seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """Morris elementary effects: mu, mu* (with its confidence half-width) and sigma per factor.

    ``X`` is the sampler's matrix (``Design.X``, or the ``x:`` columns of design.parquet).
    """
    from SALib.analyze import morris

    problem = problem_for(tuple(factors))
    rows, skipped = [], {}
    for metric in metrics:
        y, why = response(final, metric, len(X))
        if why is not None:
            skipped[metric] = why
            continue
        result = morris.analyze(problem, X, y, num_resamples=resamples, conf_level=level, num_levels=levels,
                                seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append({"metric": metric, "factor": name, "mu": result["mu"][j], "mu_star": result["mu_star"][j],
                         "mu_star_conf": result["mu_star_conf"][j], "sigma": result["sigma"][j]})
    return pd.DataFrame(rows, columns=["metric", "factor", "mu", "mu_star", "mu_star_conf", "sigma"]), skipped


WIDE = 0.5  # an interval wider than +-50% of the largest index: that index is not pinned down


def unreliable_indices(table: pd.DataFrame) -> pd.DataFrame:
    """The indices of a Sobol or Morris table that its sample is too small to pin down, and why.

    The rule, per metric (every interval is the 95% one SALib bootstraps):

    - ``outside``: a Sobol index (S1 or ST) above 1, or below 0 by more than
      its interval's half-width: a share of variance can be neither, so the
      sample is too small (ST = 1.6 at N = 8; a slightly negative S1 whose
      interval reaches 0 is an unimportant lever, not a problem);
    - ``wide``: the largest index (ST for Sobol, mu* for Morris) has a
      half-width over :data:`WIDE` times its value: the lever that matters most
      is known only to +-50% or worse, so the ranking cannot be trusted.

    Returns one row per problem: metric, factor, index, value, conf, problem.
    More samples (Sobol: double N; Morris: more trajectories) or replications
    narrow the intervals.
    """
    rows = []
    sobol = "ST" in table.columns
    top = "ST" if sobol else "mu_star"
    for metric, group in table.groupby("metric", sort=False):
        if sobol:
            for index in ("S1", "ST"):
                value, conf = group[index], group[f"{index}_conf"]
                for _, row in group[(value + conf < 0) | (value > 1)].iterrows():
                    rows.append((metric, row["factor"], index, row[index], row[f"{index}_conf"], "outside"))
        if group[top].isna().all():
            continue
        row = group.loc[group[top].idxmax()]
        if row[f"{top}_conf"] > WIDE * abs(row[top]):
            rows.append((metric, row["factor"], top, row[top], row[f"{top}_conf"], "wide"))
    return pd.DataFrame(rows, columns=["metric", "factor", "index", "value", "conf", "problem"])
