"""An HTML report of a sweep's saved results, that opens offline.

``write_report("results/<experiment>/")`` reads the results (never runs a
model) and writes, in that folder:

- ``report.html``: plotly figures with plotly's JavaScript embedded once
  (``include_plotlyjs=True``), so the page needs no network;
- ``summary.csv``: each metric's mean and 95% confidence interval per design point;
- ``differences.csv``: each point minus its baseline (when the first listed
  factor is a list of values, e.g. policies against the supply front office),
  paired by replicate: the mean of the per-replicate differences, its 95% t
  interval and the number of pairs;
- ``sensitivity.csv``: Sobol or Morris indices (for those designs).

Each file is written atomically, as the store writes its parts (a temporary
file in the same folder, then ``os.replace``): a report stopped halfway, or
read while being rewritten, never leaves a half-written page or table.

The figures: means with 95% CIs per design point (or, for many points, the
run means against each varied parameter), paired differences from the baseline,
time-series bands, heatmaps over two varied parameters, Sobol S1/ST bars with
their CIs, Morris mu* against sigma.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crmsim.experiments import analysis
from crmsim.experiments.store import atomic_write
from crmsim.model.metrics import HEADLINE

__all__ = ["write_report"]

MANY_POINTS = 40  # above this, per-point charts become scatter plots against each factor
MANY_BANDS = 24  # above this, time series show one band over all runs


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    """``table`` as CSV at ``path``, atomically (StoreError naming the file if it cannot be written)."""
    return atomic_write(path, lambda temp: table.to_csv(temp, index=False))


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _label(row: pd.Series, names: list[str]) -> str:
    """A design point as people read it: 'faq' or 'faq_quality=0.6, forum=0'."""
    if not names:
        return f"point {row['point']}"
    if len(names) == 1:
        return _fmt(row[names[0]])
    return ", ".join(f"{n.rsplit('.', 1)[-1]}={_fmt(row[n])}" for n in names)


def _metrics_shown(results: analysis.Results) -> list[str]:
    saved = list(dict.fromkeys(results.final["metric"]))
    headline = [m for m in HEADLINE if m in saved]
    return headline or saved[:3]


def _error_bars(means: pd.DataFrame, names: list[str], metrics: list[str]) -> go.Figure:
    fig = make_subplots(rows=len(metrics), cols=1, shared_xaxes=True, subplot_titles=metrics,
                        vertical_spacing=0.12 / max(1, len(metrics) - 1) if len(metrics) > 1 else 0.1)
    for i, metric in enumerate(metrics, start=1):
        rows = means[means["metric"] == metric].sort_values("point")
        labels = [_label(r, names) for _, r in rows.iterrows()]
        fig.add_trace(go.Scatter(
            x=labels, y=rows["mean"], mode="markers", name=metric, showlegend=False,
            error_y=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["mean"],
                         arrayminus=rows["mean"] - rows["ci_low"]),
            customdata=rows["n"], hovertemplate="%{x}<br>mean %{y:.4f}<br>runs %{customdata}<extra></extra>"),
            row=i, col=1)
    fig.update_layout(height=260 * len(metrics) + 120, title="Mean and 95% confidence interval per design point")
    return fig


def _scatter_by_factor(results: analysis.Results, metrics: list[str]) -> go.Figure:
    names = [f.name for f in results.factors]
    run_means = results.final[results.final["metric"].isin(metrics)]
    fig = make_subplots(rows=len(metrics), cols=len(names), shared_yaxes="rows",
                        row_titles=metrics, column_titles=names, horizontal_spacing=0.02)
    for i, metric in enumerate(metrics, start=1):
        rows = run_means[run_means["metric"] == metric]
        for j, name in enumerate(names, start=1):
            fig.add_trace(go.Scattergl(x=rows[name], y=rows["value"], mode="markers", showlegend=False,
                                       marker=dict(size=3, opacity=0.35)), row=i, col=j)
    fig.update_layout(height=240 * len(metrics) + 120, title="Each run's final value against each varied parameter")
    return fig


def _differences_figure(diffs: pd.DataFrame, factor: str, baseline: Any, names: list[str],
                        metrics: list[str]) -> go.Figure:
    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True, subplot_titles=metrics)
    for j, metric in enumerate(metrics, start=1):
        rows = diffs[diffs["metric"] == metric].sort_values("point")
        labels = [_label(r, names) for _, r in rows.iterrows()]
        fig.add_trace(go.Scatter(
            y=labels, x=rows["difference"], mode="markers", showlegend=False,
            error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["difference"],
                         arrayminus=rows["difference"] - rows["ci_low"]),
            customdata=rows["n_pairs"],
            hovertemplate="%{y}<br>difference %{x:.4f}<br>pairs %{customdata}<extra></extra>"), row=1, col=j)
        fig.add_vline(x=0, line=dict(color="grey", dash="dot"), row=1, col=j)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(320, 28 * diffs["point"].nunique() + 160),
                      title=f"Difference from {factor} = {baseline}, paired by replicate (95% t interval "
                            f"on the paired differences)")
    return fig


def _bands(results: analysis.Results, names: list[str]) -> go.Figure:
    series = results.series
    metrics = list(dict.fromkeys(series["metric"]))
    fig = make_subplots(rows=len(metrics), cols=1, shared_xaxes=True, subplot_titles=metrics)
    n_points = series["point"].nunique()
    palette = plotly.colors.qualitative.Dark24
    if n_points <= MANY_BANDS:
        bands = analysis.series_bands(series)
        labels = {p: _label(r, names) for p, r in results.design.set_index("point", drop=False).iterrows()}
        groups = [(p, labels.get(p, f"point {p}"), bands[bands["point"] == p]) for p in sorted(bands["point"].unique())]
        title = "Mean and 95% confidence band over replicates, per design point"
    else:
        q = series.groupby(["metric", "step"])["value"].quantile([0.05, 0.5, 0.95]).unstack()
        q = q.rename(columns={0.05: "ci_low", 0.5: "mean", 0.95: "ci_high"}).reset_index()
        groups = [(0, "all runs (median, 5-95%)", q)]
        title = "Median and 5-95% band over all runs"
    for k, (_, label, rows) in enumerate(groups):
        color = palette[k % len(palette)]
        for i, metric in enumerate(metrics, start=1):
            r = rows[rows["metric"] == metric].sort_values("step")
            fig.add_trace(go.Scatter(x=np.concatenate([r["step"], r["step"][::-1]]),
                                     y=np.concatenate([r["ci_high"], r["ci_low"][::-1]]), fill="toself",
                                     fillcolor=color, opacity=0.15, line=dict(width=0), hoverinfo="skip",
                                     legendgroup=label, showlegend=False), row=i, col=1)
            fig.add_trace(go.Scatter(x=r["step"], y=r["mean"], mode="lines", line=dict(color=color), name=label,
                                     legendgroup=label, showlegend=i == 1), row=i, col=1)
    fig.update_xaxes(title_text="week", row=len(metrics), col=1)
    fig.update_layout(height=260 * len(metrics) + 140, title=title)
    return fig


def _binned(values: pd.Series, bins: int = 8) -> pd.Series:
    if values.nunique() <= 10:
        return values
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.Series(centres[np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(centres) - 1)],
                     index=values.index)


def _heatmaps(results: analysis.Results, pair: tuple[str, str], metrics: list[str]) -> go.Figure:
    a, b = pair
    rows = results.final[results.final["metric"].isin(metrics)].copy()
    rows[a], rows[b] = _binned(rows[a].astype(float)), _binned(rows[b].astype(float))
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=metrics, horizontal_spacing=0.12)
    for j, metric in enumerate(metrics, start=1):
        grid = rows[rows["metric"] == metric].pivot_table(index=b, columns=a, values="value", aggfunc="mean")
        fig.add_trace(go.Heatmap(z=grid.to_numpy(), x=[f"{v:g}" for v in grid.columns],
                                 y=[f"{v:g}" for v in grid.index], colorscale="Viridis", showscale=True,
                                 colorbar=dict(x=j / len(metrics) - 0.02, len=0.8, thickness=10)), row=1, col=j)
        fig.update_xaxes(title_text=a, row=1, col=j)
        fig.update_yaxes(title_text=b, row=1, col=j)
    fig.update_layout(height=460, title=f"Mean final value over {a} and {b}" +
                      (" (binned)" if rows[a].nunique() > 10 or rows[b].nunique() > 10 else ""))
    return fig


def _sobol_figure(table: pd.DataFrame) -> go.Figure:
    metrics = list(dict.fromkeys(table["metric"]))
    fig = make_subplots(rows=len(metrics), cols=1, subplot_titles=metrics, shared_xaxes=True)
    for i, metric in enumerate(metrics, start=1):
        rows = table[table["metric"] == metric]
        for index, color in (("S1", "#1f77b4"), ("ST", "#ff7f0e")):
            fig.add_trace(go.Bar(x=rows["factor"], y=rows[index], name=index, marker_color=color,
                                 error_y=dict(type="data", array=rows[f"{index}_conf"]), legendgroup=index,
                                 showlegend=i == 1), row=i, col=1)
    fig.update_layout(barmode="group", height=280 * len(metrics) + 120,
                      title="Sobol indices: first order (S1) and total (ST), with 95% confidence intervals")
    return fig


def _morris_figure(table: pd.DataFrame) -> go.Figure:
    metrics = list(dict.fromkeys(table["metric"]))
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=metrics)
    for j, metric in enumerate(metrics, start=1):
        rows = table[table["metric"] == metric]
        fig.add_trace(go.Scatter(x=rows["mu_star"], y=rows["sigma"], mode="markers+text", text=rows["factor"],
                                 textposition="top center", showlegend=False,
                                 error_x=dict(type="data", array=rows["mu_star_conf"])), row=1, col=j)
        fig.update_xaxes(title_text="mu*", row=1, col=j)
        fig.update_yaxes(title_text="sigma", row=1, col=j)
    fig.update_layout(height=480, title="Morris screening: mean absolute effect (mu*, with 95% CI) and its "
                                        "spread (sigma: interactions or non-linearity)")
    return fig


def _baseline(results: analysis.Results) -> tuple[str, Any] | None:
    """The first factor given as a list, and its first value, in a full factorial with replicates."""
    if results.manifest["design"]["kind"] != "full_factorial" or results.manifest["replications"] < 2:
        return None
    for factor in results.factors:
        if factor.discrete and len(factor.values or ()) > 1:
            return factor.name, factor.values[0]  # type: ignore[index]
    return None


def _header(results: analysis.Results) -> str:
    m = results.manifest
    factors = ", ".join(
        f"{f.name} in {list(f.values)}" if f.discrete else f"{f.name} from {f.low:g} to {f.high:g}"
        for f in results.factors) or "none"
    rows = [("experiment", m["experiment"]), ("description", m.get("description", "")),
            ("design", f"{m['design']['kind']}: {m['points']} points x {m['replications']} replications"),
            ("runs saved", f"{results.runs_saved} of {m['run_count']}"),
            ("varied", factors), ("master seed", m["master_seed"]), ("code", m["code_version"]),
            ("started", m["started"]), ("finished", m["finished"] or "not yet (resume the sweep)")]
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<h1>{html.escape(m['experiment'])}</h1><table class='meta'>{cells}</table>"


def write_report(root: str | Path) -> list[Path]:
    """Write report.html, summary.csv and (when they apply) differences.csv and sensitivity.csv."""
    root = Path(root)
    results = analysis.load_results(root)
    names = results.factor_names
    metrics = _metrics_shown(results)
    kind = results.manifest["design"]["kind"]
    sections: list[tuple[str, str, go.Figure | None]] = []
    written: list[Path] = []

    means = analysis.point_means(results.final, names)
    written.append(_write_csv(means, root / "summary.csv"))
    if results.manifest["points"] <= MANY_POINTS:
        sections.append(("Means per design point", "", _error_bars(means, names, metrics)))
    else:
        sections.append(("Runs against each varied parameter", "", _scatter_by_factor(results, metrics)))

    baseline = _baseline(results)
    if baseline is not None:
        diffs = analysis.differences(results.final, baseline[0], baseline[1], names)
        written.append(_write_csv(diffs, root / "differences.csv"))
        sections.append((f"Against the baseline ({baseline[0]} = {baseline[1]})",
                         "A replicate has the same seed at every point, so each run is compared with the "
                         "baseline run of its own replicate (the same population, network and warm-up when the "
                         "points differ only in policy and levers). An interval that does not cross 0 is a "
                         "difference the replications can tell apart.",
                         _differences_figure(diffs, *baseline, names, metrics)))

    if not results.series.empty:
        sections.append(("Over time", "", _bands(results, names)))

    numeric = [f.name for f in results.factors if not f.discrete or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in f.values or ())]
    if len(numeric) >= 2:
        sections.append(("Two parameters at once", "", _heatmaps(results, (numeric[0], numeric[1]), metrics)))

    if kind in ("sobol", "morris"):
        final_metrics = list(dict.fromkeys(results.final["metric"]))
        if kind == "sobol":
            table, skipped = analysis.sobol_indices(results.final, results.factors, final_metrics,
                                                    n_points=results.manifest["points"],
                                                    second_order=results.manifest["design"].get("second_order", False))
        else:
            X = results.design[[f"x:{n}" for n in names]].to_numpy()
            table, skipped = analysis.morris_indices(results.final, results.factors, X, final_metrics,
                                                     levels=results.manifest["design"].get("levels", 4))
        noise = analysis.noise_share(results.final, final_metrics)
        table["noise_share"] = table["metric"].map(noise)
        written.append(_write_csv(table, root / "sensitivity.csv"))
        shown = table[table["metric"].isin(metrics)] if table["metric"].isin(metrics).any() else table
        if not shown.empty:
            figure = _sobol_figure(shown) if kind == "sobol" else _morris_figure(shown)
            sections.append(("Sensitivity", "All metrics are in sensitivity.csv.", figure))
        noisy = {m: v for m, v in noise.items() if np.isfinite(v) and m in set(table["metric"])}
        if noisy:
            sections.append(("Replicate noise", "Share of the variance between design points that is the model's own "
                             "noise (the variance of a point's mean over its replicates, relative to the variance of "
                             "the point means). Near 0, the indices are about the levers; near 1, mostly noise: add "
                             "replications or samples. " + "; ".join(f"{m}: {v:.0%}" for m, v in noisy.items()) + ".",
                             None))
        if skipped:
            notes = "".join(f"<li>{html.escape(m)}: no indices: {html.escape(why)}</li>" for m, why in skipped.items())
            sections.append(("Left out", f"<ul>{notes}</ul>", None))

    body, first = [], True
    for title, text, figure in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        if text:
            body.append(text if text.startswith("<") else f"<p>{html.escape(text)}</p>")
        if figure is not None:
            body.append(figure.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False}))
            first = False
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(results.manifest['experiment'])}: report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}}
table.meta th{{text-align:left;padding-right:1em;vertical-align:top}} h2{{margin-top:2em}}</style></head>
<body>{_header(results)}
<p>Files beside this page: {", ".join(p.name for p in written)}.</p>
{"".join(body)}
</body></html>
"""
    atomic_write(root / "report.html", lambda temp: temp.write_text(page, encoding="utf-8"))
    return [root / "report.html", *written]
