"""The overview at the top of compare.html: one row per scenario; its outcomes, then what it costs.

A workshop reads one screen: for each policy, is it better, worse or no
different on each thing that matters, and at what price. Each outcome cell
is the paired difference to the reference in the unit people read (points of
a share, a score), with its verdict as a symbol and a colour (a symbol as
well as a colour, so the matrix reads in black and white and for the
colour-blind) and, where worlds were run, the share of plausible worlds in
which that verdict holds. Each column's header says its unit and the
reference's own level. The cost columns are set apart in a neutral style,
with no verdict: a cost is a price, not a result, and what it buys is in the
columns beside it (euros per outcome gained, from
:mod:`crmsim.experiments.cost_effectiveness`). Scenarios go by their names
and colours (:mod:`crmsim.viz.scenario_look`). The same matrix draws as a
static PNG for slides (:func:`overview_png`), in the page's language.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crmsim.experiments.compare import HEADLINE_TABLE, Comparison, judgement
from crmsim.experiments.cost_effectiveness import COST, PRICED, unit_header
from crmsim.texts.i18n import _, percent
from crmsim.texts.labels import metric_better, metric_label, metric_reading
from crmsim.viz.metric_text import difference_text, euro_text, is_cost, level_text, unit_line
from crmsim.viz.scenario_look import Look, look

__all__ = ["COLUMNS", "Cell", "Header", "Shown", "cells", "headers", "rows", "overview_html", "overview_png",
           "SYMBOLS", "details_id"]

COLUMNS = (*HEADLINE_TABLE, COST)
SYMBOLS = {"better": "✔", "worse": "✘", "negligible": "≈", "unclear": "?", "changed": "•"}
# Cell backgrounds: the page's verdict colours, light enough for the text on them to read; costs in slate.
FILL = {"better": "#d6f0dc", "worse": "#f8d7d3", "negligible": "#eeeeee", "unclear": "#ffffff", "changed": "#e7ecf7",
        "cost": "#eef1f6"}
INK = {"better": "#1a7f37", "worse": "#b42318", "negligible": "#666666", "unclear": "#444444", "changed": "#2b4c8c",
       "cost": "#2f3b52"}
# What a cost per outcome shows when there is no ratio to show (experiments.cost_effectiveness.STATUSES).
NO_RATIO = {"effect unclear": "effect unclear", "dominant": "dominant", "dominated": "dominated",
            "better, no clear cost difference": "cost unclear", "worse, no clear cost difference": "cost unclear"}
SCRIPT = """
document.querySelectorAll('table.overview').forEach(function (table) {
  table.querySelectorAll('th[data-column]').forEach(function (th) {
    th.addEventListener('click', function () {
      var k = +th.dataset.column, up = th.dataset.order !== 'up', body = table.tBodies[0];
      table.querySelectorAll('th[data-column]').forEach(function (o) { o.removeAttribute('data-order'); });
      th.dataset.order = up ? 'up' : 'down';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[k].dataset.v, y = b.cells[k].dataset.v;
        if (k > 0) { x = x === '' ? NaN : +x; y = y === '' ? NaN : +y;
          if (isNaN(x) || isNaN(y)) { return isNaN(x) - isNaN(y); } }
        return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  table.querySelectorAll('tr[data-details]').forEach(function (tr) {
    tr.addEventListener('click', function () {
      var d = document.getElementById(tr.dataset.details);
      d.open = true; d.scrollIntoView({block: 'start'});
    });
  });
});
"""
STYLE = """table.overview{border-collapse:collapse;font-size:0.86em;margin:0.3em 0}
table.overview th,table.overview td{border:1px solid #ddd;padding:0.2em 0.45em;text-align:right;white-space:nowrap;
font-variant-numeric:tabular-nums}
table.overview th{background:#fafafa;font-weight:600;white-space:normal;text-align:center;max-width:9.5em;
font-size:0.95em;line-height:1.25}
table.overview th[data-column]{cursor:pointer}
table.overview th[data-order=up]::after{content:" ▲"} table.overview th[data-order=down]::after{content:" ▼"}
table.overview th.group{font-weight:400;color:#444;cursor:default}
table.overview .cost{border-left:2px solid #8b97ab} table.overview .cost ~ .cost{border-left:1px solid #ddd}
table.overview th.cost{background:#eef1f6}
table.overview td:first-child{text-align:left;font-weight:600} table.overview tbody tr{cursor:pointer}
table.overview tbody tr:hover td{outline:1px solid #999}
table.overview small{color:#555;font-weight:400} span.swatch{display:inline-block;width:0.8em;height:0.8em;
border-radius:2px;margin-right:0.4em;vertical-align:-0.05em}
p.legend{margin:0.2em 0;font-size:0.88em;color:#444}
details.scenario summary{cursor:pointer;font-weight:600;margin:0.3em 0}"""


@dataclass(frozen=True)
class Cell:
    """One scenario on one metric: the difference to the reference, its verdict, the share of worlds agreeing."""

    difference: float
    judged: str
    worlds_share: float | None  # None where no worlds were run

    def text(self, metric: str) -> str:
        """'✔ −6.5 pts' for an outcome; '+€68' for a cost, which has no verdict to show."""
        if not np.isfinite(self.difference):
            return "–"
        value = difference_text(metric, self.difference)
        return value if is_cost(metric) else f"{SYMBOLS[self.judged]} {value}"

    def share_text(self) -> str:
        return "" if self.worlds_share is None else _("{share} of worlds").format(share=percent(self.worlds_share))


@dataclass(frozen=True)
class Header:
    """A column: its label, its unit, the reference's level ('' where none), cost or outcome, and a tooltip."""

    label: str
    unit: str
    level: str
    cost: bool
    tip: str = ""


@dataclass(frozen=True)
class Shown:
    """A cell as drawn: its text, a second small line, its style (a verdict or 'cost'), sort value, tooltip."""

    text: str
    note: str
    style: str
    sort: float
    tip: str = ""


def cells(comparison: Comparison) -> dict[str, dict[str, Cell]]:
    """Per scenario (not the reference), per column metric present in the comparison: its cell."""
    present = set(comparison.diffs["metric"])
    table = {}
    for scenario in comparison.labels[1:]:
        row = {}
        for metric in (m for m in COLUMNS if m in present):
            d = comparison.diff(scenario, metric)
            judged = judgement(metric, d)
            world = comparison.world_row(scenario, metric)
            row[metric] = Cell(float("nan") if d is None else float(d["difference"]), judged,
                               None if world is None else float(world[f"share_{judged}"]))
        table[scenario] = row
    return table


def _priced(comparison: Comparison) -> list[str]:
    """The priced effects the comparison has a cost per outcome for (none when costs were not recorded)."""
    table = comparison.cost_effect
    return [] if table.empty else [name for name in PRICED if name in set(table["effect"])]


def headers(comparison: Comparison, seen: Look | None = None) -> list[Header]:
    """The metric columns after the scenario's: the outcomes, the cost, the costs per outcome."""
    seen = seen or look(comparison.labels)
    metrics = list(next(iter(cells(comparison).values()), {}))
    reference = seen.name(comparison.reference)
    out = []
    for metric in metrics:
        m = comparison.mean(comparison.reference, metric)
        level = "" if m is None else _("{reference}: {level}").format(reference=reference,
                                                                    level=level_text(metric, float(m["mean"])))
        tip = metric_reading(metric) if is_cost(metric) else f"{metric_better(metric)}. {metric_reading(metric)}"
        out.append(Header(metric_label(metric), unit_line(metric), level, is_cost(metric), tip))
    for name in _priced(comparison):
        label = unit_header(name)
        out.append(Header(label[:1].upper() + label[1:], _("extra cost over extra effect"), "", True))
    return out


def _ratio(row) -> Shown:
    """A cost per outcome: euros per unit gained (its interval on hover), a saving per unit lost, or why none."""
    status = row["status"]
    if status in ("cost per unit gained", "saving per unit lost"):
        value = euro_text(row["ratio"])
        tip = _("95% interval: {low} to {high}").format(low=euro_text(row["ratio_ci_low"]),
                                                       high=euro_text(row["ratio_ci_high"]))
        text = value if status == "cost per unit gained" else _("saves {value}").format(value=value)
        return Shown(text, "", "cost", float(row["ratio"]), tip)
    return Shown(_(NO_RATIO[status]), "", "cost", float("nan"), _(status))


def rows(comparison: Comparison) -> list[tuple[str, list[Shown]]]:
    """Per scenario (not the reference), by its label: the cells under :func:`headers`, in order."""
    priced = _priced(comparison)
    table = comparison.cost_effect
    out = []
    for scenario, row in cells(comparison).items():
        shown = []
        for metric, cell in row.items():
            d = comparison.diff(scenario, metric)
            tip = "" if d is None else _("95% interval: {low} to {high}").format(
                low=difference_text(metric, d["ci_low"]), high=difference_text(metric, d["ci_high"]))
            shown.append(Shown(cell.text(metric), cell.share_text(), "cost" if is_cost(metric) else cell.judged,
                               cell.difference, tip))
        for name in priced:
            match = table[(table["scenario"] == scenario) & (table["effect"] == name)]
            shown.append(_ratio(match.iloc[0]) if not match.empty else Shown("–", "", "cost", float("nan")))
        out.append((scenario, shown))
    return out


def details_id(i: int) -> str:
    """The id of scenario i's folded details (i counts the scenarios after the reference, from 0)."""
    return f"details-{i}"


def legend() -> str:
    names = {"better": _("better"), "worse": _("worse"), "negligible": _("negligible"), "unclear": _("unclear")}
    return "   ".join(f"{SYMBOLS[k]} {v}" for k, v in names.items())


def _th(header: Header, k: int) -> str:
    level = f"<br><small>{html.escape(header.level)}</small>" if header.level else ""
    css = ' class="cost"' if header.cost else ""
    return (f'<th data-column="{k}"{css} title="{html.escape(header.tip)}">{html.escape(header.label)}'
            f"<br><small>{html.escape(header.unit)}</small>{level}</th>")


def _td(cell: Shown) -> str:
    css = "cost" if cell.style == "cost" else cell.style
    value = repr(cell.sort) if math.isfinite(cell.sort) else ""
    note = f"<br><small>{html.escape(cell.note)}</small>" if cell.note else ""
    tip = f' title="{html.escape(cell.tip)}"' if cell.tip else ""
    return (f'<td class="{css}" data-v="{value}"{tip} style="background:{FILL[cell.style]};color:{INK[cell.style]}">'
            f"{html.escape(cell.text)}{note}</td>")


def overview_html(comparison: Comparison, seen: Look | None = None) -> str:
    """The sortable matrix with its legend; rows link to ``details_id`` elements the page must hold."""
    seen = seen or look(comparison.labels)
    columns = headers(comparison, seen)
    outcomes = sum(not h.cost for h in columns)
    reference = seen.name(comparison.reference)
    groups = (f'<th rowspan="2" data-column="0">{html.escape(_("scenario"))}</th>'
              f'<th class="group" colspan="{outcomes}">'
              f'{html.escape(_("Difference to {reference}").format(reference=reference))}</th>'
              + (f'<th class="group cost" colspan="{len(columns) - outcomes}">{html.escape(_("What it costs"))}</th>'
                 if len(columns) > outcomes else ""))
    head = "".join(_th(h, k) for k, h in enumerate(columns, start=1))
    body = []
    for i, (scenario, shown) in enumerate(rows(comparison)):
        name = seen.name(scenario)
        first = (f'<td data-v="{html.escape(name)}" title="{html.escape(scenario)}"><span class="swatch" '
                 f'style="background:{seen.colour(scenario)}"></span>{html.escape(name)}</td>')
        body.append(f'<tr data-details="{details_id(i)}">{first}{"".join(_td(c) for c in shown)}</tr>')
    note = _("Each outcome: the scenario's mean paired difference to {reference}, in the unit its column names{worlds} "
             "(hover for its 95% interval). Click a column to sort, a row to open its details below.").format(
        reference=reference,
        worlds=_(", and the share of plausible worlds in which the same verdict holds")
        if comparison.worlds is not None else "")
    costs = _("Costs are prices, not verdicts: the extra public money against {reference}, and what each outcome "
              "gained costs (extra cost over extra effect). Dominant: better and cheaper; dominated: worse and "
              "dearer; effect unclear: no clear effect to price.").format(reference=reference)
    return (f"<style>{STYLE}</style>"
            f'<div class="wide"><table class="overview"><thead><tr>{groups}</tr><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            f'<p class="legend">{html.escape(legend())} — {html.escape(note)}</p>'
            f'<p class="legend">{html.escape(costs)}</p>'
            f"<script>{SCRIPT}</script>")


def overview_png(comparison: Comparison, path: Path) -> Path:
    """The same matrix as a static image for slides (matplotlib, no browser needed); returns ``path``."""
    import textwrap

    import matplotlib
    matplotlib.use("Agg")  # no display: the figure is only written to a file
    import matplotlib.pyplot as plt

    seen = look(comparison.labels)
    columns, table = headers(comparison, seen), rows(comparison)
    n_rows, n_cols = len(table), len(columns)
    fig, ax = plt.subplots(figsize=(3.0 + 1.6 * n_cols, 1.7 + 0.42 * n_rows), dpi=150)
    ax.set_xlim(-1.9, n_cols)
    ax.set_ylim(n_rows, -1.9)
    ax.axis("off")
    for k, header in enumerate(columns):
        ax.text(k + 0.5, -1.0, "\n".join(textwrap.wrap(header.label, 18)), ha="center", va="bottom", fontsize=7.5,
                fontweight="bold")
        details = [*textwrap.wrap(header.unit, 24), *textwrap.wrap(header.level, 24)]
        ax.text(k + 0.5, -0.95, "\n".join(details), ha="center", va="top", fontsize=6, color="#444444")
    for r, (scenario, shown) in enumerate(table):
        ax.add_patch(plt.Rectangle((-1.85, r + 0.32), 0.12, 0.36, facecolor=seen.colour(scenario)))
        ax.text(-1.68, r + 0.5, seen.name(scenario), ha="left", va="center", fontsize=8, fontweight="bold")
        for k, cell in enumerate(shown):
            ax.add_patch(plt.Rectangle((k, r), 1, 1, facecolor=FILL[cell.style], edgecolor="#cccccc"))
            ax.text(k + 0.5, r + (0.38 if cell.note else 0.5), cell.text, ha="center", va="center", fontsize=8,
                    color=INK[cell.style], fontweight="bold" if cell.style != "cost" else "normal")
            if cell.note:
                ax.text(k + 0.5, r + 0.75, cell.note, ha="center", va="center", fontsize=6, color="#555555")
    outcomes = sum(not h.cost for h in columns)
    if outcomes < n_cols:
        ax.plot([outcomes, outcomes], [n_rows, -1.9], color="#8b97ab", linewidth=1.5)
    ax.set_title(_("Difference to {reference}").format(reference=seen.name(comparison.reference)) + "    "
                 + legend(), fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, format="png")  # the path may be a temporary name with no .png suffix
    plt.close(fig)
    return path
