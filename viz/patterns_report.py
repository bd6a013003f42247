"""The held-out patterns' report: one HTML page per language, offline (plotly embedded once).

It shows, for each pattern, what the published figure allows beside the
calibrated model's mean and 95% interval (and the plausible worlds' range when
they were run); for a quantity compared in several countries, one picture
with the published figure on one axis and the model on the other; then the
table with each figure's source and what is and is not comparable, then the
figures listed but not compared, with why.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.calibration.patterns import PatternsSpec
from crmsim.model.countries import load_country
from crmsim.texts.i18n import _, language, number
from crmsim.viz.html_page import Section, html_table, render_page

__all__ = ["patterns_report"]

_COLOURS = {"reproduced": "#2ca02c", "missed": "#d62728", "unclear": "#ff7f0e", "no counterpart": "#7f7f7f"}


def _figure(table: pd.DataFrame) -> go.Figure:
    titles = ["<br>".join(textwrap.wrap(name.replace("_", " "), 22)) for name in table["pattern"]]
    columns = 5
    rows = math.ceil(len(table) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.06,
                        vertical_spacing=0.3 / max(rows, 1))
    for i, row in enumerate(table.itertuples()):
        r, c = i // columns + 1, i % columns + 1
        low = row.value - row.tolerance if row.bound != "at_most" else None
        high = row.value + row.tolerance if row.bound != "at_least" else None
        y = [v for v in (low, high) if v is not None]
        fig.add_trace(go.Scatter(x=[_("published"), _("published")] if len(y) == 2 else [_("published")], y=y,
                                 mode="lines+markers", line=dict(color="#444", width=6), marker=dict(size=8),
                                 name=_("what the figure allows"), showlegend=i == 0), row=r, col=c)
        if not math.isnan(row.model_mean):
            upper = 0.0 if math.isnan(row.model_high) else row.model_high - row.model_mean
            lower = 0.0 if math.isnan(row.model_low) else row.model_mean - row.model_low
            fig.add_trace(go.Scatter(x=[_("model")], y=[row.model_mean], mode="markers",
                                     marker=dict(size=11, color=_COLOURS[row.verdict]),
                                     error_y=dict(type="data", symmetric=False, array=[upper], arrayminus=[lower]),
                                     name=_("calibrated model: mean, 95% interval"), showlegend=i == 0),
                          row=r, col=c)
        if row.worlds:
            fig.add_trace(go.Scatter(x=[_("worlds"), _("worlds")], y=[row.worlds_low, row.worlds_high],
                                     mode="lines+markers", line=dict(color="#9467bd", width=3),
                                     name=_("plausible worlds: 5% to 95%"), showlegend=i == 0), row=r, col=c)
    fig.update_layout(height=330 * rows + 80, legend=dict(orientation="h", y=-0.08), margin=dict(t=90))
    return fig


def _across_countries(table: pd.DataFrame) -> list[tuple[str, go.Figure]]:
    """Per quantity compared in at least two countries: published (x) against model (y), each country a point
    with its 95% interval, the diagonal where they agree and the band the tolerance allows around it."""
    figures = []
    by_country = table[table["country"].fillna("") != ""]
    for quantity, rows in by_country.groupby("quantity", sort=False):
        if len(rows) < 2:
            continue
        fig = go.Figure()
        ends = [min(rows["value"].min(), rows["model_low"].min()) - 0.05,
                max(rows["value"].max(), rows["model_high"].max()) + 0.05]
        tolerance = float(rows["tolerance"].max())
        fig.add_trace(go.Scatter(x=ends + ends[::-1], y=[ends[0] - tolerance, ends[1] - tolerance,
                                                         ends[1] + tolerance, ends[0] + tolerance],
                                 fill="toself", fillcolor="rgba(120,120,120,0.15)", line=dict(width=0),
                                 name=_("within the tolerance"), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=ends, y=ends, mode="lines", line=dict(color="#666", dash="dot"),
                                 name=_("model = published")))
        for verdict_name, group in rows.groupby("verdict", sort=False):
            names = [_(load_country(code).name) for code in group["country"]]
            fig.add_trace(go.Scatter(
                x=group["value"], y=group["model_mean"], mode="markers+text", text=list(group["country"].str.upper()),
                textposition="middle right", marker=dict(size=11, color=_COLOURS[verdict_name]),
                error_y=dict(type="data", symmetric=False, array=group["model_high"] - group["model_mean"],
                             arrayminus=group["model_mean"] - group["model_low"]),
                customdata=names, hovertemplate="%{customdata}: " + _("published") + " %{x:.3f}, " + _("model")
                + " %{y:.3f}<extra></extra>", name=_(verdict_name)))
        fig.update_layout(height=520, width=640, xaxis=dict(title=_("published"), range=ends),
                          yaxis=dict(title=_("model (mean, 95% interval)"), range=ends, scaleanchor="x"),
                          legend=dict(orientation="h", y=-0.18), margin=dict(t=30))
        reproduced = int((rows["verdict"] == "reproduced").sum())
        figures.append((_("{reproduced} of {n} countries reproduced within their tolerance ({quantity}).").format(
            reproduced=reproduced, n=len(rows), quantity=quantity), fig))
    return figures


def _table(table: pd.DataFrame) -> str:
    shown = pd.DataFrame({
        _("pattern"): table["pattern"],
        _("figure"): table["figure"],
        _("model (mean)"): [number(v) if not math.isnan(v) else "n/a" for v in table["model_mean"]],
        _("95% interval"): [f"{number(lo)} - {number(hi)}" if not math.isnan(lo) else "n/a"
                            for lo, hi in zip(table["model_low"], table["model_high"])],
        _("verdict"): [_(v) for v in table["verdict"]],
        _("country"): table["country"].fillna("").str.upper(),
        _("changed"): table["set"],
        _("what a miss points to"): table["miss"].fillna(""),
        _("why this tolerance"): table["tolerance_reason"],
        _("what is comparable"): table["comparable"],
        _("source"): table["source"],
        _("checked"): table["checked"],
    })
    return html_table(shown)


def patterns_report(spec: PatternsSpec, table: pd.DataFrame, lang: str = "en") -> str:
    """The report page, as text, in ``lang`` (the figures' sources stay as the patterns file words them)."""
    with language(lang):
        counts = table["verdict"].value_counts()
        summary = _("{reproduced} of {n} patterns reproduced, {missed} missed, {unclear} unclear, {none} with no "
                    "counterpart in the model.").format(
            reproduced=int(counts.get("reproduced", 0)), n=len(table), missed=int(counts.get("missed", 0)),
            unclear=int(counts.get("unclear", 0)), none=int(counts.get("no counterpart", 0)))
        sections = [
            Section(_("Patterns"), summary + " " + _(
                "Each pattern is a quantity the calibration never saw; the model is the calibrated baseline, "
                "{reps} runs with common seeds, and its verdict reads the 95% interval of the mean against what "
                "the figure allows.").format(reps=int(table["runs"].max())), _figure(table)),
        ]
        for text, fig in _across_countries(table):
            sections.append(Section(_("Across countries"), text + " " + _(
                "Each country is the calibrated baseline run with that country's published indicators (skills, "
                "people offline, what can be done online, the age pyramid); nothing is fitted per country."), fig))
        sections.append(Section(text=_table(table), is_html=True))
        if spec.not_compared:
            listed = pd.DataFrame({_("figure"): [n.name for n in spec.not_compared],
                                   _("source"): [n.source for n in spec.not_compared],
                                   _("why it is not compared"): [n.reason for n in spec.not_compared]})
            sections.append(Section(_("Listed, not compared"), _(
                "Figures with no defensible counterpart in the model."), is_html=False))
            sections.append(Section(text=html_table(listed), is_html=True))
        intro = _("Held-out patterns {name}: {description}. Patterns file: {source}.").format(
            name=spec.name, description=spec.description.rstrip("."), source=spec.source)
        return render_page(_("Validation on held-out patterns"), intro, sections, lang=lang)
