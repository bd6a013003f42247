"""``frontier.html``: the front found by ``crmsim frontier``, drawn pairwise, with its convergence and levers.

One offline page (:func:`crmsim.viz.html_page.render_page`): the objectives of
every point of the front two by two, with the policies of ``[search]
policies`` placed among them; the convergence of the search (epsilon progress
and hypervolume against the evaluations); the policies' distance to the front;
and a table of every point's levers.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.experiments.progress import duration
from crmsim.model.metrics import INFO
from crmsim.viz.html_page import Section, html_table, render_page

__all__ = ["frontier_page", "objective_text"]

FRONT_COLOUR, POLICY_COLOUR = "#1f77b4", "#d62728"


def objective_text(objective: Any, value: float) -> str:
    """A metric's value as people read it: euros, a percentage, or a score."""
    unit = INFO[objective.metric].unit
    if value != value:  # NaN
        return "n/a"
    if unit.startswith("euros"):
        return f"EUR {value:,.1f}"
    if unit.startswith("share"):
        return f"{value:.1%}"
    return f"{value:.3f}"


def _label(objective: Any) -> str:
    info = INFO[objective.metric]
    return f"{info.label} ({'lower' if objective.direction == 'lower' else 'higher'} is better)"


def _hover(row: pd.Series, levers: list[str], objectives: Any) -> str:
    parts = [f"point {int(row['point'])}"]
    parts += [f"{o.metric}: {objective_text(o, row[o.metric])}" for o in objectives]
    parts += [f"{name} = {_value(row[name])}" for name in levers]
    return "<br>".join(html.escape(p) for p in parts)


def _value(value: Any) -> str:
    if isinstance(value, bool) or hasattr(value, "dtype") and value.dtype == bool:
        return "true" if value else "false"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _pairs_figure(front: pd.DataFrame, places: pd.DataFrame, levers: list[str], objectives: Any) -> go.Figure:
    """Every pair of objectives as a scatter panel (SVG: it draws in any browser, with no WebGL)."""
    pairs = list(itertools.combinations(objectives, 2))
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    figure = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.08, vertical_spacing=0.14)
    hover_front = [_hover(r, levers, objectives) for _, r in front.iterrows()]
    for k, (x, y) in enumerate(pairs):
        row, col = k // cols + 1, k % cols + 1
        figure.add_trace(go.Scatter(x=front[x.metric], y=front[y.metric], mode="markers", name="front",
                                    legendgroup="front", showlegend=k == 0, text=hover_front,
                                    hovertemplate="%{text}<extra></extra>",
                                    marker=dict(color=FRONT_COLOUR, size=7, opacity=0.75)), row=row, col=col)
        if len(places):
            figure.add_trace(go.Scatter(x=places[x.metric], y=places[y.metric], mode="markers", name="policies",
                                        legendgroup="policies", showlegend=k == 0,
                                        text=[html.escape(str(p)) for p in places["policy"]],
                                        hovertemplate="%{text}<extra></extra>",
                                        marker=dict(color=POLICY_COLOUR, size=9, symbol="diamond")),
                             row=row, col=col)
        figure.update_xaxes(title_text=_label(x), row=row, col=col)
        figure.update_yaxes(title_text=_label(y), row=row, col=col)
    figure.update_layout(height=340 * rows, legend=dict(orientation="h", y=1.08), margin=dict(t=40))
    return figure


def _convergence_figure(convergence: pd.DataFrame) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Epsilon progress", "Hypervolume"))
    figure.add_trace(go.Scatter(x=convergence["nfe"], y=convergence["epsilon_progress"], mode="lines+markers",
                                name="epsilon progress"), row=1, col=1)
    figure.add_trace(go.Scatter(x=convergence["nfe"], y=convergence["hypervolume"], mode="lines+markers",
                                name="hypervolume"), row=1, col=2)
    figure.update_xaxes(title_text="settings evaluated")
    figure.update_layout(height=360, showlegend=False, margin=dict(t=40))
    return figure


def _places_table(places: pd.DataFrame, objectives: Any) -> str:
    rows = []
    for _, r in places.sort_values("gap_epsilons").iterrows():
        where = ("on the front (nothing found beats it on every objective)" if r["gap_epsilons"] <= 0 else
                 f"{r['status']}: point {int(r['nearest_point'])} is better on every objective by at least "
                 f"{r['gap_epsilons']:.1f} epsilons")
        rows.append({"policy": r["policy"], **{INFO[o.metric].label: objective_text(o, r[o.metric])
                                                for o in objectives}, "against the front": where})
    return html_table(pd.DataFrame(rows), numeric={INFO[o.metric].label for o in objectives})


def _front_table(front: pd.DataFrame, levers: list[str], objectives: Any) -> str:
    rows = []
    for _, r in front.iterrows():
        row: dict[str, str] = {"point": str(int(r["point"]))}
        for o in objectives:
            se = r.get(f"{o.metric}_se")
            row[INFO[o.metric].label] = objective_text(o, r[o.metric]) + (
                f" ± {objective_text(o, se)}" if se == se and se is not None else "")
        row.update({name: _value(r[name]) for name in levers})
        rows.append(row)
    numeric = {INFO[o.metric].label for o in objectives} | set(levers)
    return '<div class="wide">' + html_table(pd.DataFrame(rows), numeric=numeric) + "</div>"


def frontier_page(frontier: Any, front: pd.DataFrame, convergence: pd.DataFrame, places: pd.DataFrame,
                  seconds: float, source: str) -> str:
    """The page's HTML."""
    levers = list(frontier.levers)
    objectives = frontier.objectives
    last = convergence.iloc[-1]
    eps = ", ".join(f"{INFO[o.metric].label} {objective_text(o, o.epsilon)}" for o in objectives)
    intro = (f"{frontier.experiment.spec.description or frontier.name}. {int(last['nfe'])} lever settings of "
             f"{len(levers)} levers evaluated ({frontier.replications} runs each, the same seeds for every setting) "
             f"in {duration(seconds)}, from {source}. The front has {len(front)} points: for each, doing better on "
             f"one objective means doing worse on another. Each point is a scenario file in front/.")
    sections = [
        Section("The front, two objectives at a time", "Each blue dot is a point of the front (hover: its levers); "
                "red diamonds are the policies, run with the same seeds. A policy far from the blue cloud towards "
                "the worse side is beaten on every objective by some point.",
                _pairs_figure(front, places, levers, objectives)),
        Section("How the search converged",
                f"Epsilon progress counts the times the front improved by more than an epsilon ({eps}); the "
                "hypervolume (0 to 1, on bounds spanning the whole search) is the share of the objective space the "
                "front dominates. Both levelling off means more evaluations would change little, for this budget.",
                _convergence_figure(convergence)),
    ]
    if len(places):
        sections.append(Section("The policies against the front", _places_table(places, objectives), is_html=True,
                                caption="A policy's gap is how much better the point that beats it most is, on its "
                                        "worst objective, counted in that objective's epsilon."))
    sections.append(Section("Every point's levers", _front_table(front, levers, objectives), is_html=True,
                            caption=f"± is the standard error over the {frontier.replications} runs. The search "
                                    "picks points for being good, so these means flatter them (the winner's "
                                    "curse): compare a point with the baseline, crmsim compare BASE.toml "
                                    "front/point_01.toml, for its effects with their intervals."))
    return render_page(f"{frontier.name}: the efficiency frontier", intro, sections)
