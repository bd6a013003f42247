"""Folded parts of a page whose charts are drawn only when a reader opens them.

A workshop's comparison holds dozens of charts, and drawing them all at load
took a browser 9 to 15 seconds for a page most readers only read the top of.
Here each part below the first screen is a ``<details>`` (:func:`fold`); each
of its charts is a placeholder and the figure's JSON, embedded once as data
(:func:`chart`), which :data:`SCRIPT` hands to ``Plotly.newPlot`` the first
time the fold opens. Plotly's JavaScript (4.8 MB) is not in the page at all:
it is loaded, on the first opening, from ``plotly.min.js`` beside the page,
the file plotly's own ``include_plotlyjs="directory"`` shares between the
pages of a folder (:func:`write_plotly` writes it). A page moved without it
says so in the fold, in one line.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from crmsim.texts.i18n import _

__all__ = ["PLOTLY_FILE", "CONFIG", "fold", "chart", "script", "write_plotly"]

PLOTLY_FILE = "plotly.min.js"
CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """details.fold{margin:0.6em 0;border-top:1px solid #ddd} details.fold>summary{cursor:pointer;padding:0.4em 0}
details.fold>summary>h2,details.fold>summary>h3{display:inline;margin:0;border:0}
details.fold details.fold{margin-left:1em}"""
# Draws every chart of an opened fold that is not inside a still-closed fold; unfolded charts at load.
SCRIPT = """(function () {
  var src = %(src)s, missing = %(missing)s, config = %(config)s, loading = null;
  function plotly() {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = src; s.charset = 'utf-8';
        s.onload = function () { resolve(window.Plotly); };
        s.onerror = function () { loading = null; reject(); };
        document.head.appendChild(s);
      });
    }
    return loading;
  }
  function draw(root) {
    var divs = Array.prototype.filter.call(root.querySelectorAll('.lazy-plot:not([data-drawn])'), function (div) {
      return !div.closest('details:not([open])');
    });
    if (!divs.length) { return; }
    plotly().then(function (Plotly) {
      divs.forEach(function (div) {
        if (div.dataset.drawn) { return; }
        div.dataset.drawn = '1';
        var figure = JSON.parse(document.getElementById(div.dataset.figure).textContent);
        Plotly.newPlot(div, figure.data, figure.layout, config);
      });
    }, function () { divs.forEach(function (div) { div.textContent = missing; div.className = 'note'; }); });
  }
  document.addEventListener('toggle', function (event) { if (event.target.open) { draw(event.target); } }, true);
  draw(document);
})();"""


def fold(title: str, body: str, level: int = 2, open_: bool = False) -> str:
    """``body`` (ready-made HTML) under a title the reader clicks to open; closed unless ``open_``."""
    return (f'<details class="fold"{" open" if open_ else ""}><summary><h{level}>{html.escape(title)}</h{level}>'
            f"</summary>{body}</details>")


def chart(figure: go.Figure, key: str) -> str:
    """A placeholder drawn when its fold opens, and ``figure`` as JSON data (``key``: unique in the page)."""
    data = figure.to_json().replace("</", "<\\/")  # a label holding "</script>" cannot end the data early
    ident = html.escape(f"figure-{key}")
    height = figure.layout.height
    style = f' style="min-height:{int(height)}px"' if height else ""
    return (f'<div class="plotly-graph-div lazy-plot" data-figure="{ident}"{style}></div>'
            f'<script type="application/json" id="{ident}">{data}</script>')


def script() -> str:
    """The page's style and script for its folds, in the current language (put once, at the end of the body)."""
    missing = _("This chart needs {file}, which crmsim compare writes beside this page: keep the two files in one "
                "folder.").format(file=PLOTLY_FILE)
    code = SCRIPT % {"src": json.dumps(PLOTLY_FILE), "missing": json.dumps(missing), "config": json.dumps(CONFIG)}
    return f"<style>{STYLE}</style><script>{code}</script>"


def write_plotly(path: Path) -> Path:
    """Plotly's JavaScript, the version plotly.py draws with, written to ``path``; returns ``path``."""
    path.write_text(get_plotlyjs(), encoding="utf-8")
    return path
