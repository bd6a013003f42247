"""compare.html: scenarios side by side, with their uncertainty, for a workshop.

The first screen answers the workshop's question: the overview
(:mod:`crmsim.viz.overview`), every policy's outcomes in their units against
the reference's own level, and what each costs and buys. Below it, the
verdicts in plain words, scenario by scenario; then, folded until a reader
opens them, by how much on every metric (the paired differences with their
95% intervals), what it costs, how it unfolds over the year (bands), who
gains and who loses (results by quartile of digital skill, the paper's
equality question), and what differs between the files (levers). A folded
part's charts are drawn when it opens (:mod:`crmsim.viz.folds`), so the page
loads in a moment however many scenarios it holds. Every label, unit and
direction comes from :data:`crmsim.model.metrics.INFO`, shares read in
percent and points (:mod:`crmsim.viz.metric_text`), each scenario by its name
and its own colour (:mod:`crmsim.viz.scenario_look`); every text goes through
:func:`crmsim.texts.i18n._`, so the page renders in French as well.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.experiments.compare import OVERALL, QUARTILES, SERIES, Comparison, judgement, verdict
from crmsim.experiments.cost_effectiveness import COST, LEGEND, PLANE, PRICED, unit_header
from crmsim.texts.i18n import _, current, percent
from crmsim.texts.labels import country_name, metric_better, metric_label, metric_unit, value_text
from crmsim.model.metrics import INFO
from crmsim.viz.folds import chart, fold, script
from crmsim.viz.html_page import Section, html_table, render_page
from crmsim.viz.metric_text import chart_unit, difference_text, euro_text, is_cost, level_text, quantity, scale, unit_line
from crmsim.viz.overview import details_id, overview_html
from crmsim.viz.scenario_look import REFERENCE_COLOUR, Look, look, rgba

__all__ = ["render_comparison"]

GREY = REFERENCE_COLOUR
COLUMNS = 3  # small multiples per row
# Above everything, in the figure's top margin: never over the first panel's title.
TOP_LEGEND = dict(orientation="h", yref="container", y=1, yanchor="top", x=0)


def _title(metric: str, level: bool = False) -> str:
    """A panel title: the label, then the unit (of a level or of a difference) and the direction, on two lines.
    A cost has no direction: it is a price."""
    unit = chart_unit(metric) if level else unit_line(metric)
    line = unit if is_cost(metric) else f"{unit}, {metric_better(metric)}"
    return f"{html.escape(metric_label(metric))}<br><span style='font-size:11px'>{html.escape(line)}</span>"


def _verdicts(comparison: Comparison, seen: Look) -> str:
    """Per scenario, folded: the differences that matter as sentences (better green, worse red), what it costs
    (no colour: a price), then the negligible and unclear. The overview's rows open these."""
    parts, reference = [], seen.name(comparison.reference)
    for i, scenario in enumerate(comparison.labels[1:]):
        name = seen.name(scenario)
        clear, costs, negligible, unclear = [], [], [], []
        for metric in OVERALL:
            d = comparison.diff(scenario, metric)
            judged = judgement(metric, d)
            if is_cost(metric) and judged in ("better", "worse", "changed"):
                costs.append(_("{label}: {value} ({low} to {high})").format(
                    label=metric_label(metric), value=difference_text(metric, d["difference"]),
                    low=quantity(metric, d["ci_low"]), high=quantity(metric, d["ci_high"])))
            elif judged == "negligible":
                negligible.append(metric_label(metric))
            elif judged == "unclear":
                unclear.append(metric_label(metric))
            else:
                css = f' class="{judged}"' if judged != "changed" else ""
                clear.append(f"<li><span{css}>{html.escape(verdict(name, metric, d, quantity))}</span></li>")
        parts.append(f'<details class="scenario" id="{details_id(i)}"><summary><span class="swatch" style="'
                     f'background:{seen.colour(scenario)}"></span>{html.escape(name)} − {html.escape(reference)}'
                     f"</summary>")
        items = "".join(clear) or f"<li>{html.escape(_('no difference that matters on any metric'))}</li>"
        parts.append(f'<ul class="verdicts">{items}</ul>')
        if costs:
            parts.append(f'<p class="note">{html.escape(_("What it costs: {costs}.").format(costs="; ".join(costs)))}'
                         "</p>")
        for names, text in ((negligible, _("Negligible (too small to matter) on: {metrics}.")),
                            (unclear, _("Unclear on: {metrics}."))):
            if names:
                parts.append(f'<p class="note">{html.escape(text.format(metrics=", ".join(names)))}</p>')
        parts.append("</details>")
    return "".join(parts)


def _worlds(comparison: Comparison, seen: Look) -> str:
    """Per scenario and headline metric: today's verdict, the share of worlds where it holds, the combined interval."""
    from crmsim.experiments.compare import HEADLINE_TABLE

    rows, classes = [], {}
    for i, scenario in enumerate(comparison.labels[1:]):
        row = {_("scenario"): seen.name(scenario)}
        for metric in (*HEADLINE_TABLE, COST):
            world = comparison.world_row(scenario, metric)
            column = f"{metric_label(metric)} ({unit_line(metric)})"
            if world is None:
                row[column] = "–"
                continue
            judged = judgement(metric, comparison.diff(scenario, metric))
            share = world[f"share_{judged}"]
            row[column] = _("{verdict} in {share} of worlds; {low} to {high}").format(
                verdict=_(judged), share=percent(share), low=quantity(metric, world["worlds_ci_low"]),
                high=quantity(metric, world["worlds_ci_high"]))
            if judged in ("better", "worse", "negligible") and share >= 0.8 and not is_cost(metric):
                classes[(i, column)] = judged
        rows.append(row)
    n = int(comparison.worlds["worlds"].max())
    note = _("Each cell: today's verdict (one world, the calibrated defaults), the share of {n} plausible worlds "
             "(crmsim worlds: parameter sets that all meet the calibration figures) in which the same verdict "
             "holds, and a 95% interval combining the worlds and the seeds. Coloured where it holds in at least "
             "80% of the worlds.").format(n=n)
    table = html_table(pd.DataFrame(rows), set(), classes)
    return f'<p class="note">{html.escape(note)}</p><div class="wide">{table}</div>' + _dependence(comparison, seen)


def _dependence(comparison: Comparison, seen: Look) -> str:
    """Per scenario and headline metric: the three parameters its difference depends on most across the worlds."""
    table = comparison.dependence
    if table is None or table.empty:
        return f'<p class="note">{html.escape(_("Too few worlds (fewer than 20) to rank what the verdicts depend on."))}</p>'
    rows = []
    for (scenario, metric), group in table.groupby(["scenario", "metric"], sort=False):
        top = group.sort_values("rank").head(3)
        noise = float(group["noise_share"].iloc[0])
        named = ", ".join(f"{p} ({value_text(round(s, 2))})" for p, s in zip(top["parameter"], top["score"]))
        rows.append({_("scenario"): seen.name(scenario), _("metric"): metric_label(metric),
                     _("depends mostly on"): named if noise < 0.5 else
                     _("no parameter: the worlds differ little more than seeds do")})
    note = _("Extra-trees feature scores (EMA Workbench) of each world's difference on the world's parameters: how "
             "much of the verdict's variation across worlds each explains (scores sum to 1). Where seed noise is at "
             "least half that variation, no ranking is shown.")
    return (f'<h3>{html.escape(_("What each verdict depends on"))}</h3><p class="note">{html.escape(note)}</p>'
            f'<div class="wide">{html_table(pd.DataFrame(rows))}</div>')


def _interval(metric: str, mean: float, low: float, high: float, text=level_text) -> str:
    """A value and its 95% interval in the metric's unit ('25.9% [24.1%, 27.7%]'); '–' if undefined."""
    if not np.isfinite(mean):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return text(metric, mean)
    return f"{text(metric, mean)} [{text(metric, low)}, {text(metric, high)}]"


def _table(comparison: Comparison, seen: Look) -> str:
    """Every metric: label, unit, direction, each scenario's mean [95% CI], each difference [95% CI]."""
    rows, classes = [], {}
    reference = seen.name(comparison.reference)
    for i, metric in enumerate(OVERALL):
        info = INFO[metric]
        row = {_("metric"): metric_label(metric), _("unit"): metric_unit(metric),
               _("direction"): "" if is_cost(metric) else metric_better(metric),
               _("smallest that matters"): quantity(metric, info.mid)}
        # With many scenarios, only the reference's mean: the others' are in compare.csv.
        for scenario in comparison.labels if len(comparison.labels) <= 3 else comparison.labels[:1]:
            m = comparison.mean(scenario, metric)
            row[seen.name(scenario)] = "–" if m is None else _interval(metric, m["mean"], m["ci_low"], m["ci_high"])
        for scenario in comparison.labels[1:]:
            d = comparison.diff(scenario, metric)
            column = f"{seen.name(scenario)} − {reference}"
            row[column] = "–" if d is None else _interval(metric, d["difference"], d["ci_low"], d["ci_high"],
                                                          difference_text)
            judged = judgement(metric, d)
            if judged in ("better", "worse", "negligible") and not is_cost(metric):
                classes[(i, column)] = judged
        rows.append(row)
    table = pd.DataFrame(rows)
    numeric = set(table.columns[4:])
    return f'<div class="wide">{html_table(table, numeric, classes)}</div>'


def _zero_line(panel: int, across: bool) -> dict:
    """A dotted line at 0 in subplot ``panel`` (0 first, row by row): up the panel at x = 0, or ``across`` it at
    y = 0. Given to the layout all at once: plotly's add_vline(row=, col=) reads every trace for each line, which
    took a 20-scenario page seconds."""
    axis = "" if panel == 0 else str(panel + 1)
    line = dict(type="line", line=dict(color=GREY, width=1, dash="dot"), layer="below")
    if across:
        return dict(line, xref=f"x{axis} domain", yref=f"y{axis}", x0=0, x1=1, y0=0, y1=0)
    return dict(line, xref=f"x{axis}", yref=f"y{axis} domain", x0=0, x1=0, y0=0, y1=1)


def _error_bar(d: pd.Series, factor: float = 1.0) -> dict:
    """A plotly error bar from a paired difference's 95% interval (none where the interval is undefined)."""
    low = (d["difference"] - d["ci_low"]) * factor if np.isfinite(d["ci_low"]) else 0.0
    high = (d["ci_high"] - d["difference"]) * factor if np.isfinite(d["ci_high"]) else 0.0
    return dict(type="data", symmetric=False, array=[high], arrayminus=[low])


def _hover(name: str, metric: str, d: pd.Series) -> str:
    return _("{scenario}: {value} ({low} to {high})").format(
        scenario=name, value=difference_text(metric, d["difference"]), low=quantity(metric, d["ci_low"]),
        high=quantity(metric, d["ci_high"]))


def _differences_figure(comparison: Comparison, seen: Look) -> go.Figure:
    """Small multiples, one per metric: each scenario's paired difference to the reference, with its interval."""
    metrics = list(OVERALL)
    others = comparison.labels[1:]
    rows = math.ceil(len(metrics) / COLUMNS)
    fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m) for m in metrics],
                        horizontal_spacing=0.2, vertical_spacing=min(0.3 / rows * 2, 0.12))
    traces, places = [], []
    for k, metric in enumerate(metrics):
        r, c = divmod(k, COLUMNS)
        for scenario in others:
            d = comparison.diff(scenario, metric)
            if d is None or not np.isfinite(d["difference"]):
                continue
            name = seen.name(scenario)
            traces.append(go.Scatter(
                x=[d["difference"] * scale(metric)], y=[name], mode="markers",
                marker=dict(color=seen.colour(scenario), size=9), error_x=_error_bar(d, scale(metric)), name=name,
                legendgroup=scenario, showlegend=k == 0, hovertext=[_hover(name, metric, d)],
                hovertemplate=f"%{{hovertext}}<extra>{html.escape(metric_label(metric))}</extra>"))
            places.append((r + 1, c + 1))
        fig.update_yaxes(showticklabels=c == 0, automargin=True, row=r + 1, col=c + 1)
    if traces:
        fig.add_traces(traces, rows=[r for r, _ in places], cols=[c for _, c in places])
    fig.update_layout(shapes=[_zero_line(k, across=False) for k in range(len(metrics))])
    fig.update_annotations(font_size=12)
    fig.update_layout(height=max(260, 70 + 22 * len(others)) * rows + 60, margin=dict(l=10, r=10, t=120, b=30),
                      legend=TOP_LEGEND, template="plotly_white")
    return fig


def _band_traces(bands: pd.DataFrame, scenario: str, seen: Look, legend: bool, factor: float) -> list[go.Scatter]:
    """The band (95% interval) and mean line of one scenario, in its colour; float32 is plenty for a chart and
    halves the page's data."""
    rows = bands[bands["scenario"] == scenario].sort_values("step")
    x = rows["step"].to_numpy(dtype=np.int16)
    colour, name = seen.colour(scenario), seen.name(scenario)
    return [go.Scatter(x=np.concatenate([x, x[::-1]]),
                       y=(np.concatenate([rows["ci_high"], rows["ci_low"][::-1]]) * factor).astype(np.float32),
                       fill="toself", fillcolor=rgba(colour, 0.18), line=dict(width=0), hoverinfo="skip",
                       showlegend=False, legendgroup=scenario),
            go.Scatter(x=x, y=(rows["mean"].to_numpy() * factor).astype(np.float32), mode="lines",
                       line=dict(color=colour, width=2), name=name, legendgroup=scenario, showlegend=legend)]


def _add(fig: go.Figure, panels: list[tuple[int, int, list[go.Scatter]]]) -> None:
    """Traces into their (row, col) panels in one call (a call per trace re-reads the figure each time)."""
    traces = [(r, c, t) for r, c, group in panels for t in group]
    if traces:
        fig.add_traces([t for _, _, t in traces], rows=[r for r, _, _ in traces], cols=[c for _, c, _ in traces])


def _series_figures(comparison: Comparison, seen: Look) -> list[tuple[str, go.Figure]]:
    """Bands over time: all scenarios overlaid when there are at most three, else one small panel per scenario
    against the reference, one figure per metric."""
    bands = comparison.bands
    if len(comparison.labels) <= 3:
        rows = math.ceil(len(SERIES) / COLUMNS)
        fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m, level=True) for m in SERIES],
                            horizontal_spacing=0.11, vertical_spacing=0.16)
        _add(fig, [(k // COLUMNS + 1, k % COLUMNS + 1,
                    _band_traces(bands[bands["metric"] == metric], scenario, seen, k == 0, scale(metric)))
                   for k, metric in enumerate(SERIES) for scenario in comparison.labels])
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
        fig = make_subplots(rows=rows, cols=4, subplot_titles=[html.escape(seen.name(s)) for s in others],
                            shared_yaxes=True, horizontal_spacing=0.04,
                            vertical_spacing=0.18 / max(rows - 1, 1) if rows > 1 else 0.1)
        subset = bands[bands["metric"] == metric]
        _add(fig, [(k // 4 + 1, k % 4 + 1, _band_traces(subset, comparison.reference, seen, k == 0, scale(metric))
                    + _band_traces(subset, scenario, seen, False, scale(metric))) for k, scenario in enumerate(others)])
        fig.update_annotations(font_size=11)
        fig.update_xaxes(ticklabelstandoff=8)  # week 0's label clear of the lowest rate's, as above
        fig.update_layout(height=200 * rows + 140, template="plotly_white", margin=dict(t=90, b=70),
                          title=dict(text=_title(metric, level=True), font_size=14),
                          legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))
        figures.append((metric, fig))
    return figures


def _quartile_figure(comparison: Comparison, seen: Look) -> go.Figure:
    """Who gains and who loses: each scenario's paired difference by quartile of digital skill."""
    names = {"trust": _("Trust"), "knowledge": _("Knowledge"), "take_up": _("Take-up")}
    titles = [f"{names[k]}<br><span style='font-size:11px'>{html.escape(unit_line(metrics[0]))}</span>"
              for k, metrics in QUARTILES.items()]
    fig = make_subplots(rows=1, cols=len(QUARTILES), subplot_titles=titles, horizontal_spacing=0.08)
    quartiles = [_("1 least skilled").replace(" ", "<br>", 1), "2", "3", _("4 most skilled").replace(" ", "<br>", 1)]
    others = comparison.labels[1:]
    for c, (group, metrics) in enumerate(QUARTILES.items(), start=1):
        factor = scale(metrics[0])
        for i, scenario in enumerate(others):
            diffs = [comparison.diff(scenario, m) for m in metrics]
            y = [np.nan if d is None else d["difference"] * factor for d in diffs]
            plus = [0.0 if d is None or not np.isfinite(d["ci_high"]) else (d["ci_high"] - d["difference"]) * factor
                    for d in diffs]
            minus = [0.0 if d is None or not np.isfinite(d["ci_low"]) else (d["difference"] - d["ci_low"]) * factor
                     for d in diffs]
            offset = (i - (len(others) - 1) / 2) * min(0.6 / max(len(others), 1), 0.15)
            name = seen.name(scenario)
            fig.add_trace(go.Scatter(x=np.arange(4) + offset, y=y, mode="markers+lines",
                                     line=dict(color=seen.colour(scenario), width=1),
                                     marker=dict(color=seen.colour(scenario), size=8),
                                     error_y=dict(type="data", symmetric=False, array=plus, arrayminus=minus),
                                     name=name, legendgroup=scenario, showlegend=c == 1,
                                     hovertext=[_hover(name, m, d) if d is not None else name
                                                for m, d in zip(metrics, diffs)],
                                     hovertemplate="%{hovertext}<extra></extra>"), row=1, col=c)
        fig.update_xaxes(tickvals=list(range(4)), ticktext=quartiles, range=[-0.6, 3.6], row=1, col=c)
    fig.update_layout(shapes=[_zero_line(k, across=True) for k in range(len(QUARTILES))])
    fig.update_yaxes(title_text=_("difference to {reference}").format(reference=seen.name(comparison.reference)),
                     row=1, col=1)
    fig.update_layout(height=420 + 22 * math.ceil(len(others) / 4), template="plotly_white",
                      margin=dict(t=60, b=60), legend=dict(orientation="h", y=-0.22, x=0))
    return fig


def _ratio_text(row: pd.Series) -> str:
    """A cost per outcome in the table: euros per unit with its interval, or why there is none."""
    status = row["status"]
    if status not in ("cost per unit gained", "saving per unit lost"):
        return _(status)
    text = _("{value} ({low} to {high})").format(value=euro_text(row["ratio"]), low=euro_text(row["ratio_ci_low"]),
                                                 high=euro_text(row["ratio_ci_high"]))
    return text if status == "cost per unit gained" else _("saves {value}").format(value=text)


def _costs(comparison: Comparison, seen: Look) -> str:
    """Each scenario's extra public cost, and what each priced gain costs, as a table: a price, not a verdict, so
    no cell is coloured."""
    rows = []
    for scenario, group in comparison.cost_effect.groupby("scenario", sort=False):
        by_effect, first = group.set_index("effect"), group.iloc[0]
        row = {_("scenario"): seen.name(scenario),
               _("extra public cost, euros per citizen per year"): _interval(
                   COST, first["cost_difference"], first["cost_ci_low"], first["cost_ci_high"], difference_text)}
        for name in PRICED:
            row[unit_header(name)] = _ratio_text(by_effect.loc[name]) if name in by_effect.index else "–"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return f'<div class="wide">{html_table(frame, set(frame.columns[1:]))}</div>'


def _padded(values: list[float]) -> list[float]:
    """An axis range around ``values`` with a fifth of their span spare on each side (never empty)."""
    low, high = min(values), max(values)
    spare = (high - low) / 5 or 1.0
    return [low - spare, high + spare]


def _plane_figure(comparison: Comparison, seen: Look) -> go.Figure:
    """The cost-effectiveness plane, one panel per headline effect: extra effect across, extra cost up."""
    metrics = [m for m in PLANE if m in INFO]
    rows = math.ceil(len(metrics) / COLUMNS)
    fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=[_title(m) for m in metrics],
                        horizontal_spacing=0.12, vertical_spacing=0.3 / rows)
    for k, metric in enumerate(metrics):
        r, c = divmod(k, COLUMNS)
        factor = scale(metric)
        xs, ys = [0.0], [0.0]  # each panel's range holds 0 inside it, so the zero lines never sit on an edge
        for scenario in comparison.labels[1:]:
            d, cost = comparison.diff(scenario, metric), comparison.diff(scenario, COST)
            if d is None or cost is None or not (np.isfinite(d["difference"]) and np.isfinite(cost["difference"])):
                continue
            xs += [v * factor for v in (d["difference"], d["ci_low"], d["ci_high"]) if np.isfinite(v)]
            ys += [v for v in (cost["difference"], cost["ci_low"], cost["ci_high"]) if np.isfinite(v)]
            name = seen.name(scenario)
            fig.add_trace(go.Scatter(
                x=[d["difference"] * factor], y=[cost["difference"]], mode="markers",
                marker=dict(color=seen.colour(scenario), size=9), error_x=_error_bar(d, factor),
                error_y=_error_bar(cost), name=name, legendgroup=scenario, showlegend=k == 0,
                hovertext=[f"{_hover(name, metric, d)}; {difference_text(COST, cost['difference'])}"],
                hovertemplate=f"%{{hovertext}}<extra>{html.escape(metric_label(metric))}</extra>"),
                row=r + 1, col=c + 1)
        fig.update_xaxes(range=_padded(xs), row=r + 1, col=c + 1)
        fig.update_yaxes(range=_padded(ys), row=r + 1, col=c + 1)
        if c == 0:
            fig.update_yaxes(title_text=_("extra cost, € per citizen per year"), row=r + 1, col=c + 1)
    fig.update_layout(shapes=[_zero_line(k, across) for k in range(len(metrics)) for across in (False, True)])
    fig.update_xaxes(ticklabelstandoff=8)  # the lowest effect's label clear of the lowest cost's, at the corner
    fig.update_annotations(font_size=12)
    fig.update_layout(height=330 * rows + 80, margin=dict(l=10, r=10, t=120, b=30), legend=TOP_LEGEND,
                      template="plotly_white")
    return fig


def _levers(comparison: Comparison, seen: Look) -> str:
    if comparison.levers.empty:
        return f"<p>{html.escape(_('The files set every lever alike.'))}</p>"
    table = comparison.levers.drop(columns="parameter").rename(columns={"label": _("lever")})
    values = table.columns[1:]
    table[values] = table[values].map(lambda v: "–" if v is None else value_text(v))
    return f'<div class="wide">{html_table(table.rename(columns=seen.names))}</div>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>' if text else ""


def _folded(comparison: Comparison, seen: Look) -> list[str]:
    """The parts below the verdicts, each folded, its charts drawn when it opens."""
    reference = seen.name(comparison.reference)
    parts = []
    if not comparison.cost_effect.empty:
        plane = _("The cost-effectiveness plane: each dot is a scenario's extra effect (across) and extra public cost "
                  "(up) against {reference}, with 95% intervals. Below the dotted line it saves money; whether left "
                  "or right is better depends on the metric (its title says).").format(reference=reference)
        parts.append(fold(_("What it costs"), _costs(comparison, seen) + _note(_(LEGEND))
                          + chart(_plane_figure(comparison, seen), "plane") + _note(plane)))
    parts.append(fold(_("Every metric"), _table(comparison, seen)))
    parts.append(fold(_("Differences to {reference}").format(reference=reference),
                      chart(_differences_figure(comparison, seen), "differences") + _note(
                          _("Each dot is a scenario's mean paired difference to {reference}; the bar is its 95% "
                            "interval. A bar that crosses the dotted zero line is no clear difference.").format(
                              reference=reference))))
    series = _series_figures(comparison, seen)
    caption = _note(_("Mean and 95% band over the runs, week by week. Look for when the lines part, and whether they "
                      "settle or keep drifting."))
    if len(series) == 1:
        over_time = chart(series[0][1], "over-time")
    else:  # one fold per metric: a reader draws only the ones they open
        over_time = "".join(fold(metric_label(metric), chart(figure, f"over-time-{metric}"), level=3)
                            for metric, figure in series)
    parts.append(fold(_("Over time"), over_time + caption))
    parts.append(fold(_("Who gains and who loses"), chart(_quartile_figure(comparison, seen), "quartiles") + _note(
        _("Citizens split into quarters by digital skill. A policy that helps the least skilled most lifts the left "
          "of each panel more than the right: the paper's question of who is left behind."))))
    parts.append(fold(_("What differs between the files"), _levers(comparison, seen)))
    if comparison.worlds is not None:
        parts.append(fold(_("Across plausible worlds"), _worlds(comparison, seen)))
    return parts


def render_comparison(comparison: Comparison, files: list[str]) -> str:
    """The whole compare.html as text, in the current language; its charts need plotly.min.js beside it
    (:func:`crmsim.viz.folds.write_plotly`)."""
    seen = look(comparison.labels)
    n_others = len(comparison.labels) - 1
    intro = _("{n} scenarios with the same seeds (paired: replicate r of every scenario shares its population, "
              "network and warm-up), {runs}. Each verdict reads the yearly rates of year {year} after the policy "
              "switched on ({steps} weeks recorded after the warm-up); the effect after one year is given beside it. "
              "Files: {files}. A difference is better or worse when its 95% interval lies beyond half the smallest "
              "difference that matters for its metric (column 'smallest that matters' below: 0.01 of mean trust, "
              "one point of a share, three points of a redress rate, EUR 1 a citizen); it is negligible when its "
              "whole interval lies within that.").format(
                  n=len(comparison.labels), runs=comparison.runs_text(), year=value_text(round(comparison.reading_year, 2)),
                  steps=comparison.steps, files=", ".join(files))
    sections = [Section(_("Verdicts, scenario by scenario"), _verdicts(comparison, seen), is_html=True),
                Section("", "".join(_folded(comparison, seen)) + script(), is_html=True)]
    names = [seen.name(label) for label in comparison.labels]
    title = _("Comparison: {scenarios}").format(scenarios=" / ".join(names)) if n_others <= 3 else \
        _("Comparison: {reference} and {n} other scenarios").format(reference=names[0], n=n_others)
    if comparison.country:
        title = _("{title}, in {country}").format(title=title, country=country_name(comparison.country))
    return render_page(title, intro, sections, lang=current(), lead=overview_html(comparison, seen))
