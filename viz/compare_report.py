"""compare.html: scenarios side by side, with their uncertainty, for a workshop.

The page answers, in this order: what changes and how sure we are (the
verdicts, in plain words), by how much on every metric (the paired
differences with their 95% intervals), how it unfolds over the year (bands),
who gains and who loses (results by quartile of digital skill, the paper's
equality question), and what differs between the files (levers). Every label,
unit and direction comes from :data:`crmsim.model.metrics.INFO`; every text
goes through :func:`crmsim.texts.i18n._`, so the page renders in French as well.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.experiments.compare import (OVERALL, QUARTILES, SERIES, Comparison, judgement, metric_label,
                                       verdict)
from crmsim.experiments.cost_effectiveness import (COST, LEGEND, PLANE, PRICED, extra_cost_text, ratio_text,
                                                   unit_header)
from crmsim.texts.i18n import _, current, number
from crmsim.texts.labels import country_name
from crmsim.model.metrics import INFO
from crmsim.viz.html_page import Section, html_table, render_page
from crmsim.viz.overview import details_id, overview_html

__all__ = ["render_comparison"]

COLOURS = plotly.colors.qualitative.D3
GREY = "#7f7f7f"
COLUMNS = 3  # small multiples per row
# Above everything, in the figure's top margin: never over the first panel's title.
TOP_LEGEND = dict(orientation="h", yref="container", y=1, yanchor="top", x=0)


def _colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = plotly.colors.hex_to_rgb(colour)
    return f"rgba({r},{g},{b},{alpha})"


def _title(metric: str) -> str:
    """A panel title: the label, then the unit and the direction, on two lines."""
    info = INFO[metric]
    return f"{_(info.label)}<br><span style='font-size:11px'>{_(info.unit)}, {_(info.better)}</span>"


def _verdicts(comparison: Comparison) -> str:
    """Per scenario, folded: the differences that matter as sentences (better green, worse red), then the
    negligible and unclear. The overview's rows open these."""
    parts = []
    for i, scenario in enumerate(comparison.labels[1:]):
        clear, negligible, unclear = [], [], []
        for metric in OVERALL:
            d = comparison.diff(scenario, metric)
            judged = judgement(metric, d)
            if judged == "negligible":
                negligible.append(metric_label(metric))
            elif judged == "unclear":
                unclear.append(metric_label(metric))
            else:
                css = f' class="{judged}"' if judged != "changed" else ""
                clear.append(f"<li><span{css}>{html.escape(verdict(scenario, metric, d))}</span></li>")
        parts.append(f'<details class="scenario" id="{details_id(i)}"><summary>{html.escape(scenario)} − '
                     f'{html.escape(comparison.reference)}</summary>')
        items = "".join(clear) or f"<li>{html.escape(_('no difference that matters on any metric'))}</li>"
        parts.append(f'<ul class="verdicts">{items}</ul>')
        for names, text in ((negligible, _("Negligible (too small to matter) on: {metrics}.")),
                            (unclear, _("Unclear on: {metrics}."))):
            if names:
                parts.append(f'<p class="note">{html.escape(text.format(metrics=", ".join(names)))}</p>')
        parts.append("</details>")
    return "".join(parts)


def _worlds(comparison: Comparison) -> str:
    """Per scenario and headline metric: today's verdict, the share of worlds where it holds, the combined interval."""
    from crmsim.experiments.compare import HEADLINE_TABLE

    rows, classes = [], {}
    for i, scenario in enumerate(comparison.labels[1:]):
        row = {_("scenario"): scenario}
        for metric in (*HEADLINE_TABLE, "public_cost_per_citizen"):
            world = comparison.world_row(scenario, metric)
            column = metric_label(metric)
            if world is None:
                row[column] = "–"
                continue
            judged = judgement(metric, comparison.diff(scenario, metric))
            share = world[f"share_{judged}"]
            row[column] = _("{verdict} in {share} of worlds; {low} to {high}").format(
                verdict=_(judged), share=f"{share:.0%}", low=number(world["worlds_ci_low"]),
                high=number(world["worlds_ci_high"]))
            if judged in ("better", "worse", "negligible") and share >= 0.8:
                classes[(i, column)] = judged
        rows.append(row)
    n = int(comparison.worlds["worlds"].max())
    note = _("Each cell: today's verdict (one world, the calibrated defaults), the share of {n} plausible worlds "
             "(crmsim worlds: parameter sets that all meet the calibration figures) in which the same verdict "
             "holds, and a 95% interval combining the worlds and the seeds. Coloured where it holds in at least "
             "80% of the worlds.").format(n=n)
    table = html_table(pd.DataFrame(rows), set(), classes)
    return f'<p class="note">{html.escape(note)}</p><div class="wide">{table}</div>' + _dependence(comparison)


def _dependence(comparison: Comparison) -> str:
    """Per scenario and headline metric: the three parameters its difference depends on most across the worlds."""
    table = comparison.dependence
    if table is None or table.empty:
        return f'<p class="note">{html.escape(_("Too few worlds (fewer than 20) to rank what the verdicts depend on."))}</p>'
    rows = []
    for (scenario, metric), group in table.groupby(["scenario", "metric"], sort=False):
        top = group.sort_values("rank").head(3)
        noise = float(group["noise_share"].iloc[0])
        named = ", ".join(f"{p} ({s:.2f})" for p, s in zip(top["parameter"], top["score"]))
        rows.append({_("scenario"): scenario, _("metric"): metric_label(metric),
                     _("depends mostly on"): named if noise < 0.5 else
                     _("no parameter: the worlds differ little more than seeds do")})
    note = _("Extra-trees feature scores (EMA Workbench) of each world's difference on the world's parameters: how "
             "much of the verdict's variation across worlds each explains (scores sum to 1). Where seed noise is at "
             "least half that variation, no ranking is shown.")
    return (f'<h3>{html.escape(_("What each verdict depends on"))}</h3><p class="note">{html.escape(note)}</p>'
            f'<div class="wide">{html_table(pd.DataFrame(rows))}</div>')


def _interval(mean: float, low: float, high: float) -> str:
    if not np.isfinite(mean):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return number(mean)
    return f"{number(mean)} [{number(low)}, {number(high)}]"


def _table(comparison: Comparison) -> str:
    """Every metric: label, unit, direction, each scenario's mean [95% CI], each difference [95% CI]."""
    rows, classes = [], {}
    for i, metric in enumerate(OVERALL):
        info = INFO[metric]
        row = {_("metric"): _(info.label), _("unit"): _(info.unit), _("direction"): _(info.better),
               _("smallest that matters"): number(info.mid)}
        # With many scenarios, only the reference's mean: the others' are in compare.csv.
        for scenario in comparison.labels if len(comparison.labels) <= 3 else comparison.labels[:1]:
            m = comparison.mean(scenario, metric)
            row[scenario] = "–" if m is None else _interval(m["mean"], m["ci_low"], m["ci_high"])
        for scenario in comparison.labels[1:]:
            d = comparison.diff(scenario, metric)
            column = f"{scenario} − {comparison.reference}"
            row[column] = "–" if d is None else _interval(d["difference"], d["ci_low"], d["ci_high"])
            judged = judgement(metric, d)
            if judged in ("better", "worse", "negligible"):
                classes[(i, column)] = judged
        rows.append(row)
    table = pd.DataFrame(rows)
    numeric = set(table.columns[4:])
    return f'<div class="wide">{html_table(table, numeric, classes)}</div>'


def _error_bar(d: pd.Series) -> dict:
    """A plotly error bar from a paired difference's 95% interval (none where the interval is undefined)."""
    low = d["difference"] - d["ci_low"] if np.isfinite(d["ci_low"]) else 0.0
    high = d["ci_high"] - d["difference"] if np.isfinite(d["ci_high"]) else 0.0
    return dict(type="data", symmetric=False, array=[high], arrayminus=[low])


def _differences_figure(comparison: Comparison) -> go.Figure:
    """Small multiples, one per metric: each scenario's paired difference to the reference, with its interval."""
    metrics = list(OVERALL)
    others = comparison.labels[1:]
    rows = math.ceil(len(metrics) / COLUMNS)
    fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m) for m in metrics],
                        horizontal_spacing=0.2, vertical_spacing=min(0.3 / rows * 2, 0.12))
    for k, metric in enumerate(metrics):
        r, c = divmod(k, COLUMNS)
        for i, scenario in enumerate(others):
            d = comparison.diff(scenario, metric)
            if d is None or not np.isfinite(d["difference"]):
                continue
            fig.add_trace(go.Scatter(
                x=[d["difference"]], y=[scenario], mode="markers", marker=dict(color=_colour(i + 1), size=9),
                error_x=_error_bar(d), name=scenario,
                legendgroup=scenario, showlegend=k == 0,
                hovertemplate=f"{html.escape(scenario)}: %{{x:.4f}}<extra>{html.escape(metric_label(metric))}</extra>"),
                row=r + 1, col=c + 1)
        fig.add_vline(x=0, line=dict(color=GREY, width=1, dash="dot"), row=r + 1, col=c + 1)
        fig.update_yaxes(showticklabels=c == 0, automargin=True, row=r + 1, col=c + 1)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=max(260, 70 + 22 * len(others)) * rows + 60, margin=dict(l=10, r=10, t=120, b=30),
                      legend=TOP_LEGEND, template="plotly_white")
    return fig


def _band_traces(fig: go.Figure, bands: pd.DataFrame, scenario: str, colour: str, row: int, col: int,
                 legend: bool) -> None:
    rows = bands[bands["scenario"] == scenario].sort_values("step")
    x = rows["step"].tolist()
    fig.add_trace(go.Scatter(x=x + x[::-1], y=rows["ci_high"].tolist() + rows["ci_low"].tolist()[::-1],
                             fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0), hoverinfo="skip",
                             showlegend=False, legendgroup=scenario), row=row, col=col)
    fig.add_trace(go.Scatter(x=x, y=rows["mean"], mode="lines", line=dict(color=colour, width=2), name=scenario,
                             legendgroup=scenario, showlegend=legend), row=row, col=col)


def _series_figures(comparison: Comparison) -> list[tuple[str, go.Figure]]:
    """Bands over time: all scenarios overlaid when there are at most three, else one small panel per scenario
    against the reference, one figure per metric."""
    bands = comparison.bands
    if len(comparison.labels) <= 3:
        rows = math.ceil(len(SERIES) / COLUMNS)
        fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m) for m in SERIES],
                            horizontal_spacing=0.11, vertical_spacing=0.16)
        for k, metric in enumerate(SERIES):
            r, c = divmod(k, COLUMNS)
            for i, scenario in enumerate(comparison.labels):
                _band_traces(fig, bands[bands["metric"] == metric], scenario, _colour(i), r + 1, c + 1, k == 0)
        fig.update_xaxes(title_text=_("weeks since the policy started"), row=rows)
        # Rates are yearly and run on from the warm-up, so an axis rarely starts at 0: its lowest label sits at the
        # corner, where week 0's label would touch it; a little space below the axis keeps them apart.
        fig.update_xaxes(ticklabelstandoff=8)
        fig.update_annotations(font_size=12)
        fig.update_layout(height=330 * rows + 60, margin=dict(t=120, b=40), template="plotly_white",
                          legend=TOP_LEGEND)
        return [("", fig)]
    figures = []
    others = comparison.labels[1:]
    for metric in SERIES:
        rows = math.ceil(len(others) / 4)
        fig = make_subplots(rows=rows, cols=4, subplot_titles=others, shared_yaxes=True,
                            horizontal_spacing=0.04, vertical_spacing=0.18 / max(rows - 1, 1) if rows > 1 else 0.1)
        subset = bands[bands["metric"] == metric]
        for k, scenario in enumerate(others):
            r, c = divmod(k, 4)
            _band_traces(fig, subset, comparison.reference, GREY, r + 1, c + 1, k == 0)
            _band_traces(fig, subset, scenario, _colour(1), r + 1, c + 1, False)
        fig.update_annotations(font_size=11)
        fig.update_layout(height=200 * rows + 140, template="plotly_white", margin=dict(t=90, b=70),
                          title=dict(text=_title(metric), font_size=14),
                          legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))
        figures.append((metric, fig))
    return figures


def _quartile_figure(comparison: Comparison) -> go.Figure:
    """Who gains and who loses: each scenario's paired difference by quartile of digital skill."""
    names = {"trust": _("Trust"), "knowledge": _("Knowledge"), "take_up": _("Take-up")}
    fig = make_subplots(rows=1, cols=len(QUARTILES), subplot_titles=[names[k] for k in QUARTILES],
                        horizontal_spacing=0.08)
    quartiles = [_("1 least skilled").replace(" ", "<br>", 1), "2", "3", _("4 most skilled").replace(" ", "<br>", 1)]
    others = comparison.labels[1:]
    for c, (group, metrics) in enumerate(QUARTILES.items(), start=1):
        for i, scenario in enumerate(others):
            diffs = [comparison.diff(scenario, m) for m in metrics]
            y = [np.nan if d is None else d["difference"] for d in diffs]
            plus = [0.0 if d is None or not np.isfinite(d["ci_high"]) else d["ci_high"] - d["difference"]
                    for d in diffs]
            minus = [0.0 if d is None or not np.isfinite(d["ci_low"]) else d["difference"] - d["ci_low"]
                     for d in diffs]
            offset = (i - (len(others) - 1) / 2) * min(0.6 / max(len(others), 1), 0.15)
            fig.add_trace(go.Scatter(x=np.arange(4) + offset, y=y, mode="markers+lines",
                                     line=dict(color=_colour(i + 1), width=1), marker=dict(size=8),
                                     error_y=dict(type="data", symmetric=False, array=plus, arrayminus=minus),
                                     name=scenario, legendgroup=scenario, showlegend=c == 1), row=1, col=c)
        fig.add_hline(y=0, line=dict(color=GREY, width=1, dash="dot"), row=1, col=c)
        fig.update_xaxes(tickvals=list(range(4)), ticktext=quartiles, range=[-0.6, 3.6], row=1, col=c)
    fig.update_yaxes(title_text=_("difference to {reference}").format(reference=comparison.reference), row=1, col=1)
    fig.update_layout(height=420, template="plotly_white", margin=dict(t=60, b=60),
                      legend=dict(orientation="h", y=-0.22, x=0))
    return fig


def _costs(comparison: Comparison) -> str:
    """Each scenario's extra public cost, and what each priced gain costs, as a table (dominant in green...)."""
    table = comparison.cost_effect
    rows, classes = [], {}
    colour = {"dominant": "better", "cost per unit gained": "", "dominated": "worse", "saving per unit lost": "worse"}
    for i, (scenario, group) in enumerate(table.groupby("scenario", sort=False)):
        by_effect = group.set_index("effect")
        row = {_("scenario"): scenario, _("extra public cost, euros per citizen per year"): extra_cost_text(
            group.iloc[0])}
        for name in PRICED:
            column = unit_header(name)
            row[column] = ratio_text(by_effect.loc[name]) if name in by_effect.index else "–"
            if name in by_effect.index and colour.get(by_effect.loc[name, "status"]):
                classes[(i, column)] = colour[by_effect.loc[name, "status"]]
        rows.append(row)
    frame = pd.DataFrame(rows)
    return f'<div class="wide">{html_table(frame, set(frame.columns[1:]), classes)}</div>'


def _padded(values: list[float]) -> list[float]:
    """An axis range around ``values`` with a fifth of their span spare on each side (never empty)."""
    low, high = min(values), max(values)
    spare = (high - low) / 5 or 1.0
    return [low - spare, high + spare]


def _plane_figure(comparison: Comparison) -> go.Figure:
    """The cost-effectiveness plane, one panel per headline effect: extra effect across, extra cost up."""
    metrics = [m for m in PLANE if m in INFO]
    rows = math.ceil(len(metrics) / COLUMNS)
    fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m) for m in metrics],
                        horizontal_spacing=0.12, vertical_spacing=0.3 / rows)
    for k, metric in enumerate(metrics):
        r, c = divmod(k, COLUMNS)
        xs, ys = [0.0], [0.0]  # each panel's range holds 0 inside it, so the zero lines never sit on an edge
        for i, scenario in enumerate(comparison.labels[1:]):
            d, cost = comparison.diff(scenario, metric), comparison.diff(scenario, COST)
            if d is None or cost is None or not (np.isfinite(d["difference"]) and np.isfinite(cost["difference"])):
                continue
            xs += [v for v in (d["difference"], d["ci_low"], d["ci_high"]) if np.isfinite(v)]
            ys += [v for v in (cost["difference"], cost["ci_low"], cost["ci_high"]) if np.isfinite(v)]
            fig.add_trace(go.Scatter(
                x=[d["difference"]], y=[cost["difference"]], mode="markers",
                marker=dict(color=_colour(i + 1), size=9), error_x=_error_bar(d), error_y=_error_bar(cost), name=scenario,
                legendgroup=scenario, showlegend=k == 0,
                hovertemplate=f"{html.escape(scenario)}: %{{x:.4f}}, %{{y:.2f}} €<extra>"
                              f"{html.escape(metric_label(metric))}</extra>"), row=r + 1, col=c + 1)
        fig.add_vline(x=0, line=dict(color=GREY, width=1, dash="dot"), row=r + 1, col=c + 1)
        fig.add_hline(y=0, line=dict(color=GREY, width=1, dash="dot"), row=r + 1, col=c + 1)
        fig.update_xaxes(range=_padded(xs), row=r + 1, col=c + 1)
        fig.update_yaxes(range=_padded(ys), row=r + 1, col=c + 1)
        if c == 0:
            fig.update_yaxes(title_text=_("extra cost, € per citizen per year"), row=r + 1, col=c + 1)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=330 * rows + 80, margin=dict(l=10, r=10, t=120, b=30), legend=TOP_LEGEND,
                      template="plotly_white")
    return fig


def _levers(comparison: Comparison) -> str:
    if comparison.levers.empty:
        return f"<p>{html.escape(_('The files set every lever alike.'))}</p>"
    table = comparison.levers.drop(columns="parameter").rename(columns={"label": _("lever")})
    return f'<div class="wide">{html_table(table.astype(str))}</div>'


def render_comparison(comparison: Comparison, files: list[str]) -> str:
    """The whole compare.html as text, in the current language."""
    n_others = len(comparison.labels) - 1
    intro = _("{n} scenarios with the same seeds (paired: replicate r of every scenario shares its population, "
              "network and warm-up), {runs}. Each verdict reads the yearly rates of year {year} after the policy "
              "switched on ({steps} weeks recorded after the warm-up); the effect after one year is given beside it. "
              "Files: {files}. A difference is better or worse when its 95% interval lies beyond half the smallest "
              "difference that matters for its metric (column 'smallest that matters' below: 0.01 of mean trust, "
              "one point of a share, three points of a redress rate, EUR 1 a citizen); it is negligible when its "
              "whole interval lies within that.").format(
                  n=len(comparison.labels), runs=comparison.runs_text(), year=number(comparison.reading_year),
                  steps=comparison.steps, files=", ".join(files))
    sections = [
        Section(_("Verdicts, scenario by scenario"), _verdicts(comparison), is_html=True),
        *([Section(_("Across plausible worlds"), _worlds(comparison), is_html=True)]
          if comparison.worlds is not None else []),
        *([Section(_("What it costs"), _costs(comparison) + f'<p class="note">{html.escape(_(LEGEND))}</p>',
                   is_html=True),
           Section("", "", _plane_figure(comparison),
                   caption=_("The cost-effectiveness plane: each dot is a scenario's extra effect (across) and extra "
                             "public cost (up) against {reference}, with 95% intervals. Below the dotted line it "
                             "saves money; whether left or right is better depends on the metric (its title "
                             "says).").format(reference=comparison.reference))]
          if not comparison.cost_effect.empty else []),
        Section(_("Every metric"), _table(comparison), is_html=True),
        Section(_("Differences to {reference}").format(reference=comparison.reference), "",
                _differences_figure(comparison),
                caption=_("Each dot is a scenario's mean paired difference to {reference}; the bar is its 95% "
                          "interval. A bar that crosses the dotted zero line is no clear difference.").format(
                    reference=comparison.reference)),
    ]
    series = _series_figures(comparison)
    for k, (metric, figure) in enumerate(series):
        sections.append(Section(_("Over time") if k == 0 else "", "", figure,
                                caption=_("Mean and 95% band over the runs, week by week. Look for when the lines "
                                          "part, and whether they settle or keep drifting.") if k == len(series) - 1
                                else ""))
    sections += [
        Section(_("Who gains and who loses"), "", _quartile_figure(comparison),
                caption=_("Citizens split into quarters by digital skill. A policy that helps the least skilled "
                          "most lifts the left of each panel more than the right: the paper's question of who is "
                          "left behind.")),
        Section(_("What differs between the files"), _levers(comparison), is_html=True),
    ]
    title = _("Comparison: {scenarios}").format(scenarios=" / ".join(comparison.labels)) if n_others <= 3 else \
        _("Comparison: {reference} and {n} other scenarios").format(reference=comparison.reference, n=n_others)
    if comparison.country:
        title = _("{title}, in {country}").format(title=title, country=country_name(comparison.country))
    return render_page(title, intro, sections, lang=current(), lead=overview_html(comparison))
