"""discover.html: what ``crmsim discover`` found, as one page that opens offline.

The page shows, for a condition over a sweep's final metrics:

1. a plain-words reading of the chosen box, in the metrics' and levers' labels
   (:mod:`crmsim.texts.labels`), e.g. "With Funded prescribers ≥ 0.6 and Counter
   staff ≥ 1.2×, 87% of the runs in the box meet the condition (coverage 71%).";
2. the trade-off between coverage and density along PRIM's peeling trajectory
   (or over CART's leaves), interactive: hovering a box names the levers it
   restricts; the chosen box is ringed;
3. the chosen box's limits against the ranges the sweep sampled, and a table
   with PRIM's quasi-p-values;
4. which levers matter for the condition (extra-trees feature scores).

The page is :func:`crmsim.viz.html_page.render_page`'s: plotly's JavaScript is
embedded once, so it needs no network. The texts a person reads pass through
:func:`crmsim.texts.i18n._`. :func:`feature_scores_figure`
draws the heatmap of the sweep report (``viz.report``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crmsim.experiments.discovery import Condition, Discovery, Runs, category_text
from crmsim.texts.i18n import _, current, percent
from crmsim.texts.labels import factor_label, metric_label, value_text
from crmsim.model.params import PARAMS
from crmsim.viz.html_page import Section, html_table, render_page

__all__ = ["lever_label", "condition_label", "reading", "qp_text", "discover_page", "feature_scores_figure"]

_SILENT_UNITS = {"0..1", "-", "logit"}  # units a reader does not need after the number


def lever_label(name: str, paths: dict[str, str]) -> str:
    """A varied lever as people read it, by its field path: ``levers.funded_prescribers`` -> 'Funded prescribers'."""
    return factor_label(paths.get(name, name))


def _unit(name: str, paths: dict[str, str]) -> str:
    param = PARAMS.get(paths.get(name, name).rsplit(".", 1)[-1])
    if param is None or param.unit in _SILENT_UNITS:
        return ""
    return "×" if param.unit == "x" else f" {param.unit}"


def qp_text(q: float) -> str:
    """A quasi-p-value in two figures; those too small to matter as '<0.001'."""
    return "<0.001" if q < 0.001 else f"{q:.2g}"


def _value(x: float, integer: bool) -> str:
    """A box limit: two decimals are as much as a box's edge is known to."""
    return value_text(int(round(x)) if integer else round(float(x), 2))


def condition_label(condition: Condition) -> str:
    """The condition with each metric's label in place of its name: 'Lost users < 0.05'."""
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: metric_label(m[0]) if m[0] in condition.names else m[0],
                  condition.text)


def _values(row: pd.Series, runs: Runs, key: str = "values") -> list[str]:
    """A listed lever's values in a box (or, with ``key="range_values"``, sampled) as people read them (yes, no)."""
    return [value_text(v) for v in runs.factor(row["lever"]).values or () if category_text(v) in row[key]]


def _restriction(row: pd.Series, runs: Runs) -> str:
    name = lever_label(row["lever"], runs.paths)
    if isinstance(row.get("values"), list):
        return _("{lever} = {value}").format(lever=name, value=_(" or ").join(_values(row, runs)))
    integer, unit = runs.factor(row["lever"]).integer, _unit(row["lever"], runs.paths)
    low, high = _value(row["low"], integer) + unit, _value(row["high"], integer) + unit
    if row["restricted_low"] and row["restricted_high"]:
        return _("{lever} from {low} to {high}").format(lever=name, low=low, high=high)
    if row["restricted_low"]:
        return _("{lever} ≥ {low}").format(lever=name, low=low)
    return _("{lever} ≤ {high}").format(lever=name, high=high)


def reading(discovery: Discovery, runs: Runs) -> str:
    """The chosen box in plain words."""
    box = discovery.box
    limits = discovery.limits[discovery.limits["restricted"]]
    if limits.empty:
        return _("This box restricts no lever: {density} of all the runs meet the condition.").format(
            density=percent(box["density"]))
    parts = [_restriction(row, runs) for _i, row in limits.iterrows()]
    levers = parts[0] if len(parts) == 1 else _("{some} and {last}").format(some=", ".join(parts[:-1]),
                                                                              last=parts[-1])
    return _("With {levers}, {density} of the runs in the box meet the condition (coverage {coverage}).").format(
        levers=levers, density=percent(box["density"]), coverage=percent(box["coverage"]))


# --- figures ----------------------------------------------------------------------------------


def _tradeoff(discovery: Discovery, runs: Runs) -> go.Figure:
    t = discovery.trajectory
    hover = [_("box {box}: coverage {coverage}, density {density}, {runs} runs<br>restricts: {levers}").format(
        box=r.box, coverage=percent(r.coverage), density=percent(r.density), runs=r.runs,
        levers=html.escape(", ".join(lever_label(n, runs.paths) for n in r.levers.split(", ") if n)) or _("nothing"))
        for r in t.itertuples()]
    fig = go.Figure(go.Scatter(
        x=t["coverage"], y=t["density"], mode="lines+markers" if discovery.method == "prim" else "markers",
        line=dict(color="#bbb"), hovertext=hover, hoverinfo="text", showlegend=False,
        marker=dict(size=9, color=t["restricted"], colorscale="Viridis", showscale=True,
                    colorbar=dict(title=_("levers<br>restricted"), dtick=1))))
    chosen = t.loc[discovery.chosen]
    fig.add_trace(go.Scatter(x=[chosen["coverage"]], y=[chosen["density"]], mode="markers", hoverinfo="skip",
                             marker=dict(size=20, color="rgba(0,0,0,0)", line=dict(color="#d62728", width=3)),
                             name=_("chosen box {box}").format(box=discovery.chosen)))
    fig.update_xaxes(title_text=_("coverage: share of the runs meeting the condition that are in the box"),
                     tickformat=".0%", range=[-0.02, 1.02])
    fig.update_yaxes(title_text=_("density: share of the box's runs that meet it"), tickformat=".0%",
                     range=[-0.02, 1.02])
    fig.update_layout(height=460, legend=dict(orientation="h", y=-0.2),
                      title=_("Coverage against density, box by box") if discovery.method == "prim"
                      else _("Coverage against density, leaf by leaf"))
    return fig


def _limits_figure(discovery: Discovery, runs: Runs) -> go.Figure:
    """Each lever's box limits as a share of its sampled range (restricted levers first)."""
    limits = discovery.limits.sort_values("restricted", ascending=False, kind="stable")
    fig = go.Figure()
    names = [lever_label(n, runs.paths) for n in limits["lever"]]
    fig.add_trace(go.Bar(y=names, x=[1.0] * len(names), base=[0.0] * len(names), orientation="h",
                         marker_color="#e5e5e5", name=_("range sampled"), hoverinfo="skip"))
    starts, widths, texts = [], [], []
    for _i, row in limits.iterrows():
        if isinstance(row.get("values"), list):
            share = len(row["values"]) / len(row["range_values"])
            starts.append(0.0), widths.append(share), texts.append(", ".join(_values(row, runs)))
            continue
        span = (row["range_high"] - row["range_low"]) or 1.0
        starts.append((row["low"] - row["range_low"]) / span)
        widths.append((row["high"] - row["low"]) / span)
        integer = runs.factor(row["lever"]).integer
        texts.append(f"{_value(row['low'], integer)} – {_value(row['high'], integer)}")
    colors = ["#1f77b4" if r else "#9ecae1" for r in limits["restricted"]]
    fig.add_trace(go.Bar(y=names, x=widths, base=starts, orientation="h", marker_color=colors, text=texts,
                         textposition="inside", insidetextanchor="middle", name=_("box"),
                         hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=_("share of the range sampled"), tickformat=".0%", range=[0, 1])
    fig.update_layout(barmode="overlay", height=max(320, 34 * len(names) + 140), legend=dict(orientation="h", y=-0.15),
                      title=_("The box against the ranges the sweep sampled (dark: restricted)"))
    return fig


def _scores_bar(scores: pd.DataFrame, runs: Runs) -> go.Figure:
    rows = scores.sort_values("score")
    fig = go.Figure(go.Bar(x=rows["score"], y=[lever_label(n, runs.paths) for n in rows["lever"]], orientation="h",
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_xaxes(title_text=_("feature score (extra trees; the scores sum to 1)"))
    fig.update_layout(height=max(300, 28 * len(rows) + 120),
                      title=_("Which levers matter for the condition"))
    return fig


def feature_scores_figure(table: pd.DataFrame, paths: dict[str, str]) -> go.Figure:
    """Heatmap of feature scores: one row per metric (its label), one column per lever."""
    grid = table.pivot(index="outcome", columns="lever", values="score")
    order = grid.mean().sort_values(ascending=False).index  # the levers that matter most, first
    grid = grid[order]
    labels = [metric_label(m) for m in grid.index]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=[lever_label(n, paths) for n in grid.columns], y=labels,
                               colorscale="Viridis", zmin=0, colorbar=dict(title=_("score")),
                               text=np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.2f}")(grid.to_numpy()),
                               texttemplate="%{text}", hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(360, 26 * len(labels) + 200),
                      title=_("Feature scores: how much each lever explains of each metric (extra trees; a "
                              "row sums to 1)"))
    return fig


# --- the page ---------------------------------------------------------------------------------


def _limits_table(discovery: Discovery, runs: Runs) -> str:
    rows = []
    for _i, row in discovery.limits.sort_values("restricted", ascending=False, kind="stable").iterrows():
        if isinstance(row.get("values"), list):
            box, sampled = ", ".join(_values(row, runs)), ", ".join(_values(row, runs, "range_values"))
        else:
            integer = runs.factor(row["lever"]).integer
            box = f"{_value(row['low'], integer)} – {_value(row['high'], integer)}"
            sampled = f"{_value(row['range_low'], integer)} – {_value(row['range_high'], integer)}"
        qp = [q for q in (row["qp_low"], row["qp_high"]) if pd.notna(q)]
        rows.append({_("lever"): lever_label(row["lever"], runs.paths), _("box"): box, _("range sampled"): sampled,
                     _("restricted"): _("yes") if row["restricted"] else "",
                     _("quasi-p"): ", ".join(qp_text(q) for q in qp)})
    return html_table(pd.DataFrame(rows), numeric={_("box"), _("range sampled"), _("quasi-p")})


def discover_page(experiment: str, runs: Runs, condition: Condition, discovery: Discovery,
                  scores: pd.DataFrame, written: list[Path]) -> str:
    """The page's HTML. ``scores``: feature scores for the condition; ``written``: the files beside it."""
    prim = discovery.method == "prim"
    label = condition_label(condition)
    question = _("{runs} of experiment {experiment}, {levers} levers varied. Condition: {condition}: "
                 "{hits} runs ({share}) meet it. Method: {method}, box {box}. Files beside this page: {files}.").format(
        runs=runs.saved, experiment=experiment, levers=len(runs.levers.columns),
        condition=condition.text if label == condition.text else f"{condition.text} ({label})",
        hits=f"{discovery.hits:,}", share=percent(discovery.hits / discovery.runs), method="PRIM" if prim else "CART",
        box=discovery.chosen, files=", ".join(p.name for p in written))
    question += "".join(" " + _("{metric} has no value in {n} runs; they do not meet the condition.").format(
        metric=name, n=n) for name, n in condition.missing.items())
    sections = [
        Section(_("The question"), question),
        Section(_("Coverage and density"),
                _("PRIM peels the space of levers a slice at a time, keeping the runs meeting the condition as dense "
                  "as it can; each step is a box. Early boxes hold most of those runs (high coverage) among many "
                  "others (low density); late ones are purer but smaller. The ringed box keeps most of those runs "
                  "while raising the density most; choose another with --box N.") if prim else
                _("CART splits the runs into leaves; each leaf is a box. The ringed leaf keeps most of the runs "
                  "meeting the condition while raising the density most; choose another with --box N."),
                _tradeoff(discovery, runs)),
        Section(_("The box"), "", _limits_figure(discovery, runs)),
        Section("", _limits_table(discovery, runs), is_html=True,
                caption=_("A quasi-p-value is the chance of a density this high in the box without that restriction "
                          "(a one-sided binomial test, Bryant and Lempert 2010): above 0.05, the restriction may be "
                          "noise.") if prim else ""),
    ]
    if not scores.empty:
        sections.append(Section(_("Which levers matter"),
                                _("Extra trees trained to tell the runs that meet the condition from the others; a "
                                  "lever's score is its share of what they use."), _scores_bar(scores, runs)))
    return render_page(f"{experiment}: {_('scenario discovery')}", reading(discovery, runs), sections, lang=current())
