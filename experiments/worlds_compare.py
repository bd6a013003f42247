"""Verdicts across plausible worlds: in how many of them does a comparison's verdict hold?

``crmsim compare A.toml B.toml --worlds N`` runs, beside the usual comparison
(one world: the calibrated defaults), the same files in each of the first ``N``
worlds of ``calibration/worlds.parquet`` (``crmsim worlds``): one comparison
per world, the world's values set on every file (``[set]``: worlds hold no
levers, so every file keeps its policy), paired seeds within each world. Each
world's comparison is a sweep of its own under ``<comparison>/worlds/`` and
is reused when run again.

For every scenario and metric, :func:`across_worlds` counts the worlds in
which the paired difference is better, worse, negligible or unclear
(:func:`experiments.compare.judgement`, the same rule as one world's), and
combines parameter and seed uncertainty in one interval: the 2.5% and 97.5%
quantiles of the mixture, over worlds, of each world's sampling distribution
of its difference (normal, with the standard error its t interval implies).
So a verdict that holds in 19 worlds of 20 with a tight interval in each reads
differently from one that flips sign in half of them.

Examples
--------
>>> d = pd.DataFrame({"scenario": ["b"] * 3, "metric": ["trust_mean"] * 3, "n_pairs": [10] * 3,
...                   "difference": [0.05, 0.04, -0.03], "ci_low": [0.04, 0.03, -0.04],
...                   "ci_high": [0.06, 0.05, -0.02], "world": [0, 1, 2]})
>>> row = across_worlds(d).iloc[0]
>>> int(row["worlds"]), round(float(row["share_better"]), 3), round(float(row["share_worse"]), 3)
(3, 0.667, 0.333)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from crmsim.experiments.compare import judgement
from crmsim.model.params import PARAMS

__all__ = ["JUDGEMENTS", "world_values", "across_worlds", "mixture_interval", "holds", "load_world_diffs",
           "world_folder", "dependence"]

JUDGEMENTS = ("better", "worse", "negligible", "unclear", "changed")
LEVEL = 0.95


def world_values(worlds: pd.DataFrame, provenance: dict[str, Any], count: int) -> list[tuple[int, dict[str, float]]]:
    """The first ``count`` worlds as ``(world, {parameter: value})`` (ValueError: fewer worlds stored)."""
    names = [*provenance["fitted"], *provenance["assumptions"]]
    if count > len(worlds):
        raise ValueError(f"--worlds: {count} asked, the worlds file holds {len(worlds)}; allowed: 1 to "
                         f"{len(worlds)}, or make more with crmsim worlds")
    rows = worlds.sort_values("world").head(count)
    out = []
    for _, row in rows.iterrows():
        values = {}
        for name in names:
            value = float(row[name])
            values[name] = int(round(value)) if PARAMS[name].kind is int else value
        out.append((int(row["world"]), values))
    return out


def _standard_error(row: pd.Series) -> float:
    """The standard error a world's t interval implies (0 when every pair differed by the same amount)."""
    n = int(row["n_pairs"])
    if n < 2 or not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])):
        return float("nan")
    return float((row["ci_high"] - row["ci_low"]) / (2 * stats.t.ppf(0.5 + LEVEL / 2, n - 1)))


def mixture_interval(means: np.ndarray, errors: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` interval of an equal mixture of normals ``N(means[w], errors[w])``.

    A zero error is a point mass. Quantiles are found by Brent's method on the
    mixture's distribution function, so the interval is exact and deterministic.

    >>> [round(x, 3) for x in mixture_interval(np.array([0.0]), np.array([1.0]))]
    [-1.96, 1.96]
    """
    means, errors = np.asarray(means, float), np.asarray(errors, float)

    def cdf(x: float) -> float:
        point = errors <= 0
        parts = np.where(point, (x >= means).astype(float),
                         stats.norm.cdf((x - means) / np.where(point, 1.0, errors)))
        return float(parts.mean())

    spread = float(np.max(np.where(errors > 0, errors, 0.0)))
    low_end, high_end = means.min() - 10 * spread - 1e-9, means.max() + 10 * spread + 1e-9
    tail = (1 - level) / 2
    if spread == 0:  # point masses only: the empirical quantiles
        return float(np.quantile(means, tail, method="inverted_cdf")), float(
            np.quantile(means, 1 - tail, method="inverted_cdf"))
    return (float(optimize.brentq(lambda x: cdf(x) - tail, low_end, high_end, xtol=1e-12)),
            float(optimize.brentq(lambda x: cdf(x) - (1 - tail), low_end, high_end, xtol=1e-12)))


def across_worlds(diffs: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and metric: each judgement's share of worlds, the median difference and the combined interval.

    ``diffs`` is every world's paired differences (the columns of
    ``Comparison.diffs``) with a ``world`` column.
    """
    rows = []
    for (scenario, metric), group in diffs.groupby(["scenario", "metric"], sort=False):
        judged = [judgement(metric, row) for _, row in group.iterrows()]
        usable = group[np.isfinite(group["difference"]) & (group["n_pairs"] >= 2)]
        errors = np.array([_standard_error(row) for _, row in usable.iterrows()])
        finite = np.isfinite(errors)
        low, high = (mixture_interval(usable["difference"].to_numpy()[finite], errors[finite]) if finite.any()
                     else (np.nan, np.nan))
        rows.append({"scenario": scenario, "metric": metric, "worlds": len(group),
                     **{f"share_{j}": judged.count(j) / len(judged) for j in JUDGEMENTS},
                     "median_difference": float(usable["difference"].median()) if len(usable) else np.nan,
                     "worlds_ci_low": low, "worlds_ci_high": high})
    return pd.DataFrame(rows)


def holds(row: pd.Series, single: str) -> float:
    """The share of worlds in which one world's verdict ``single`` holds (NaN for no verdict)."""
    key = f"share_{single}"
    return float(row[key]) if key in row.index else float("nan")


def load_world_diffs(roots: list[tuple[int, Path]]) -> pd.DataFrame:
    """Every world's paired differences, read from its saved comparison (with a ``world`` column)."""
    from crmsim.experiments.analysis import load_results
    from crmsim.experiments.compare import analyse

    frames = []
    for world, root in roots:
        frame = analyse(load_results(root)).diffs.copy()
        frame["world"] = world
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def world_folder(world: int, values: dict[str, float]) -> str:
    """A world's comparison folder: its number and a fingerprint of its values (a changed world is a new folder)."""
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(sorted(values.items())).encode()).hexdigest()[:8]
    return f"world_{world:03d}_{digest}"


def dependence(diffs: pd.DataFrame, values: pd.DataFrame, metrics: tuple[str, ...]) -> pd.DataFrame:
    """Which assumptions a verdict depends on: extra-trees feature scores of each world's difference on its values.

    ``values`` has one row per world (index: world), one column per parameter the
    worlds set. For each scenario and metric, the scores say how much of the
    difference's variation across worlds each parameter explains (they sum to 1;
    rank 1 matters most). ``noise_share`` is the seed noise against that
    variation (the mean squared standard error over the variance of the world
    differences): near or above 1, the worlds differ no more than seeds do, and
    the ranking says nothing. With fewer than 20 worlds no ranking is made.
    """
    from crmsim.experiments.discovery import feature_scores

    rows = []
    for (scenario, metric), group in diffs[diffs["metric"].isin(metrics)].groupby(["scenario", "metric"], sort=False):
        group = group[np.isfinite(group["difference"])].sort_values("world")
        if group.empty:
            continue
        errors = np.array([_standard_error(row) for _, row in group.iterrows()])
        spread = float(np.var(group["difference"], ddof=1)) if len(group) > 1 else 0.0
        noise = float(np.nanmean(errors ** 2)) / spread if spread > 0 else float("inf")
        scores, _ = feature_scores(values.loc[group["world"]], {"d": group["difference"].to_numpy()})
        for _, score in scores.iterrows():
            rows.append({"scenario": scenario, "metric": metric, "parameter": score["lever"],
                         "score": score["score"], "rank": int(score["rank"]), "noise_share": noise})
    return pd.DataFrame(rows, columns=["scenario", "metric", "parameter", "score", "rank", "noise_share"])
