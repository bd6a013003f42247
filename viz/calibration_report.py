"""The report of a calibration, as one HTML page that opens offline (plotly's JavaScript embedded once).

It reads the calibration's outputs (never the database) and shows:

1. each target's published figure and tolerance beside the fitted model's
   posterior predictive median and 90% interval, with a table saying which
   targets the model meets and what is comparable;
2. the posterior marginals against the priors' ranges, and every pair of
   parameters (a weighted scatter), which show trade-offs between parameters;
3. which parameters the data pin down: the posterior 90% interval's width over
   the prior's (a uniform prior's own is 0.9);
4. epsilon and the acceptance rate by generation.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.calibration.targets import CalibrationSpec
from crmsim.viz.html_page import Section, html_table, render_page

__all__ = ["write_calibration_report", "PINNED", "FREE"]

PINNED, FREE = 0.3, 0.7  # width over prior: below, the targets pin the parameter; above, they leave it free


def _targets_figure(fits: pd.DataFrame) -> go.Figure:
    titles = ["<br>".join(textwrap.wrap(name.replace("_", " "), 24)) for name in fits["target"]]
    fig = make_subplots(rows=1, cols=len(fits), subplot_titles=titles, horizontal_spacing=0.06)
    for i, row in enumerate(fits.itertuples(), start=1):
        fig.add_trace(go.Scatter(x=["published"], y=[row.value], mode="markers", marker=dict(size=11, color="#444"),
                                 error_y=dict(type="constant", value=row.tolerance), showlegend=i == 1,
                                 name="published figure, +- tolerance"), row=1, col=i)
        fig.add_trace(go.Scatter(
            x=["model"], y=[row.predictive_median], mode="markers", marker=dict(size=11, color="#1f77b4"),
            error_y=dict(type="data", symmetric=False, array=[row.predictive_high - row.predictive_median],
                         arrayminus=[row.predictive_median - row.predictive_low]),
            showlegend=i == 1, name="fitted model: median, 90% interval"), row=1, col=i)
    fig.update_layout(height=420, title="Published figures against the fitted model (posterior predictive)",
                      legend=dict(orientation="h", y=-0.15), margin=dict(t=160))
    return fig


def _marginals_figure(spec: CalibrationSpec, posterior: pd.DataFrame) -> go.Figure:
    names = spec.parameter_names
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.05)
    for i, prior in enumerate(spec.priors, start=1):
        fig.add_trace(go.Histogram(x=posterior[prior.name], y=posterior["weight"], histfunc="sum",
                                   histnorm="probability density", showlegend=False, marker_color="#1f77b4",
                                   xbins=dict(start=prior.low, end=prior.high, size=(prior.high - prior.low) / 25)),
                      row=1, col=i)
        fig.update_xaxes(range=[prior.low, prior.high], row=1, col=i)
    fig.update_layout(height=320, title="Posterior of each parameter (weighted), over its prior's range",
                      bargap=0.02)
    return fig


def _pairs_figure(spec: CalibrationSpec, posterior: pd.DataFrame) -> go.Figure:
    dims = [dict(label=p.name, values=posterior[p.name]) for p in spec.priors]
    size = 4 + 12 * posterior["weight"] / posterior["weight"].max()
    fig = go.Figure(go.Splom(dimensions=dims, showupperhalf=False, diagonal_visible=False,
                             marker=dict(size=size, color="#1f77b4", opacity=0.5, line=dict(width=0))))
    side = 180 * len(dims) + 120
    fig.update_layout(height=side, width=side, title="Every pair of parameters (marker size: weight)")
    return fig


def _generations_figure(gens: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=["epsilon (in tolerances)", "acceptance rate"])
    fig.add_trace(go.Scatter(x=gens["generation"], y=gens["epsilon"], mode="lines+markers", showlegend=False),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=gens["generation"], y=gens["acceptance"], mode="lines+markers", showlegend=False),
                  row=1, col=2)
    fig.update_xaxes(title_text="generation")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=320, title="How the fit tightened, generation by generation")
    return fig


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    """Selected columns, renamed, numbers to 3 significant figures."""
    shown = frame[list(columns)].rename(columns=columns)
    return html_table(shown.map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)))


def _reading(table: pd.DataFrame) -> str:
    pinned = [r.parameter for r in table.itertuples() if r.width_over_prior < PINNED]
    free = [r.parameter for r in table.itertuples() if r.width_over_prior > FREE]
    text = []
    if pinned:
        text.append(f"The targets pin down {', '.join(pinned)}: the posterior's 90% interval spans under "
                    f"{PINNED:.0%} of the prior's range.")
    if free:
        text.append(f"They leave {', '.join(free)} free: the posterior spans over {FREE:.0%} of the prior's range, "
                    f"so results that depend on it rest on the prior, not on the data.")
    middle = [r.parameter for r in table.itertuples() if PINNED <= r.width_over_prior <= FREE]
    if middle:
        text.append(f"They constrain {', '.join(middle)} in part.")
    return " ".join(text)


def write_calibration_report(spec: CalibrationSpec, posterior: pd.DataFrame, predicted: pd.DataFrame,
                             fits: pd.DataFrame, table: pd.DataFrame, gens: pd.DataFrame, simulations: int) -> str:
    """The report page as text (the caller writes it); ``simulations`` counts every run, pyabc's first
    calibration sample (which sets the first epsilon) included."""
    met = int(fits["within_tolerance"].sum())
    sections = [
        Section("Targets", f"The fitted model meets {met} of {len(fits)} targets: its posterior predictive median "
                           f"lies within the published figure's tolerance. Each run kept is the base scenario with "
                           f"particle values, its warm-up, then {spec.steps} weeks.", _targets_figure(fits)),
        Section(text=_table(fits, {"target": "target", "value": "figure", "tolerance": "tolerance",
                                   "predictive_median": "model (median)", "predictive_low": "5%",
                                   "predictive_high": "95%", "within_tolerance": "within",
                                   "comparable": "what is comparable", "source": "source"}), is_html=True),
        Section("Which parameters the data pin down", _reading(table)),
        Section(text=_table(table, {"parameter": "parameter", "prior_low": "prior from", "prior_high": "prior to",
                                    "median": "posterior median", "low": "5%", "high": "95%",
                                    "width_over_prior": "width / prior width"}), is_html=True),
        Section("Posterior marginals", figure=_marginals_figure(spec, posterior)),
        Section("Pairs", "A diagonal band is a trade-off: the targets fix a combination of the two parameters, "
                         "not each.", _pairs_figure(spec, posterior)),
        Section("Generations", f"{len(gens)} generations, {simulations:,} simulations in all, of which "
                               f"{simulations - int(gens['simulations'].sum()):,} set the first epsilon.",
                _generations_figure(gens)),
    ]
    intro = f"{spec.description.rstrip('.')}. Targets file: {spec.source}."
    return render_page(f"Calibration {spec.name}", intro, sections)
