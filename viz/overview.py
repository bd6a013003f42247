"""The overview at the top of compare.html: one row per scenario, one column per headline metric and cost.

A workshop reads one screen: for each policy, is it better, worse or no
different on each thing that matters, at what cost, and how sure we are. Each
cell is the paired difference to the reference, its verdict as a symbol and a
colour (a symbol as well as a colour, so the matrix reads in black and white
and for the colour-blind), and, where worlds were run, the share of plausible
worlds in which that verdict holds. The same cells draw as a static PNG for
slides (:func:`overview_png`), in the page's language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crmsim.experiments.compare import HEADLINE_TABLE, Comparison, judgement, metric_label
from crmsim.texts.i18n import _, difference, number, percent

__all__ = ["COLUMNS", "Cell", "cells", "overview_html", "overview_png", "SYMBOLS"]

COLUMNS = (*HEADLINE_TABLE, "public_cost_per_citizen")
SYMBOLS = {"better": "✔", "worse": "✘", "negligible": "≈", "unclear": "?", "changed": "•"}
# Cell backgrounds: the page's verdict colours, light enough for the text on them to read.
FILL = {"better": "#d6f0dc", "worse": "#f8d7d3", "negligible": "#eeeeee", "unclear": "#ffffff", "changed": "#e7ecf7"}
INK = {"better": "#1a7f37", "worse": "#b42318", "negligible": "#666666", "unclear": "#444444", "changed": "#2b4c8c"}
# Folded details below the matrix, one per scenario: the row's click opens and shows its own.
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
table.overview th{cursor:pointer;background:#fafafa;font-weight:600;white-space:normal;text-align:center;
max-width:9em;font-size:0.95em}
table.overview th[data-order=up]::after{content:" ▲"} table.overview th[data-order=down]::after{content:" ▼"}
table.overview td:first-child{text-align:left;font-weight:600} table.overview tbody tr{cursor:pointer}
table.overview tbody tr:hover td{outline:1px solid #999}
table.overview small{color:#555;font-weight:400} p.legend{margin:0.2em 0;font-size:0.88em;color:#444}
details.scenario summary{cursor:pointer;font-weight:600;margin:0.3em 0}"""


@dataclass(frozen=True)
class Cell:
    """One scenario on one metric: the difference to the reference, its verdict, the share of worlds agreeing."""

    difference: float
    judged: str
    worlds_share: float | None  # None where no worlds were run

    def text(self, metric: str) -> str:
        if not np.isfinite(self.difference):
            return "–"
        value = number(self.difference, 2) if metric == "public_cost_per_citizen" else difference(self.difference)
        sign = "+" if self.difference > 0 else ""
        return f"{SYMBOLS[self.judged]} {sign}{value}"

    def share_text(self) -> str:
        return "" if self.worlds_share is None else _("{share} of worlds").format(share=percent(self.worlds_share))


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


def details_id(i: int) -> str:
    """The id of scenario i's folded details (i counts the scenarios after the reference, from 0)."""
    return f"details-{i}"


def legend() -> str:
    names = {"better": _("better"), "worse": _("worse"), "negligible": _("negligible"), "unclear": _("unclear")}
    return "   ".join(f"{SYMBOLS[k]} {v}" for k, v in names.items())


def overview_html(comparison: Comparison) -> str:
    """The sortable matrix with its legend; rows link to ``details_id`` elements the page must hold."""
    table = cells(comparison)
    metrics = list(next(iter(table.values())).keys()) if table else []
    head = f'<th data-column="0">{html.escape(_("scenario"))}</th>' + "".join(
        f'<th data-column="{k}">{html.escape(metric_label(m))}</th>' for k, m in enumerate(metrics, start=1))
    rows = []
    for i, (scenario, row) in enumerate(table.items()):
        tds = [f'<td data-v="{html.escape(scenario)}">{html.escape(scenario)}</td>']
        for metric in metrics:
            cell = row[metric]
            share = cell.share_text()
            value = "" if not np.isfinite(cell.difference) else repr(cell.difference)
            tds.append(f'<td class="{cell.judged}" data-v="{value}" style="background:{FILL[cell.judged]}">'
                       f'{html.escape(cell.text(metric))}{"<br><small>" + html.escape(share) + "</small>" if share else ""}'
                       "</td>")
        rows.append(f'<tr data-details="{details_id(i)}">{"".join(tds)}</tr>')
    note = _("Each cell: the scenario's mean paired difference to {reference}{worlds}. Click a column to sort, a "
             "row to open its details below.").format(
        reference=comparison.reference,
        worlds=_(", and the share of plausible worlds in which the same verdict holds")
        if comparison.worlds is not None else "")
    return (f"<style>{STYLE}</style>"
            f'<div class="wide"><table class="overview"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            f'<p class="legend">{html.escape(legend())} — {html.escape(note)}</p>'
            f"<script>{SCRIPT}</script>")


def overview_png(comparison: Comparison, path: Path) -> Path:
    """The same matrix as a static image for slides (matplotlib, no browser needed); returns ``path``."""
    import textwrap

    import matplotlib
    matplotlib.use("Agg")  # no display: the figure is only written to a file
    import matplotlib.pyplot as plt

    table = cells(comparison)
    metrics = list(next(iter(table.values())).keys()) if table else []
    n_rows, n_cols = len(table), len(metrics)
    width = 2.6 + 1.55 * n_cols
    fig, ax = plt.subplots(figsize=(width, 1.25 + 0.42 * n_rows), dpi=150)
    ax.set_xlim(-1.6, n_cols)
    ax.set_ylim(n_rows, -1.2)
    ax.axis("off")
    for k, metric in enumerate(metrics):
        ax.text(k + 0.5, -0.6, "\n".join(textwrap.wrap(metric_label(metric), 16)), ha="center", va="center",
                fontsize=8, fontweight="bold")
    for r, (scenario, row) in enumerate(table.items()):
        ax.text(-1.55, r + 0.5, scenario, ha="left", va="center", fontsize=8, fontweight="bold")
        for k, metric in enumerate(metrics):
            cell = row[metric]
            ax.add_patch(plt.Rectangle((k, r), 1, 1, facecolor=FILL[cell.judged], edgecolor="#cccccc"))
            share = cell.share_text()
            ax.text(k + 0.5, r + (0.38 if share else 0.5), cell.text(metric), ha="center", va="center",
                    fontsize=8, color=INK[cell.judged], fontweight="bold")
            if share:
                ax.text(k + 0.5, r + 0.75, share, ha="center", va="center", fontsize=6, color="#555555")
    ax.set_title(_("Against {reference}").format(reference=comparison.reference) + "    " + legend(),
                 fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, format="png")  # the path may be a temporary name with no .png suffix
    plt.close(fig)
    return path
