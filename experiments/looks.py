"""A sequential comparison's looks, replayed from its saved runs: who has decided, who needs more runs.

``crmsim compare`` without ``--reps`` adds paired replicates in looks
(:class:`~experiments.sequential.Design`): every scenario starts with the
first look's replicates; after each look, a scenario whose headline verdicts
(the overview's metrics) are all decided stops, the others go on to the next
look, until the budget. Everything here is a function of the saved runs, so
the command, the page and a comparison run again all replay the same looks
and reach the same stops: nothing but the runs is saved.

A scenario is compared with the reference's runs of the same replicates
(paired), so the reference runs as many replicates as the scenario that
runs most.

Examples
--------
>>> from crmsim.experiments.sequential import Design
>>> final = pd.DataFrame({"scenario": ["a"] * 5 + ["b"] * 5, "replicate": list(range(5)) * 2,
...                       "metric": "trust_mean", "value": [0.5] * 5 + [0.6, 0.61, 0.59, 0.6, 0.6]})
>>> stop = replay(final, ["a", "b"], Design.every(5, 10), ("trust_mean",))["b"]
>>> stop.look, stop.replicates, stop.decided, stop.needs
(0, 5, True, None)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmsim.experiments.sequential import Design

__all__ = ["Stop", "replay", "paired_differences"]


@dataclass(frozen=True)
class Stop:
    """Where one scenario stands: the last look its saved runs reach, with how many replicates, whether every
    headline verdict is decided there, and how many replicates it needs for its next look (None: it stops)."""

    scenario: str
    look: int  # -1 before the first look
    replicates: int
    decided: bool
    needs: int | None


def paired_differences(final: pd.DataFrame, scenario: str, reference: str, replicates: int) -> pd.DataFrame:
    """The scenario's paired differences to the reference over replicates ``0 .. replicates - 1``: one row per
    replicate, one column per metric (NaN where either side is undefined)."""
    rows = final[final["replicate"] < replicates]
    wide = {label: rows[rows["scenario"] == label].pivot_table(index="replicate", columns="metric", values="value",
                                                               dropna=False)
            for label in (scenario, reference)}
    return wide[scenario] - wide[reference]


def _complete(final: pd.DataFrame, label: str, replicates: int) -> bool:
    have = set(final.loc[final["scenario"] == label, "replicate"].unique())
    return set(range(replicates)) <= have


def replay(final: pd.DataFrame, labels: list[str], design: Design, headline: tuple[str, ...]) -> dict[str, Stop]:
    """Each scenario's :class:`Stop` given the saved runs ``final`` (columns scenario, replicate, metric, value);
    ``labels[0]`` is the reference."""
    from crmsim.experiments.compare import judgement

    reference, stops = labels[0], {}
    for label in labels[1:]:
        stop = Stop(label, -1, 0, False, design.looks[0])
        for look, n in enumerate(design.looks):
            if not (_complete(final, label, n) and _complete(final, reference, n)):
                break
            diffs = paired_differences(final, label, reference, n)
            decided = all(judgement(metric, _summary(diffs.get(metric), design, look)) != "unclear"
                          for metric in headline)
            last = look + 1 == len(design.looks)
            stop = Stop(label, look, n, decided, None if decided or last else design.looks[look + 1])
            if decided:
                break
        stops[label] = stop
    return stops


def _summary(values: pd.Series | None, design: Design, look: int) -> pd.Series:
    """A paired difference as ``judgement`` reads it: its mean and the look's repeated interval."""
    x = np.asarray([] if values is None else values, dtype=float)
    x = x[np.isfinite(x)]
    low, high = design.interval(x, look)
    return pd.Series({"difference": x.mean() if x.size else np.nan, "ci_low": low, "ci_high": high,
                      "n_pairs": x.size})
