"""Compare whole scenario files, with their uncertainty: what a workshop asks.

``crmsim compare A.toml B.toml [C.toml ...]`` is a sweep like any other: an
experiment that varies the scenario file (``vary.scenario``), run by the sweep
runner into the results store, so it resumes, reruns and reports the same way.
Every scenario runs the same replicates with the same seeds (common random
numbers, :mod:`experiments.seeds`): replicate ``r`` of A and of B share their
population, network and warm-up whenever the files share their world, and the
difference B - A is taken replicate by replicate (paired), so the noise the
two runs share cancels out.

This module builds that experiment (:func:`comparison_experiment`) and reads
its results (:func:`analyse`): each scenario's mean with its 95% interval, the
paired difference to the first scenario with its interval, a verdict in plain
words, the bands over time, the results by skill quartile (who gains, who
loses) and the levers that differ between the files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from crmsim.experiments.analysis import Results, differences, point_means, series_bands
from crmsim.experiments.looks import Stop, paired_differences, replay
from crmsim.experiments.sequential import Design
from crmsim.experiments.execute import SCENARIO_FACTOR
from crmsim.experiments.spec import Experiment, parse_experiment
from crmsim.texts.i18n import _, difference, number
from crmsim.model.metrics import INFO, METRICS, QUARTILE_METRICS
from crmsim.model.params import PARAMS
from crmsim.model.phases.state import WEEKS_PER_YEAR
from crmsim.model.scenario import Scenario, parse_scenario

__all__ = ["SERIES", "HEADLINE_TABLE", "comparison_experiment", "comparison_name", "Comparison", "analyse",
           "verdict", "judgement", "clear_sign", "lever_differences", "metric_label"]

# Metrics recorded at every step, for the bands over time and the effect's path (the others are kept at the end only).
SERIES = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "take_up", "non_take_up_bottom",
          "public_cost_per_citizen")
# The columns of the terminal's table when many scenarios are compared (one row each).
HEADLINE_TABLE = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "non_take_up_bottom")
# The metrics of the quartile panels: name -> the four quartile metrics, least skilled first.
QUARTILES = {name: [f"{name}_q{q}" for q in range(1, 5)] for name in ("trust", "knowledge", "take_up")}
# The overall metrics a comparison reports (the quartile ones have their own panel).
OVERALL = tuple(name for name in METRICS if name not in QUARTILE_METRICS)


def metric_label(name: str) -> str:
    """A metric's label for people, in the current language."""
    return _(INFO[name].label)


def comparison_name(files: list[str]) -> str:
    """The results folder's name: the files' stems, shortened with a hash when there are many.

    The hash reads each file's path from the working directory, so the same command in another clone (or a
    moved project) names the same folder, and `scenarios/a.toml` and `./scenarios/a.toml` are one file.

    >>> comparison_name(["a/base.toml", "b/faq.toml"])
    'base_vs_faq'
    """
    stems = [re.sub(r"[^A-Za-z0-9_.-]", "_", Path(f).stem) or "scenario" for f in files]
    name = "_vs_".join(stems)
    if len(name) <= 80:
        return name
    where = [Path(os.path.relpath(Path(f).resolve())).as_posix() for f in files]
    digest = hashlib.sha256("\n".join(where).encode()).hexdigest()[:8]
    return f"{stems[0][:40]}_vs_{len(stems) - 1}_more_{digest}"


def comparison_experiment(files: list[str], replications: int, steps: int | None, seed: int | None,
                          values: dict[str, Any] | None = None, name: str | None = None) -> Experiment:
    """The experiment that runs every file ``replications`` times with the same replicate seeds.

    ``seed`` is the master seed (default: the first file's ``seed``), ``steps``
    the weeks recorded (default: each file's own); ``values`` are set on every
    file (a plausible world's parameters), ``name`` replaces the folder's name.
    Raises SpecError (one line naming the file) for a file that is missing or
    invalid.
    """
    data: dict[str, Any] = {
        "name": name or comparison_name(files),
        "description": "crmsim compare " + " ".join(files),
        "replications": replications,
        "vary": {SCENARIO_FACTOR: [str(Path(f).resolve()) for f in files]},
        "outputs": {"every_step": list(SERIES), "at_end": "all"},
    }
    if steps is not None:
        data["steps"] = steps
    if values:
        data["set"] = dict(values)
    experiment = parse_experiment(data, "crmsim compare", ".")
    master = seed if seed is not None else next(iter(experiment.scenarios.values())).seed
    return parse_experiment({**data, "seed": master}, "crmsim compare", ".")


@dataclass
class Comparison:
    """What a comparison found, as tables (the page, the CSV and the terminal read these)."""

    labels: list[str]  # the scenarios, the first is the reference
    replications: int  # the most paired runs any scenario has (a fixed design: every scenario's)
    steps: int
    seeds: list[int]  # replicate r's seed, the same for every scenario
    means: pd.DataFrame  # scenario, metric, n, mean, ci_low, ci_high
    diffs: pd.DataFrame  # scenario, metric, n_pairs, difference, ci_low, ci_high (scenario minus the first)
    bands: pd.DataFrame  # scenario, metric, step, mean, ci_low, ci_high
    levers: pd.DataFrame  # parameter, label, then one column per scenario: the values that differ
    # What the gains cost (experiments.cost_effectiveness): one row per scenario and priced effect.
    cost_effect: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # Across plausible worlds (experiments.worlds_compare.across_worlds), when compare ran --worlds.
    worlds: pd.DataFrame | None = None
    # Which parameters each verdict depends on across the worlds (experiments.worlds_compare.dependence).
    dependence: pd.DataFrame | None = None
    # A sequential comparison (experiments.looks): its design and where each scenario stopped; None for --reps.
    design: Design | None = None
    stops: dict[str, Stop] = dataclasses.field(default_factory=dict)
    # The effect's path: each scenario's paired difference one year after the switch (scenario, metric, year,
    # difference, ci_low, ci_high), beside the reading at the end (diffs).
    path: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    # The country every scenario ran in (``crmsim compare --country``), or None: each file's own.
    country: str | None = None
    _rows: dict[str, tuple[pd.DataFrame, dict]] = dataclasses.field(default_factory=dict, init=False, repr=False,
                                                                     compare=False)

    def runs(self, scenario: str) -> int:
        """The paired runs behind a scenario's verdicts."""
        return self.stops[scenario].replicates if scenario in self.stops else self.replications

    @property
    def reading_year(self) -> float:
        """The year after the switch whose yearly rates the verdicts read (the runs' last 52 weeks)."""
        return self.steps / WEEKS_PER_YEAR

    def runs_text(self) -> str:
        """How many paired runs each scenario has, in words: a fixed design's count, or a sequential one's range."""
        if self.design is None:
            return _("{n} paired runs each").format(n=self.replications)
        counts = [self.runs(label) for label in self.labels[1:]]
        low, high = min(counts, default=0), max(counts, default=0)
        return _("paired runs added in looks until every headline verdict was decided or {budget} had run: {runs} "
                 "per scenario, with 95% intervals that hold at every look").format(
                     budget=self.design.budget, runs=str(low) if low == high else f"{low}–{high}")

    @property
    def reference(self) -> str:
        return self.labels[0]

    def diff(self, scenario: str, metric: str) -> pd.Series | None:
        return self._row("diffs", scenario, metric)

    def world_row(self, scenario: str, metric: str) -> pd.Series | None:
        """The verdict's shares across worlds, or None (no worlds run, or nothing to compare)."""
        if self.worlds is None:
            return None
        rows = self.worlds[(self.worlds["scenario"] == scenario) & (self.worlds["metric"] == metric)]
        return None if rows.empty else rows.iloc[0]

    def mean(self, scenario: str, metric: str) -> pd.Series | None:
        return self._row("means", scenario, metric)

    def _row(self, name: str, scenario: str, metric: str) -> pd.Series | None:
        """The first row of table ``name`` for ``scenario`` and ``metric``, or None. A page asks for thousands:
        each table is indexed once, and anew when it is replaced (tables are replaced, never edited in place)."""
        table = getattr(self, name)
        cached = self._rows.get(name)
        if cached is None or cached[0] is not table:
            rows: dict[tuple[str, str], pd.Series] = {}
            for key, (_, row) in zip(zip(table["scenario"], table["metric"]), table.iterrows()):
                rows.setdefault(key, row)
            cached = self._rows[name] = (table, rows)
        return cached[1].get((scenario, metric))

    def table(self) -> pd.DataFrame:
        """compare.csv: one row per scenario and metric, with its mean, the paired difference and the verdict."""
        rows = []
        for scenario in self.labels:
            for metric in METRICS:
                m, d = self.mean(scenario, metric), self.diff(scenario, metric)
                if m is None:
                    continue
                info = INFO[metric]
                rows.append({
                    "scenario": scenario, "metric": metric, "label": _(info.label), "unit": _(info.unit),
                    "direction": _(info.better), "n": int(m["n"]), "mean": m["mean"], "ci_low": m["ci_low"],
                    "ci_high": m["ci_high"],
                    "difference": np.nan if d is None else d["difference"],
                    "difference_ci_low": np.nan if d is None else d["ci_low"],
                    "difference_ci_high": np.nan if d is None else d["ci_high"],
                    "n_pairs": 0 if d is None else int(d["n_pairs"]),
                    "year_read": self.reading_year,
                    "interval": "" if scenario == self.reference else
                    "repeated 95% (sequential)" if self.design is not None else "95% Student's t",
                    **self._after_one_year(scenario, metric),
                    "minimal_important_difference": info.mid,
                    "judgement": "" if scenario == self.reference else judgement(metric, d),
                    "verdict": "" if scenario == self.reference else verdict(scenario, metric, d),
                    **self._priced(scenario, metric),
                    **self._across_worlds(scenario, metric, d),
                })
        return pd.DataFrame(rows)

    def _after_one_year(self, scenario: str, metric: str) -> dict[str, Any]:
        """compare.csv's path columns: the paired difference one year after the switch, where it was recorded."""
        columns = ("difference_year_1", "difference_year_1_ci_low", "difference_year_1_ci_high")
        rows = self.path[(self.path["scenario"] == scenario) & (self.path["metric"] == metric)] \
            if not self.path.empty else self.path
        if rows.empty:
            return dict.fromkeys(columns, np.nan)
        row = rows.iloc[0]
        return dict(zip(columns, (row["difference"], row["ci_low"], row["ci_high"])))

    def _across_worlds(self, scenario: str, metric: str, d: pd.Series | None) -> dict[str, Any]:
        """compare.csv's world columns (present only when worlds were run)."""
        if self.worlds is None:
            return {}
        row = None if scenario == self.reference else self.world_row(scenario, metric)
        columns = ("worlds", "worlds_holds", "worlds_better", "worlds_worse", "worlds_negligible", "worlds_unclear",
                   "worlds_ci_low", "worlds_ci_high")
        if row is None:
            return dict.fromkeys(columns, np.nan)
        return {"worlds": int(row["worlds"]), "worlds_holds": row[f"share_{judgement(metric, d)}"],
                "worlds_better": row["share_better"], "worlds_worse": row["share_worse"],
                "worlds_negligible": row["share_negligible"],
                "worlds_unclear": row["share_unclear"] + row["share_changed"],
                "worlds_ci_low": row["worlds_ci_low"], "worlds_ci_high": row["worlds_ci_high"]}

    def _priced(self, scenario: str, metric: str) -> dict[str, Any]:
        """compare.csv's cost-effectiveness columns: filled on the rows of a priced effect."""
        from crmsim.experiments.cost_effectiveness import ratio_text

        table = self.cost_effect
        rows = table[(table["scenario"] == scenario) & (table["effect"] == metric)] if not table.empty else table
        if rows.empty:
            return dict.fromkeys(("cost_effectiveness", "euros_per_unit", "euros_per_unit_ci_low",
                                  "euros_per_unit_ci_high", "unit_gained"), np.nan)
        row = rows.iloc[0]
        return {"cost_effectiveness": ratio_text(row), "euros_per_unit": row["ratio"],
                "euros_per_unit_ci_low": row["ratio_ci_low"], "euros_per_unit_ci_high": row["ratio_ci_high"],
                "unit_gained": _(row["unit"])}


def clear_sign(d: pd.Series | None) -> int:
    """+1 or -1 when the paired interval excludes 0, else 0 (no clear difference, or nothing to pair)."""
    if d is None or not np.isfinite(d["difference"]) or d["n_pairs"] < 2:
        return 0
    low, high = d["ci_low"], d["ci_high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def judgement(metric: str, d: pd.Series | None) -> str:
    """The verdict on a paired difference, sized against the metric's minimal important difference (MID).

    The one rule every comparison uses, on the difference's 95% interval (a
    fixed design's t interval, or a sequential comparison's repeated interval,
    :mod:`experiments.sequential`):

    - "negligible": the whole interval lies within plus or minus the MID, so
      even its largest plausible value is too small to matter;
    - "better" / "worse": the whole interval lies beyond half the MID on one
      side, so the effect is surely at least half of what matters (a metric
      with no better side gets "changed");
    - "unclear": anything else (the interval holds 0 and reaches past the MID,
      or reaches from below half the MID to beyond it), or nothing to pair.

    An effect between half the MID and the MID may be called either way (the
    indifference zone, where neither call is wrong); so when the interval
    covers the true effect, no verdict is wrong. "faq raises mean trust by
    0.003 (0.002 to 0.004)" is negligible, not better: the MID of mean trust
    is 0.01 (``metrics.INFO[...].mid``).
    """
    info = INFO[metric]
    if d is None or d["n_pairs"] < 2 or not np.isfinite(d["difference"]):
        return "unclear"
    low, high = d["ci_low"], d["ci_high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return "unclear"
    if -info.mid <= low and high <= info.mid:
        return "negligible"
    if low <= info.mid / 2 and high >= -info.mid / 2:
        return "unclear"
    if info.direction == "none":
        return "changed"
    return "better" if (low > 0) == (info.direction == "higher") else "worse"


def verdict(scenario: str, metric: str, d: pd.Series | None,
            amount: Callable[[str, float], str] | None = None) -> str:
    """The difference in plain words, e.g. 'redress_procedure raises redress success by 0.21 (0.17 to 0.25), better'.

    ``amount(metric, value)`` writes a size in the metric's unit (a page: '21 pts'); by default a bare number.
    """
    label = metric_label(metric)
    size = amount or (lambda _metric, value: difference(value))
    if d is None or d["n_pairs"] == 0:
        return _("{label}: nothing to compare (no value in one of the scenarios)").format(label=label)
    judged = judgement(metric, d)
    if d["n_pairs"] < 2 or not (np.isfinite(d["ci_low"]) and np.isfinite(d["ci_high"])):
        return _("{label}: no clear difference").format(label=label)
    plain = amount or (lambda _metric, value: number(value))
    if judged == "negligible":
        return _("{label}: negligible ({low} to {high}, within the {mid} that matters)").format(
            label=label, low=plain(metric, d["ci_low"]), high=plain(metric, d["ci_high"]),
            mid=plain(metric, INFO[metric].mid))
    sign = clear_sign(d)
    if sign == 0:
        return _("{label}: no clear difference ({low} to {high})").format(
            label=label, low=plain(metric, d["ci_low"]), high=plain(metric, d["ci_high"]))
    template = _("{scenario} raises {label} by {size} ({low} to {high})") if sign > 0 else \
        _("{scenario} lowers {label} by {size} ({low} to {high})")
    text = template.format(scenario=scenario, label=label[:1].lower() + label[1:] if _starts_lower(label) else label,
                           size=size(metric, abs(d["difference"])),
                           low=size(metric, abs(d["ci_low" if sign > 0 else "ci_high"])),
                           high=size(metric, abs(d["ci_high" if sign > 0 else "ci_low"])))
    if judged == "unclear":
        return _("{text}: unclear, it may be below half the {mid} that matters").format(
            text=text, mid=plain(metric, INFO[metric].mid))
    return f"{text}, {_(judged)}" if judged != "changed" else text


def _starts_lower(label: str) -> bool:
    """Whether a label may be lower-cased inside a sentence (not an acronym such as 'OECD')."""
    first = label.split(" ", 1)[0]
    return not (len(first) > 1 and first.isupper())


def lever_differences(scenarios: dict[str, Scenario]) -> pd.DataFrame:
    """The parameters (and policies) whose values differ between the scenarios, one row each."""
    flats = {label: s.flat() for label, s in scenarios.items()}
    rows = []
    policies = {label: ", ".join(s.policies) for label, s in scenarios.items()}
    if len(set(policies.values())) > 1:
        rows.append({"parameter": "policy", "label": _("mediation policy"), **policies})
    for name in PARAMS:
        values = {label: flat.get(name) for label, flat in flats.items()}
        if len({repr(v) for v in values.values()}) > 1:
            rows.append({"parameter": name, "label": _(PARAMS[name].meaning), **values})
    missions = {label: {name: dataclasses.asdict(m) for name, m in s.missions().items()}
                for label, s in scenarios.items()}
    first = next(iter(missions.values()))
    for admin, fields in first.items():
        for field in fields:
            values = {label: m.get(admin, {}).get(field) for label, m in missions.items()}
            if len({repr(v) for v in values.values()}) > 1:
                rows.append({"parameter": f"administrations.{admin}.{field}", "label": f"{admin}: {field}", **values})
    for field in ("warmup", "steps", "seed"):
        values = {label: getattr(s, field) for label, s in scenarios.items()}
        if len(set(values.values())) > 1:
            rows.append({"parameter": field, "label": field, **values})
    return pd.DataFrame(rows, columns=["parameter", "label", *scenarios])


def analyse(results: Results, design: Design | None = None) -> Comparison:
    """The comparison in a saved sweep of ``vary.scenario`` (as ``crmsim compare`` runs it).

    With ``design``, a sequential comparison: each scenario is read at the
    look where it stopped (:func:`experiments.looks.replay`), with that look's
    repeated interval; the reference with as many replicates as the scenario
    that ran most. Without, every saved run, with Student's t intervals.
    """
    manifest = results.manifest
    labels = list(manifest["scenarios"])
    final, series = results.final, results.series
    stops: dict[str, Stop] = {}
    if design is not None:
        stops = replay(final, labels, design, HEADLINE_TABLE)
        used = {label: stop.replicates for label, stop in stops.items()}
        used[labels[0]] = max(used.values(), default=0)
        final, series = (_first_replicates(table, used) for table in (final, series))
    means = point_means(final, [SCENARIO_FACTOR]).drop(columns=["point", "std"])
    diffs = differences(final, SCENARIO_FACTOR, labels[0], [SCENARIO_FACTOR]).drop(columns="point")
    if design is not None:
        diffs = _repeated_intervals(diffs, final, labels[0], design, stops)
    bands = series_bands(series, by=[SCENARIO_FACTOR]).drop(columns="std")
    scenarios = {label: parse_scenario(dumped, label) for label, dumped in manifest["scenarios"].items()}
    seeds = final.groupby("replicate")["seed"].first().sort_index().tolist()
    steps = int(final["step"].max()) if not final.empty else 0
    from crmsim.experiments.cost_effectiveness import cost_effectiveness  # it reads this module's clear_sign

    replications = int(final["replicate"].max()) + 1 if not final.empty else 0
    return Comparison(labels, replications, steps, seeds, means, diffs, bands, lever_differences(scenarios),
                      cost_effectiveness(final, diffs, labels, steps), design=design, stops=stops,
                      path=effect_path(series, labels[0]))


def _first_replicates(table: pd.DataFrame, used: dict[str, int]) -> pd.DataFrame:
    """The rows of each scenario's first ``used[scenario]`` replicates (those its looks read)."""
    keep = table["replicate"] < table[SCENARIO_FACTOR].map(used).fillna(0)
    return table[keep].reset_index(drop=True)


def _repeated_intervals(diffs: pd.DataFrame, final: pd.DataFrame, reference: str, design: Design,
                        stops: dict[str, Stop]) -> pd.DataFrame:
    """Each scenario's differences with the repeated interval of the look it stopped at, in place of t's."""
    diffs = diffs.copy()
    for label, stop in stops.items():
        if stop.look < 0:
            continue
        pairs = paired_differences(final, label, reference, stop.replicates)
        for i in diffs.index[diffs[SCENARIO_FACTOR] == label]:
            metric = diffs.at[i, "metric"]
            values = pairs[metric] if metric in pairs else pd.Series(dtype=float)
            diffs.at[i, "ci_low"], diffs.at[i, "ci_high"] = design.interval(values.to_numpy(), stop.look)
    return diffs


def effect_path(series: pd.DataFrame, reference: str, year: int = 1) -> pd.DataFrame:
    """Each scenario's paired difference ``year`` years after the switch (what a workshop sees first), with a
    95% t interval: columns scenario, metric, year, n_pairs, difference, ci_low, ci_high. Empty when the runs
    are shorter than that."""
    week = year * WEEKS_PER_YEAR
    at = series[series["step"] == week]
    if at.empty:
        return pd.DataFrame(columns=[SCENARIO_FACTOR, "metric", "year", "n_pairs", "difference", "ci_low", "ci_high"])
    at = at.assign(point=at[SCENARIO_FACTOR])
    table = differences(at, SCENARIO_FACTOR, reference, [SCENARIO_FACTOR]).drop(columns="point")
    table.insert(2, "year", year)
    return table
