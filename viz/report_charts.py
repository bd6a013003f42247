"""The sweep report's charts: small multiples that stay readable at any number of metrics.

Every chart is a grid of panels, one per metric (or per design point), sized
in pixels rather than left to plotly's defaults, so that at the page's width
(about :data:`WIDTH` pixels, at 1280 as at 1920 px windows) no tick label,
axis title, colour bar or panel title runs into its neighbour:

- a panel's title is the metric's label, wrapped to the panel's width, over
  its unit and direction (``crmsim.texts.labels``, from ``crmsim.model.metrics.INFO``);
- rows of panels are spaced by the height of those titles plus the tick labels;
- panels side by side share their y axis's labels (shown in the first column
  only), and a heatmap's colour bar gets its own gap before the next panel;
- categories (design points, levers) go on the y axis, written horizontally.

``tests/test_report_readable.py`` measures it: it opens a report in Chromium
and checks that no two text boxes of a plot intersect.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.experiments.design import Factor
from crmsim.texts.i18n import _
from crmsim.texts.labels import factor_label, lever_label, metric_better, metric_label, metric_unit, value_text
from crmsim.model.metrics import INFO

__all__ = ["WIDTH", "means_figure", "differences_figure", "bands_by_point", "bands_overall", "main_effects_figure",
           "heatmaps_figure", "sobol_figure", "morris_figure", "wrap"]

WIDTH = 1150  # px a figure gets: the page's max-width (1200) less its padding
LINE = 15  # px per line of a 12 px panel title
TICKS = 24  # px under a panel for its x tick labels
# Verdict colours (compare.judgement): green better, red worse, blue a change in a metric with no better
# side, dark grey negligible (too small to matter), light grey unclear.
COLOURS = {"better": "#1a9850", "worse": "#d73027", "changed": "#2166ac", "negligible": "#666666",
           "unclear": "#bbbbbb", "clear": "#2166ac"}
PALETTE = plotly.colors.qualitative.D3


def wrap(text: str, chars: int) -> str:
    """``text`` broken into lines of at most ``chars`` characters (words kept whole), joined by plotly's ``<br>``."""
    return "<br>".join(textwrap.wrap(text, max(chars, 8), break_long_words=False)) or text


def _panel_title(metric: str, chars: int, flag: str = "") -> str:
    label = wrap(flag + metric_label(metric), chars)
    detail = wrap(" · ".join(t for t in (metric_unit(metric), metric_better(metric)) if t), chars + 4)
    return f"<b>{label}</b><br><span style='font-size:11px;color:#555'>{detail}</span>"


def _grid(titles: Sequence[str], cols: int, panel_px: int, *, gap_px: int = 40, x_title_px: int = 0,
          bottom_px: int = 0) -> tuple[go.Figure, list[tuple[int, int]]]:
    """Panels in ``cols`` columns, each ``panel_px`` high, spaced to fit their titles; and each panel's (row, col)."""
    rows = math.ceil(len(titles) / cols)
    title_px = LINE * max(t.count("<br>") + 1 for t in titles) + 6
    row_gap = title_px + TICKS + x_title_px + 12
    plot_px = rows * panel_px + (rows - 1) * row_gap
    specs = [[{} if r * cols + c < len(titles) else None for c in range(cols)] for r in range(rows)]
    fig = make_subplots(rows=rows, cols=cols, specs=specs, subplot_titles=list(titles),
                        horizontal_spacing=min(gap_px / WIDTH, 0.5 / cols),
                        vertical_spacing=row_gap / plot_px if rows > 1 else 0.0)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=plot_px + title_px + TICKS + x_title_px + bottom_px + 30, showlegend=False,
                      margin=dict(t=title_px + 10, b=TICKS + x_title_px + bottom_px + 10, l=10, r=10),
                      plot_bgcolor="#f4f6fa")
    fig.update_xaxes(automargin=True, nticks=5)
    fig.update_yaxes(automargin=True)
    return fig, [(i // cols + 1, i % cols + 1) for i in range(len(titles))]


def _bounded(metric: str) -> bool:
    """A share or a 0-1 score: its axis stays within 0..1 even where a small sample's t interval does not."""
    unit = INFO[metric].unit if metric in INFO else ""
    return unit.startswith("share") or unit.endswith("0-1")


def _axis_range(metric: str, values: pd.Series, low: pd.Series, high: pd.Series) -> list[float] | None:
    """For a share whose intervals leave 0..1, a range from the values to the intervals cut at 0 and 1."""
    low, high = low.fillna(values), high.fillna(values)  # no interval (one run): the value itself
    if not _bounded(metric) or (low.min() >= 0 and high.max() <= 1):
        return None
    lo = min(float(values.min()), max(float(low.min()), 0.0))
    hi = max(float(values.max()), min(float(high.max()), 1.0))
    pad = (hi - lo) * 0.05 or 0.01
    return [lo - pad, hi + pad]


def _chars(cols: int, left_px: int = 0) -> int:
    """Characters of a 12 px title that fit over one of ``cols`` panels."""
    return int((WIDTH - left_px) / cols / 7.2)


def _categories(fig: go.Figure, cells: list[tuple[int, int]], labels: list[str]) -> None:
    """The same categories, top to bottom, on every panel's y axis; their labels in the first column only."""
    for row, col in cells:
        fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed",
                         showticklabels=col == 1, row=row, col=col)


def _label_px(labels: list[str]) -> int:
    return 7 * max((len(s) for s in labels), default=0) + 20


def _forest(table: pd.DataFrame, value: str, labels: dict[int, str], metrics: list[str],
            colour: Any, bounded: bool) -> tuple[go.Figure, list[tuple[int, int]]]:
    """One panel per metric: each design point's ``value`` and its 95% interval, points on the y axis."""
    order = [labels[p] for p in sorted(table["point"].unique())]
    cols = 3
    left = _label_px(order)
    fig, cells = _grid([_panel_title(m, _chars(cols, left)) for m in metrics], cols, 22 * len(order) + 20)
    for metric, (row, col) in zip(metrics, cells):
        rows = table[table["metric"] == metric].sort_values("point")
        fig.add_trace(go.Scatter(
            x=rows[value], y=[labels[p] for p in rows["point"]], mode="markers",
            marker=dict(size=8, color=colour(metric, rows)),
            error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows[value],
                         arrayminus=rows[value] - rows["ci_low"], color="#555", thickness=1.2),
            hovertemplate="%{y}<br>%{x:.4f}<extra></extra>"), row=row, col=col)
        if bounded:
            fig.update_xaxes(range=_axis_range(metric, rows[value], rows["ci_low"], rows["ci_high"]), row=row, col=col)
    _categories(fig, cells, order)
    return fig, cells


def means_figure(means: pd.DataFrame, labels: dict[int, str], metrics: list[str]) -> go.Figure:
    """Each design point's mean and 95% confidence interval, one panel per metric."""
    return _forest(means, "mean", labels, metrics, lambda metric, rows: COLOURS["clear"], bounded=True)[0]


def differences_figure(diffs: pd.DataFrame, labels: dict[int, str], metrics: list[str]) -> go.Figure:
    """Each point minus the baseline, paired by replicate, coloured by its verdict (``compare.judgement``)."""
    from crmsim.experiments.compare import judgement

    def colour(metric: str, rows: pd.DataFrame) -> list[str]:
        return [COLOURS[judgement(metric, row)] for _, row in rows.iterrows()]

    fig, cells = _forest(diffs, "difference", labels, metrics, colour, bounded=False)
    for row, col in cells:
        fig.add_vline(x=0, line=dict(color="#666", dash="dot", width=1), row=row, col=col)
    return fig


def _band(fig: go.Figure, rows: pd.DataFrame, colour: str, name: str, row: int, col: int) -> None:
    steps = rows["step"].to_numpy()
    fig.add_trace(go.Scatter(x=np.concatenate([steps, steps[::-1]]),
                             y=np.concatenate([rows["ci_high"], rows["ci_low"][::-1]]), mode="lines", fill="toself",
                             fillcolor=colour, opacity=0.2, line=dict(width=0), hoverinfo="skip"), row=row, col=col)
    fig.add_trace(go.Scatter(x=steps, y=rows["mean"], mode="lines", line=dict(color=colour, width=2), name=name,
                             hovertemplate=f"{name}<br>%{{x}}: %{{y:.4f}}<extra></extra>"), row=row, col=col)


def bands_by_point(bands: pd.DataFrame, metric: str, labels: dict[int, str], reference: int) -> go.Figure:
    """One metric over time: a panel per design point, its band over the reference point's mean (grey, dashed)."""
    points = sorted(bands["point"].unique())
    cols = 4
    fig, cells = _grid([wrap(labels[p], _chars(cols)) for p in points], cols, 130, gap_px=30)
    base = bands[bands["point"] == reference].sort_values("step")
    for point, (row, col) in zip(points, cells):
        rows = bands[bands["point"] == point].sort_values("step")
        if point != reference:
            fig.add_trace(go.Scatter(x=base["step"], y=base["mean"], mode="lines", hoverinfo="skip",
                                     line=dict(color="#777", dash="dash", width=1.5)), row=row, col=col)
        _band(fig, rows, COLOURS["clear"], labels[point], row, col)
    span = _axis_range(metric, bands["mean"], bands["ci_low"], bands["ci_high"])
    if span is None:
        low, high = float(bands["ci_low"].fillna(bands["mean"]).min()), float(bands["ci_high"].fillna(bands["mean"]).max())
        pad = (high - low) * 0.05 or 0.01
        span = [low - pad, high + pad]
    for row, col in cells:  # one scale for every point, its numbers in the first column
        fig.update_yaxes(range=span, showticklabels=col == 1, nticks=5, row=row, col=col)
    # Rates run on from the warm-up, so an axis rarely starts at 0: its lowest label sits at the corner, where
    # week 0's label would touch it; a little space below the axis keeps them apart (as on compare.html).
    fig.update_xaxes(ticklabelstandoff=8)
    return fig


def bands_overall(bands: pd.DataFrame, metrics: list[str]) -> go.Figure:
    """Each metric over time: one band (over replicates, or over all runs), a panel per metric."""
    cols = 3
    fig, cells = _grid([_panel_title(m, _chars(cols)) for m in metrics], cols, 170)
    for metric, (row, col) in zip(metrics, cells):
        rows = bands[bands["metric"] == metric].sort_values("step")
        _band(fig, rows, COLOURS["clear"], metric_label(metric), row, col)
        fig.update_yaxes(nticks=4, row=row, col=col)
    fig.update_xaxes(ticklabelstandoff=8)  # week 0's label clear of the lowest value's, as above
    return fig


def _binned(values: pd.Series, bins: int = 8) -> pd.Series:
    """Values taking many levels replaced by the centre of their quantile bin (of ``bins`` bins of equal counts)."""
    if values.nunique() <= 10:
        return values
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.Series(centres[np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(centres) - 1)],
                     index=values.index)


def _positions(values: pd.Series, factor: Factor) -> pd.Series:
    """Where each run's value lies in the factor's range (0 = low, 1 = high), binned when it takes many values."""
    if factor.discrete:
        index = {v: i for i, v in enumerate(factor.values or ())}
        return values.map(index) / max(1, len(index) - 1)
    return _binned((values.astype(float) - factor.low) / ((factor.high - factor.low) or 1.0))


def main_effects_figure(final: pd.DataFrame, factors: list[Factor], metrics: list[str], shown: int = 3) -> go.Figure:
    """Per metric, the runs' mean against the position in each lever's range, for the ``shown`` levers that move it most."""
    cols = 3
    fig, cells = _grid([_panel_title(m, _chars(cols)) for m in metrics], cols, 180, bottom_px=40)
    colour = {f.name: PALETTE[i % len(PALETTE)] for i, f in enumerate(factors)}
    legend: set[str] = set()
    for metric, (row, col) in zip(metrics, cells):
        rows = final[final["metric"] == metric]
        curves = {f.name: rows.groupby(_positions(rows[f.name], f))["value"].mean() for f in factors}
        moves = {name: float(np.ptp(c.to_numpy())) if c.notna().sum() > 1 else 0.0 for name, c in curves.items()}
        for name in sorted(moves, key=moves.get, reverse=True)[:shown]:
            curve = curves[name].dropna()
            fig.add_trace(go.Scatter(x=curve.index, y=curve.to_numpy(), mode="lines+markers", name=factor_label(name),
                                     legendgroup=name, showlegend=name not in legend,
                                     line=dict(color=colour[name])), row=row, col=col)
            legend.add(name)
        fig.update_xaxes(range=[-0.05, 1.05], tickvals=[0, 0.5, 1], row=row, col=col)
        fig.update_yaxes(nticks=4, row=row, col=col)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", x=0, y=0, yanchor="bottom",
                                                   yref="container", xref="container"))
    return fig


def heatmaps_figure(final: pd.DataFrame, pair: tuple[str, str], metrics: list[str]) -> go.Figure:
    """Per metric, the mean final value over two varied parameters (binned when they take many values)."""
    a, b = pair
    rows = final[final["metric"].isin(metrics)].copy()
    rows[a], rows[b] = _binned(rows[a].astype(float)), _binned(rows[b].astype(float))
    cols = 3
    colourbar_px = 70  # the colour bar and its tick labels, between a panel and the next
    fig, cells = _grid([_panel_title(m, _chars(cols)) for m in metrics], cols, 220, gap_px=colourbar_px + 20,
                       x_title_px=20)
    for metric, (row, col) in zip(metrics, cells):
        grid = rows[rows["metric"] == metric].pivot_table(index=b, columns=a, values="value", aggfunc="mean")
        fig.add_trace(go.Heatmap(z=grid.to_numpy(), x=[value_text(v) for v in grid.columns],
                                 y=[value_text(v) for v in grid.index], colorscale="Viridis",
                                 hovertemplate=f"{factor_label(a)} %{{x}}<br>{factor_label(b)} %{{y}}<br>"
                                               f"%{{z:.4f}}<extra></extra>"), row=row, col=col)
        fig.update_xaxes(title_text=factor_label(a), title_standoff=4, row=row, col=col)
        fig.update_yaxes(title_text=factor_label(b) if col == 1 else None, showticklabels=col == 1, row=row, col=col)
    for trace, (row, col) in zip(fig.data, cells):  # each colour bar just right of its own panel
        xaxis = fig.get_subplot(row, col).xaxis
        yaxis = fig.get_subplot(row, col).yaxis
        trace.colorbar = dict(x=xaxis.domain[1] + 0.005, xanchor="left", y=sum(yaxis.domain) / 2, yanchor="middle",
                              len=yaxis.domain[1] - yaxis.domain[0], thickness=10, nticks=4,
                              tickfont=dict(size=10))
    return fig


def _levers_order(table: pd.DataFrame, index: str) -> list[str]:
    """Levers by their mean index over the metrics, each metric's largest as 1 (mu* has the metric's unit)."""
    scaled = table[index] / table.groupby("metric")[index].transform("max")
    return list(scaled.groupby(table["factor"]).mean().sort_values(ascending=False).index)


def _index_panels(table: pd.DataFrame, metrics: list[str], flagged: set[str],
                  bars: list[tuple[str, str, str, str]], markers: list[tuple[str, str, str]],
                  limits: tuple[float, float] | None = None) -> go.Figure:
    """Horizontal bars per metric, levers on the y axis: ``bars`` (column, name, colour, interval column).

    ``limits``: the widest x axis shown (Sobol: -0.5 to 1.5); intervals beyond are cut at its edge.
    """
    cols = 3
    levers = _levers_order(table, bars[-1][0])
    labels = [lever_label(f) for f in levers]
    left = _label_px(labels)
    titles = [_panel_title(m, _chars(cols, left), "⚠ " if m in flagged else "") for m in metrics]
    fig, cells = _grid(titles, cols, (14 * len(bars) + 12) * len(levers) + 30, bottom_px=30)  # a row per lever
    for i, (metric, (row, col)) in enumerate(zip(metrics, cells)):
        rows = table[table["metric"] == metric].set_index("factor").reindex(levers)
        for column, name, colour, conf in bars:
            error = dict(type="data", array=rows[conf], color="#333", thickness=1.2)
            fig.add_trace(go.Bar(x=rows[column], y=labels, orientation="h", name=name, marker_color=colour,
                                 error_x=error, legendgroup=name, showlegend=i == 0,
                                 hovertemplate="%{y}: %{x:.3f}<extra>" + name + "</extra>"), row=row, col=col)
        for column, name, colour in markers:
            fig.add_trace(go.Scatter(x=rows[column], y=labels, mode="markers", name=name, legendgroup=name,
                                     marker=dict(symbol="diamond", size=9, color=colour), showlegend=i == 0,
                                     hovertemplate="%{y}: %{x:.3f}<extra>" + name + "</extra>"), row=row, col=col)
        fig.add_vline(x=0, line=dict(color="#666", width=1), row=row, col=col)
        if limits is not None:  # an interval of +-177 at N = 4 would hide every bar: cut the axis
            ends = pd.concat([rows[c] - rows[k] for c, _n, _c, k in bars] + [rows[c] + rows[k] for c, _n, _c, k in bars])
            fig.update_xaxes(range=[max(limits[0], min(-0.05, ends.min())), min(limits[1], max(1.05, ends.max()))],
                             row=row, col=col)
    _categories(fig, cells, labels)
    fig.update_layout(barmode="group", showlegend=True,
                      legend=dict(orientation="h", x=0, y=0, yanchor="bottom", xref="container", yref="container"))
    return fig


def sobol_figure(table: pd.DataFrame, metrics: list[str], flagged: set[str]) -> go.Figure:
    """Sobol S1 and ST with their 95% intervals, one panel per metric (⚠: the sample is too small)."""
    return _index_panels(table, metrics, flagged,
                         [("S1", _("S1: the lever alone"), "#4c78a8", "S1_conf"),
                          ("ST", _("ST: with its interactions"), "#f58518", "ST_conf")], [], limits=(-0.5, 1.5))


def morris_figure(table: pd.DataFrame, metrics: list[str], flagged: set[str]) -> go.Figure:
    """Morris mu* with its 95% interval (bars) and sigma (diamonds), one panel per metric."""
    return _index_panels(table, metrics, flagged,
                         [("mu_star", _("mu*: mean absolute effect"), "#4c78a8", "mu_star_conf")],
                         [("sigma", _("sigma: spread of the effect (interactions, non-linearity)"), "#e45756")])
