"""An HTML report of a sweep's saved results, that opens offline and reads without the code.

``write_report("results/<experiment>/", lang="fr")`` reads the results (never
runs a model) and writes, in that folder:

- ``report.html``: plotly figures with plotly's JavaScript embedded once
  (``include_plotlyjs=True``), so the page needs no network;
- ``summary.csv``: each metric's mean and 95% confidence interval per design point;
- ``differences.csv``: each point minus its baseline (when the first listed
  factor is a list of values, e.g. policies against the supply front office),
  paired by replicate: the mean of the per-replicate differences, its 95% t
  interval and the number of pairs;
- ``sensitivity.csv``: Sobol or Morris indices (for those designs);
- ``feature_scores.csv``: which levers matter for each metric (extra trees).

Each file is written atomically, as the store writes its parts (a temporary
file in the same folder, then ``os.replace``): a report stopped halfway, or
read while being rewritten, never leaves a half-written page or table.

A person reads every metric by its label, unit and direction
(``crmsim.model.metrics.INFO``) and every lever by its label, in English or
French (:mod:`crmsim.texts.i18n`: the texts are translated when the page is
written). Every kept metric is charted, in groups (trust, knowledge and
equality, take-up, redress, cost and use, skill quartiles), as small multiples
(:mod:`crmsim.viz.report_charts`). Sensitivity indices come with their 95%
intervals, and a warning when the sample is too small for them
(:func:`crmsim.experiments.analysis.unreliable_indices`), also passed to
``on_warning`` so that ``crmsim report`` prints it.
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crmsim.experiments import analysis
from crmsim.experiments.store import atomic_write
from crmsim.texts.i18n import _, current, language, number, percent
from crmsim.texts.labels import (colon, factor_label, listing, metric_better, metric_groups, metric_label, metric_reading,
                           metric_unit, value_text)
from crmsim.model.metrics import INFO
from crmsim.viz import report_charts as charts

__all__ = ["write_report"]

MANY_POINTS = 40  # above this, or in a sampled design, each metric is charted against the levers' ranges
MANY_BANDS = 24  # above this, time series show one band over all runs


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    """``table`` as CSV at ``path``, atomically (StoreError naming the file if it cannot be written)."""
    return atomic_write(path, lambda temp: table.to_csv(temp, index=False))


class _Page:
    """The report's body as it is built: headings (with a table of contents), paragraphs and figures."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.contents: list[tuple[str, str]] = []
        self.figures = 0

    def heading(self, title: str, level: int = 2) -> None:
        if level == 2:
            anchor = f"s{len(self.contents) + 1}"
            self.contents.append((anchor, title))
            self.parts.append(f"<h2 id='{anchor}'>{html.escape(title)}</h2>")
        else:
            self.parts.append(f"<h{level}>{html.escape(title)}</h{level}>")

    def text(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def figure(self, fig: go.Figure) -> None:
        """The figure, with plotly's JavaScript embedded in the first one only."""
        fig.update_layout(font=dict(family="system-ui, sans-serif"), hoverlabel=dict(namelength=-1))
        self.parts.append(fig.to_html(full_html=False, include_plotlyjs=self.figures == 0,
                                      config={"displaylogo": False, "responsive": True}))
        self.figures += 1

    def toc(self) -> str:
        items = "".join(f"<li><a href='#{a}'>{html.escape(t)}</a></li>" for a, t in self.contents)
        return f"<nav><b>{html.escape(_('Contents'))}</b><ol>{items}</ol></nav>"


def _point_labels(results: analysis.Results) -> dict[int, str]:
    """Each design point as people read it: 'faq' or 'FAQ quality 0.6, Community forum 0.7'."""
    names = results.factor_names
    labels = {}
    for _i, row in results.design.iterrows():
        parts = [value_text(row[n]) if n in ("policy", "scenario") else f"{factor_label(n)} {value_text(row[n])}"
                 for n in names]
        labels[int(row["point"])] = _(", ").join(parts) or _("point {n}").format(n=int(row["point"]))
    return labels


def _varied(results: analysis.Results) -> str:
    """One line per varied factor: 'FAQ quality: 0, 0.6' or 'Counter staff: from 0.2 to 2 (3 levels)'."""
    lines = []
    for f in results.factors:
        if f.discrete:
            lines.append(colon(factor_label(f.name), listing(f.values or ())))
            continue
        text = _("{lever}: from {low} to {high}").format(lever=factor_label(f.name), low=value_text(f.low),
                                                         high=value_text(f.high))
        if f.levels:
            text += " " + _("({n} levels)").format(n=f.levels)
        lines.append(text)
    return "<br>".join(html.escape(line) for line in lines) or html.escape(_("nothing (one design point)"))


def _design(manifest: dict[str, Any]) -> str:
    design = manifest["design"]
    kind = {"full_factorial": _("full factorial"), "latin_hypercube": _("Latin hypercube"),
            "sobol": _("Sobol (Saltelli's scheme), N = {n} samples"),
            "morris": _("Morris, {n} trajectories")}.get(design["kind"], design["kind"])
    kind = kind.format(n=design.get("samples", design.get("trajectories", "?")))
    return _("{design}: {points} design points × {reps} replications").format(
        design=kind, points=manifest["points"], reps=manifest["replications"])


def _header(results: analysis.Results, written: list[Path]) -> str:
    m = results.manifest
    rows = [(_("description"), html.escape(m.get("description", "")))] if m.get("description") else []
    rows += [(_("design"), html.escape(_design(m))),
            (_("runs saved"), html.escape(_("{saved} of {total}").format(saved=results.runs_saved,
                                                                         total=m["run_count"]))),
            (_("varied"), _varied(results)),
            (_("master seed"), html.escape(str(m["master_seed"]))), (_("code"), html.escape(m["code_version"])),
            (_("started"), html.escape(m["started"])),
            (_("finished"), html.escape(m["finished"] or _("not yet (resume the sweep)"))),
            (_("files"), html.escape(", ".join(p.name for p in written)))]
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<h1>{html.escape(m['experiment'])}</h1><table class='meta'>{cells}</table>"


def _glossary(groups: list[tuple[str, list[str]]]) -> str:
    """Every kept metric: label, unit, which way is better, what it means, and its column name in the CSV files."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   (_("metric"), _("unit"), _("direction"), _("what it means"), _("name in the CSV files")))
    body = []
    for title, metrics in groups:
        body.append(f"<tr class='group'><th colspan='5'>{html.escape(title)}</th></tr>")
        body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in (
            metric_label(m), metric_unit(m), metric_better(m), metric_reading(m))) + f"<td><code>{m}</code></td></tr>"
            for m in metrics]
    return f"<table class='data'><tr>{head}</tr>{''.join(body)}</table>"


def _baseline(results: analysis.Results) -> tuple[str, Any] | None:
    """The first factor given as a list, and its first value, in a full factorial with replicates."""
    if results.manifest["design"]["kind"] != "full_factorial" or results.manifest["replications"] < 2:
        return None
    for factor in results.factors:
        if factor.discrete and len(factor.values or ()) > 1:
            return factor.name, factor.values[0]  # type: ignore[index]
    return None


def _feature_scores(results: analysis.Results, root: Path, written: list[Path]) -> list[tuple[str, str, go.Figure]]:
    """Which levers matter for each metric: extra-trees feature scores, as feature_scores.csv and a heatmap."""
    from crmsim.experiments.discovery import feature_scores, load_runs
    from crmsim.viz.discover_report import feature_scores_figure, lever_label

    if not results.factors:
        return []
    runs = load_runs(results)
    table, skipped = feature_scores(runs.levers, {m: runs.metrics[m].to_numpy() for m in runs.metrics})
    if table.empty:
        return []
    written.append(_write_csv(table.rename(columns={"outcome": "metric"}), root / "feature_scores.csv"))
    figure = feature_scores_figure(table, runs.paths)
    # The same lever labels as the rest of the page, written across and wrapped to their column, or upright
    # when a word is wider than the column.
    shown = {lever_label(n, runs.paths): n for n in table["lever"].unique()}
    columns = list(figure.data[0].x)
    labels = [factor_label(shown[c]) for c in columns]
    chars = int((charts.WIDTH - 300) / max(1, len(columns)) / 6.2)  # less the metric labels and the colour bar
    wrapped = [charts.wrap(label, chars) for label in labels]
    across = all(len(line) <= chars for text in wrapped for line in text.split("<br>"))
    figure.update_xaxes(tickvals=columns, ticktext=wrapped if across else labels, tickangle=0 if across else -90,
                        tickfont=dict(size=11), automargin=True)
    if not across:  # upright labels take their length in height from the heatmap: give it back
        figure.update_layout(height=figure.layout.height + 7 * max(len(label) for label in labels))
    by_group = [metric_label(m) for _t, metrics in metric_groups(table["outcome"].unique()) for m in metrics]
    figure.update_yaxes(automargin=True, categoryorder="array", categoryarray=by_group)
    left = "".join(" " + _("Left out: {metric}, {why}.").format(metric=metric_label(m), why=why)
                   for m, why in skipped.items())
    return [(_("Which levers matter"),
             _("Extra trees fitted to each metric's final values over the runs; a lever's score is its share of "
               "what they use (a row sums to 1). The levers that matter most are on the left; all scores are in "
               "feature_scores.csv; find the lever values behind a condition with crmsim discover.") + left,
             figure)]


def _problems(table: pd.DataFrame) -> dict[str, str]:
    """Per metric whose indices the sample is too small for, which index and why: 'ST of Counter staff 1.52 ± 1.77 ...'."""
    names = {"S1": "S1", "ST": "ST", "mu_star": "mu*"}
    why = {"outside": _("outside 0 to 1"), "wide": _("interval wider than ±50%")}
    found: dict[str, list[str]] = {}
    problems = analysis.unreliable_indices(table)
    for (metric, factor, index), rows in problems.groupby(["metric", "factor", "index"], sort=False):
        found.setdefault(metric, []).append(_("{index} for {lever}: {value} ± {conf} ({why})").format(
            index=names[index], lever=factor_label(factor), value=number(rows["value"].iloc[0], 2),
            conf=number(rows["conf"].iloc[0], 2), why=_(", ").join(why[p] for p in rows["problem"])))
    return {metric: _("; ").join(parts) for metric, parts in found.items()}


def _caution(table: pd.DataFrame, design: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The warning when the sample is too small for the indices (empty if it is not), and each metric's problems."""
    problems = _problems(table)
    if not problems:
        return "", problems
    sobol = design["kind"] == "sobol"
    n = design.get("samples") if sobol else design.get("trajectories")
    text = _("At N = {n}, the sensitivity indices of {k} of {total} metrics are not reliable; {advice}, or add "
             "replications.").format(n=n, k=len(problems), total=table["metric"].nunique(),
                                    advice=_("double N (samples)") if sobol else _("add trajectories"))
    return text, problems


def _indices(results: analysis.Results, metrics: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Sobol or Morris indices with their 95% intervals, and the metrics left out with the reason."""
    design = results.manifest["design"]
    if design["kind"] == "sobol":
        return analysis.sobol_indices(results.final, results.factors, metrics, n_points=results.manifest["points"],
                                      second_order=design.get("second_order", False))
    X = results.design[[f"x:{n}" for n in results.factor_names]].to_numpy()
    return analysis.morris_indices(results.final, results.factors, X, metrics, levels=design.get("levels", 4))


def _sensitivity(results: analysis.Results, root: Path, written: list[Path], page: _Page,
                 on_warning: Callable[[str], None]) -> None:
    design = results.manifest["design"]
    final_metrics = [m for m in results.manifest["final"] if m in set(results.final["metric"])]
    table, skipped = _indices(results, final_metrics)
    noise = analysis.noise_share(results.final, final_metrics)
    table["noise_share"] = table["metric"].map(noise)
    written.append(_write_csv(table, root / "sensitivity.csv"))
    page.heading(_("Sensitivity: which levers matter"))
    page.text(_("Sobol: S1 is the share of a metric's variance due to a lever alone, ST with all its "
                "interactions; both lie between 0 and 1. Bars show the 95% confidence interval.")
              if design["kind"] == "sobol"
              else _("Morris: mu* is a lever's mean absolute effect on the metric (in the metric's unit), with its "
                     "95% confidence interval; sigma, the spread of that effect, is large when the lever acts "
                     "through interactions or non-linearly."))
    page.text(_("A metric is flagged ⚠ when the sample is too small for its indices: a Sobol index above 1, or "
                "below 0 by more than its interval, or the metric's largest index (ST, or mu*) with an interval "
                "wider than ±50% of its value."))
    warning, problems = _caution(table, design)
    if warning:
        first = next(iter(problems))
        on_warning(f"{warning} {colon(_('For example'), colon(metric_label(first), problems[first]))}.")
        rows = "".join(f"<tr><td>{html.escape(metric_label(m))}</td><td>{html.escape(p)}</td></tr>"
                       for m, p in problems.items())
        page.raw(f"<div class='warning'><p><b>⚠ {html.escape(warning)}</b></p>"
                 f"<table class='data'>{rows}</table></div>")
    figure = charts.sobol_figure if design["kind"] == "sobol" else charts.morris_figure
    for title, metrics in metric_groups(table["metric"].unique()):
        page.heading(title, 3)
        page.figure(figure(table, metrics, set(problems)))
    noisy = {m: v for m, v in noise.items() if np.isfinite(v) and m in set(table["metric"])}
    if noisy:
        page.heading(_("Replicate noise"), 3)
        page.text(_("Share of the variance between design points that is the model's own noise (the variance of "
                    "a point's mean over its replicates, relative to the variance of the point means). Near 0, the "
                    "indices are about the levers; near 1, mostly noise: add replications or samples.") + " " +
                  _(", ").join(f"{metric_label(m)} {percent(v)}" for m, v in noisy.items()) + ".")
    if skipped:
        page.heading(_("Left out"), 3)
        page.raw("<ul>" + "".join(f"<li>{html.escape(colon(metric_label(m), _(why)))}</li>"
                                  for m, why in skipped.items()) + "</ul>")


def _by_point(results: analysis.Results, root: Path, written: list[Path], page: _Page,
              groups: list[tuple[str, list[str]]], labels: dict[int, str]) -> None:
    """Means per design point and, with a baseline, paired differences from it; one figure per group."""
    names = results.factor_names
    means = analysis.point_means(results.final, names)
    written.append(_write_csv(means, root / "summary.csv"))
    if results.manifest["design"]["kind"] == "full_factorial" and results.manifest["points"] <= MANY_POINTS:
        page.heading(_("Means per design point"))
        page.text(_("Each dot is the mean over the replications, with its 95% confidence interval; all numbers "
                    "are in summary.csv."))
        for title, metrics in groups:
            page.heading(title, 3)
            page.figure(charts.means_figure(means, labels, metrics))
    else:
        page.heading(_("Each metric against the levers"))
        page.text(_("For each metric, the mean of the runs along each lever's range (0: its lowest value, 1: "
                    "its highest), for the three levers that move it most; the sensitivity and feature-score "
                    "sections rank every lever."))
        for title, metrics in groups:
            page.heading(title, 3)
            page.figure(charts.main_effects_figure(results.final, results.factors, metrics))
    baseline = _baseline(results)
    if baseline is None:
        return
    diffs = analysis.differences(results.final, baseline[0], baseline[1], names)
    written.append(_write_csv(diffs, root / "differences.csv"))
    page.heading(_("Against the baseline ({factor} = {value})").format(factor=factor_label(baseline[0]),
                                                                        value=value_text(baseline[1])))
    page.text(_("Each point minus the baseline, paired by replicate: a replicate has the same seed at every "
                "point, so each run is compared with the baseline run of its own replicate (the same population, "
                "network and warm-up when the points differ only in policy and levers). Green: better, red: "
                "worse, by the metric's direction, when the 95% interval lies beyond half the smallest difference "
                "that matters (0.01 of mean trust, one point of a share, three points of a redress rate); blue: such "
                "a change in a metric that is neither better nor worse; dark grey: negligible, the whole interval "
                "within that smallest difference; light grey: unclear. All numbers are in differences.csv."))
    for title, metrics in groups:
        page.heading(title, 3)
        page.figure(charts.differences_figure(diffs, labels, metrics))


def _over_time(results: analysis.Results, page: _Page, labels: dict[int, str]) -> None:
    series = results.series
    counts = series.groupby("metric")["value"].count()
    metrics = [m for m in results.manifest["every_step"] if counts.get(m, 0) > 0]
    points = series["point"].nunique()
    page.heading(_("Over time"))
    if 1 < points <= MANY_BANDS:
        page.text(_("Week by week after the warm-up: each panel is one design point, its mean and 95% confidence "
                    "band over the replications; the dashed grey line is the first point ({first}), for "
                    "comparison. All panels of a metric share their scale.").format(first=labels[0]))
        bands = analysis.series_bands(series)
        for metric in metrics:
            page.heading(f"{metric_label(metric)} ({_('; ').join((metric_unit(metric), metric_better(metric)))})", 3)
            page.figure(charts.bands_by_point(bands[bands["metric"] == metric], metric, labels, reference=0))
        return
    if points == 1:
        page.text(_("Week by week after the warm-up: the mean and its 95% confidence band over the replications."))
        bands = analysis.series_bands(series)
    else:
        page.text(_("Week by week after the warm-up, over all {n} design points: the median run and the band "
                    "holding 90% of the runs (5% to 95%).").format(n=points))
        q = series.groupby(["metric", "step"])["value"].quantile([0.05, 0.5, 0.95]).unstack()
        bands = q.rename(columns={0.05: "ci_low", 0.5: "mean", 0.95: "ci_high"}).reset_index()
    page.figure(charts.bands_overall(bands, metrics))


def _report(root: Path, on_warning: Callable[[str], None]) -> list[Path]:
    results = analysis.load_results(root)
    counts = results.final.groupby("metric")["value"].count()
    kept = [m for m in results.manifest["final"] if m in counts.index]
    empty = [m for m in kept if counts[m] == 0]
    groups = metric_groups(m for m in kept if m not in empty)
    labels = _point_labels(results)
    page, written = _Page(), []
    page.heading(_("The metrics"))
    page.raw(f"<details><summary>{html.escape(_('Every metric this sweep kept, by theme, with its unit and which '
                                                   'way is better.'))}</summary>{_glossary(metric_groups(kept))}"
             "</details>")
    if empty:
        page.text(_("Not charted, as no run has a value for them (a rate with nothing to count, such as redress "
                    "success when no case was closed): {metrics}.").format(
            metrics=_(", ").join(metric_label(m) for m in empty)))
    _by_point(results, root, written, page, groups, labels)
    if not results.series.empty:
        _over_time(results, page, labels)
    numeric = [f.name for f in results.factors if not f.discrete or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in f.values or ())]
    if len(numeric) >= 2:
        pair = (numeric[0], numeric[1])
        page.heading(_("Two levers at once"))
        page.text(_("The mean final value for each combination of {a} (across) and {b} (up){binned}.").format(
            a=factor_label(pair[0]), b=factor_label(pair[1]),
            binned=_(", in bins of equal counts") if results.final[list(pair)].nunique().max() > 10 else ""))
        for title, metrics in groups:
            page.heading(title, 3)
            page.figure(charts.heatmaps_figure(results.final, pair, metrics))
    for title, text, figure in _feature_scores(results, root, written):
        page.heading(title)
        page.text(text)
        page.figure(figure)
    if results.manifest["design"]["kind"] in ("sobol", "morris"):
        _sensitivity(results, root, written, page, on_warning)

    name = html.escape(results.manifest["experiment"])
    body = "".join(page.parts)
    html_page = f"""<!DOCTYPE html>
<html lang="{current()}"><head><meta charset="utf-8"><title>{name}: {html.escape(_('report'))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}}
h2{{margin-top:2em;border-bottom:1px solid #ccc}} h3{{margin:1.5em 0 0.2em}}
table.meta th{{text-align:left;padding-right:1em;vertical-align:top;white-space:nowrap}}
table.data{{border-collapse:collapse;font-size:0.9em}}
table.data td,table.data th{{border-bottom:1px solid #ddd;padding:0.25em 0.6em;text-align:left;vertical-align:top}}
table.data tr.group th{{background:#eef2f8}}
div.warning{{border-left:5px solid #d73027;background:#fdf0ee;padding:0.5em 1em;margin:1em 0}}
nav ol{{columns:2}} summary{{cursor:pointer;color:#1f4e99}}</style></head>
<body>{_header(results, written)}
{page.toc()}
{body}
</body></html>
"""
    atomic_write(root / "report.html", lambda temp: temp.write_text(html_page, encoding="utf-8"))
    return [root / "report.html", *written]


def write_report(root: str | Path, lang: str | None = None,
                 on_warning: Callable[[str], None] | None = None) -> list[Path]:
    """Write report.html, summary.csv and (when they apply) differences.csv, sensitivity.csv, feature_scores.csv.

    ``lang`` ('en' or 'fr'; default: the current language) is the page's
    language; ``on_warning`` receives each sentence of warning the page shows
    (sensitivity indices the sample is too small for).
    """
    with language(lang) if lang else contextlib.nullcontext():
        return _report(Path(root), on_warning or (lambda line: None))
